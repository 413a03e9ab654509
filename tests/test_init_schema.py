"""`gen init` scaffolds a topology that renders, lints and verifies; `gen schema` is the
committed schema/topology.schema.json, and every example topology fits it and names it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import GOLDEN_DIRS, REPO
from typer.testing import CliRunner

from generator import release
from generator.cli.main import app

runner = CliRunner()
SCHEMA_FILE = REPO / "schema" / "topology.schema.json"


def test_init_then_render_lint_and_verify(tmp_path: Path) -> None:
    env = tmp_path / "envs" / "dev"
    result = runner.invoke(app, ["init", str(env)])
    assert result.exit_code == 0, result.output
    text = (env / "topology.yaml").read_text()
    assert text.startswith(f"# yaml-language-server: $schema={release.schema_url()}\n")
    assert "environment: dev " in text
    rendered = runner.invoke(app, ["render", "--quiet", str(env)])
    assert rendered.exit_code == 0, rendered.output
    assert (env / "main.tf").is_file()
    verified = runner.invoke(app, ["verify", "--quiet", str(env)])
    assert verified.exit_code == 0, verified.output
    linted = runner.invoke(app, ["lint", "--skip", "checkov", str(env)])
    assert linted.exit_code == 0, linted.output


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "topology.yaml").write_text("mine\n")
    result = runner.invoke(app, ["init", "--environment", "dev", str(tmp_path)])
    assert result.exit_code == 2
    assert "exists already" in result.output
    assert (tmp_path / "topology.yaml").read_text() == "mine\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bad_Name"], "is not valid"),
        (["--environment", "Prod", "x"], "is not valid"),
        (["--region", "mars-1", "x"], "region"),
    ],
)
def test_init_bad_names_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    *options, name = args
    result = runner.invoke(app, ["init", *options, str(tmp_path / name)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / name).exists()


def test_schema_command_prints_the_committed_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.stdout == SCHEMA_FILE.read_text(), "run gen schema -o schema/topology.schema.json"


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("env_dir", GOLDEN_DIRS, ids=[d.name for d in GOLDEN_DIRS])
def test_examples_fit_the_schema_and_name_it(env_dir: Path) -> None:
    text = (env_dir / "topology.yaml").read_text()
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (env_dir / first.split("=", 1)[1]).resolve()
    assert target == SCHEMA_FILE
    assert list(_validator().iter_errors(yaml.safe_load(text))) == []


def test_schema_rejects_what_gen_rejects() -> None:
    """Not vacuous: typos, unquoted IDs and a bad lambda_endpoint fail the schema too."""
    base = yaml.safe_load((REPO / "envs" / "reference" / "topology.yaml").read_text())
    validator = _validator()
    typo = {**base, "terraform_rol": "x"}
    unquoted = {**base, "accounts": {**base["accounts"], "qa": 444444444444}}
    stage = {**base["stages"][1]}
    stage["network"] = {**stage["network"], "lambda_endpoint": "shared"}
    bad_endpoint = {**base, "stages": [base["stages"][0], stage]}
    for bad in (typo, unquoted, bad_endpoint):
        assert list(validator.iter_errors(bad)), bad
