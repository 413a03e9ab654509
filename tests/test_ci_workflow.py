"""`gen ci`: the GitHub Actions workflow, validated against SchemaStore's published workflow
schema (https://json.schemastore.org/github-workflow.json, as vendored by the
check-jsonschema package), and its behaviour: plan on pull requests, apply on main, OIDC."""

from __future__ import annotations

import importlib.resources
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import REPO
from typer.testing import CliRunner

from generator import __version__
from generator.bootstrap.workflow import ACTIONS, TERRAFORM_VERSION, workflow_yaml
from generator.cli.main import app
from generator.render.pipeline import read_environment

runner = CliRunner()
ORG = REPO / "tests" / "envs" / "organisation_state"


def _schema() -> dict[str, Any]:
    vendored = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads(vendored.joinpath("github-workflows.json").read_text())
    return schema


def _workflow() -> dict[str, Any]:
    env = read_environment(ORG)
    text = workflow_yaml(env, PurePosixPath("tests/envs/organisation_state"), __version__)
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _validator() -> jsonschema.protocols.Validator:
    schema = _schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def test_workflow_is_valid_against_the_published_schema() -> None:
    errors = list(_validator().iter_errors(_workflow()))
    assert not errors, [e.message for e in errors]


def test_the_schema_rejects_a_broken_workflow() -> None:
    workflow = _workflow()
    del workflow["jobs"]["plan"]["runs-on"]
    workflow["jobs"]["apply"]["permissions"]["id-token"] = "sometimes"
    assert len(list(_validator().iter_errors(workflow))) >= 2


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in job["steps"])


def test_plan_on_pull_request_apply_on_main() -> None:
    workflow = _workflow()
    on: dict[Any, Any] = dict(workflow)
    assert {"pull_request", "push"} <= set(on["on"])  # written quoted, so not YAML 1.1's true
    plan, apply = workflow["jobs"]["plan"], workflow["jobs"]["apply"]
    assert "pull_request" in plan["if"] and "refs/heads/main" in apply["if"]
    for command in ("gen render --check", "gen lint", "gen verify", "terraform -chdir="):
        assert command in _runs(plan)
    assert " plan " in _runs(plan) and " apply " not in _runs(plan)
    assert "apply -input=false" in _runs(apply)
    posts = [s for s in plan["steps"] if s.get("uses") == ACTIONS["script"]]
    assert posts and "createComment" in posts[0]["with"]["script"]
    assert plan["permissions"]["pull-requests"] == "write"


def test_oidc_into_terraform_principal_with_pinned_tools() -> None:
    workflow = _workflow()
    for job in workflow["jobs"].values():
        # OIDC needs id-token: write (GitHub's OpenID Connect in AWS guide).
        assert job["permissions"]["id-token"] == "write"
        aws = [s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/")]
        assert aws[0]["with"]["role-to-assume"] == "arn:aws:iam::333333333333:role/gen-ci-terraform"
        assert aws[0]["with"]["aws-region"] == "us-east-1"
        for step in job["steps"]:
            if "uses" in step:  # an exact release (vX.Y.Z) or a full commit SHA
                assert re.search(r"@(v\d+\.\d+\.\d+|[0-9a-f]{40})$", step["uses"]), step
        terraform = [s for s in job["steps"] if "setup-terraform" in str(s.get("uses"))]
        assert terraform[0]["with"]["terraform_version"] == TERRAFORM_VERSION
        assert f'"gen {__version__}"' in _runs(job)
    assert workflow["permissions"] == {"contents": "read"}


def test_gen_ci_writes_into_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    env_dir = repo / "envs" / "prod"
    env_dir.mkdir(parents=True)
    (env_dir / "topology.yaml").write_text((ORG / "topology.yaml").read_text())
    result = runner.invoke(app, ["ci", str(env_dir)])
    assert result.exit_code == 0, result.output
    written = repo / ".github" / "workflows" / "gen-prod.yml"
    workflow = yaml.safe_load(written.read_text())
    assert "envs/prod/**" in json.dumps(workflow)
    assert not list(_validator().iter_errors(workflow))


@pytest.mark.parametrize("args", [["--print"], []])
def test_gen_ci_without_principal_is_a_clear_error(reference_env: Path, args: list[str]) -> None:
    result = runner.invoke(app, ["ci", *args, str(reference_env)])
    assert result.exit_code == 2
    assert "terraform_principal is not set" in result.output
    assert "Traceback" not in result.output
