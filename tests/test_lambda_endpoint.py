"""stages[].network.lambda_endpoint: `existing` renders no Lambda interface endpoint and no
security group for it (the VPC already resolves lambda.<region>.amazonaws.com privately);
the default, `create`, renders both, as the goldens show."""

from __future__ import annotations

import os
from pathlib import Path

import hcl2
import pytest
from conftest import REPO
from typer.testing import CliRunner

from generator.cli.main import app


def _reference_with(tmp_path: Path, network_line: str) -> Path:
    env = tmp_path / "env"
    env.mkdir()
    text = (REPO / "envs" / "reference" / "topology.yaml").read_text()
    anchor = "      security_group_ids: [sg-0a1b2c3d4e5f60003]\n"
    assert anchor in text
    (env / "topology.yaml").write_text(text.replace(anchor, anchor + network_line))
    return env


def _credentials_call(env: Path) -> dict[str, object]:
    parsed = hcl2.loads((env / "main.tf").read_text())
    calls = {k.strip('"'): v for item in parsed["module"] for k, v in item.items()}
    call: dict[str, object] = calls["registry_credentials_prod"]
    return call


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", None),
        ("      lambda_endpoint: create\n", None),
        ("      lambda_endpoint: existing\n", False),
    ],
)
def test_lambda_endpoint_switch(tmp_path: Path, line: str, expected: bool | None) -> None:
    env = _reference_with(tmp_path, line)
    runner = CliRunner()
    result = runner.invoke(app, ["render", "--quiet", str(env)])
    assert result.exit_code == 0, result.output
    call = _credentials_call(env)
    assert call.get("create_lambda_endpoint") == expected
    if expected is None:
        # The default renders exactly the committed reference root.
        here = os.path.relpath(REPO / "modules", env)
        main = (env / "main.tf").read_text().replace(f'"{here}/', '"../../modules/')
        assert main == (REPO / "envs/reference/main.tf").read_text()
    # Every input the call passes is a variable of the module, types fit, refs resolve.
    lint = runner.invoke(app, ["lint", "--skip", "checkov", str(env)])
    assert lint.exit_code == 0, lint.output


def test_module_creates_endpoint_and_group_only_when_asked() -> None:
    main = hcl2.loads((REPO / "modules" / "registry_credentials" / "main.tf").read_text())
    counted = {
        kind.strip('"'): body
        for item in main["resource"]
        for kind, named in item.items()
        for _, body in named.items()
        if kind.strip('"') in {"aws_vpc_endpoint", "aws_security_group"}
    }
    assert set(counted) == {"aws_vpc_endpoint", "aws_security_group"}
    for body in counted.values():
        assert "var.create_lambda_endpoint ? 1 : 0" in str(body["count"])


def test_unknown_value_is_a_located_error(tmp_path: Path) -> None:
    env = _reference_with(tmp_path, "      lambda_endpoint: shared\n")
    result = CliRunner().invoke(app, ["render", str(env)])
    assert result.exit_code == 2
    assert "stages[1].network.lambda_endpoint" in result.output
    assert "Traceback" not in result.output
