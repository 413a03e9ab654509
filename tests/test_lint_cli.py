"""`gen lint` through the CLI: table, json, sarif, exit codes and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO
from typer.testing import CliRunner

from generator.checks.catalog import Check
from generator.cli.main import app

CORPUS = REPO / "tests" / "lint_corpus"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(REPO)
    return CliRunner()


def test_reference_passes_and_prints_its_table(runner: CliRunner) -> None:
    result = runner.invoke(app, ["lint", "envs/reference"])
    assert result.exit_code == 0, result.output
    for check in Check:
        assert f"│ {check.value}" in result.output
    # schema is skipped: the terraform check covers it
    assert result.output.count(" passed ") >= len(Check) - 1
    assert "0 findings, 0 failed checks" in result.output


def test_findings_exit_1_with_file_line_and_path(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "lint",
            "--skip",
            "checkov",
            "--skip",
            "terraform",  # schema is the fallback when terraform does not run
            "tests/lint_corpus/unknown_attribute",
        ],
    )
    assert result.exit_code == 1
    assert (
        "tests/lint_corpus/unknown_attribute/main.tf:4: schema/unsupported-argument: "
        "aws_sagemaker_model_package_group.churn.model_package_group_descripton: "
        "unsupported argument 'model_package_group_descripton'"
    ) in result.output
    assert "Traceback" not in result.output


def test_json_format(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["lint", "-f", "json", "--skip", "checkov", "tests/lint_corpus/syntax_error"]
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["exit_code"] == 1
    assert [c["check"] for c in data["checks"]] == [c.value for c in Check]
    statuses = {c["check"]: c["status"] for c in data["checks"]}
    assert statuses["parse"] == "failed"
    assert statuses["checkov"] == "skipped"
    assert data["findings"] == [
        {
            "file": "tests/lint_corpus/syntax_error/main.tf",
            "line": 10,
            "check": "parse",
            "rule": "syntax-error",
            "path": "",
            "message": "syntax error: unexpected end of file; expected } (column 1)",
            "related": [],
        }
    ]


def test_sarif_to_a_file_prints_the_table_too(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "lint.sarif"
    result = runner.invoke(
        app,
        [
            "lint",
            "--format",
            "sarif",
            "-o",
            str(target),
            "--skip",
            "checkov",
            "tests/lint_corpus/unformatted_file",
        ],
    )
    assert result.exit_code == 1
    assert "fmt/unformatted" in result.output
    assert f"wrote {target}" in result.output
    log = json.loads(target.read_text())
    (run,) = log["runs"]
    assert [r["ruleId"] for r in run["results"]] == ["fmt/unformatted"]


def test_a_check_that_cannot_run_exits_3(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEN_CHECKOV", str(REPO / "no-such-checkov"))
    result = runner.invoke(app, ["lint", "tests/lint_corpus/too_many_blocks"])
    assert result.exit_code == 3
    assert "GEN_CHECKOV" in result.output
    assert "error" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml", "envs/reference"], "choose text, json or sarif"),
        (["--skip", "lint", "envs/reference"], "not a check"),
        (["-o", "x.json", "envs/reference"], "--output needs --format json or sarif"),
        (["envs/no-such-env"], "does not exist"),
    ],
)
def test_bad_options_exit_2(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["lint", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_directory_without_terraform_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "no Terraform files (*.tf) to lint" in result.output
