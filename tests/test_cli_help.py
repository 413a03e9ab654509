"""The command line's own surface: --version, -h, shell completion, help that names ENV_DIR
and lists choices, one-line command summaries, and explain within the terminal's width."""

from __future__ import annotations

import re

import pytest
from conftest import REPO
from typer.testing import CliRunner, Result

from generator import __version__
from generator.access.paths import access_paths
from generator.cli.main import app
from generator.render.pipeline import read_environment

runner = CliRunner()


def _invoke(args: list[str]) -> Result:
    return runner.invoke(app, args, prog_name="gen")


COMMANDS = [
    "init",
    "render",
    "lint",
    "explain",
    "verify",
    "discover",
    "schema",
    "bootstrap",
    "ci",
    "apply",
    "version",
]


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_flag(flag: str) -> None:
    result = _invoke([flag])
    assert result.exit_code == 0
    assert result.output == f"gen {__version__}\n"


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_short_help_flag_and_plain_metavars(command: list[str]) -> None:
    result = _invoke([*command, "-h"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: gen")
    # No type names or braces of Typer's defaults: <str>, <bool>, <dir>, {env_dir}
    typer_names = r"<(str|bool|int|float|dir|file|path|text|list\[[a-z]+\])>|\{[a-z_]+\}"
    assert not re.search(typer_names, result.output), result.output
    if command and command[0] in {"render", "explain", "verify", "discover", "init"}:
        assert f"Usage: gen {command[0]} [OPTIONS] ENV_DIR\n" in result.output


def test_top_level_help_lists_commands_one_line_each() -> None:
    result = _invoke(["--help"])
    lines = result.output.split("Commands:\n", 1)[1].splitlines()
    listed = [line.split()[0] for line in lines if line.strip()]
    assert listed == COMMANDS
    for line in lines:
        assert not line.rstrip().endswith("..."), f"truncated summary: {line!r}"


def test_lint_help_lists_format_choices() -> None:
    result = _invoke(["lint", "-h"])
    assert "--format [text|json|sarif]" in result.output
    assert "Usage: gen lint [OPTIONS] ENV_DIR...\n" in result.output


def test_lint_help_names_every_check() -> None:
    from generator.checks.catalog import Check

    summary = " ".join(_invoke(["lint", "-h"]).output.split("Arguments:")[0].split())
    for check in Check:
        assert str(check) in summary, f"gen lint -h does not name the {check} check"
    assert "terraform (real Terraform init" in summary  # not only as "terraform fmt"


def test_shell_completion_script() -> None:
    result = _invoke(["--show-completion", "bash"])
    assert result.exit_code == 0, result.output
    assert "_GEN_COMPLETE" in result.output
    assert "--install-completion" in _invoke(["-h"]).output


@pytest.mark.parametrize(("columns", "args"), [(100, []), (80, []), (100, ["--wide"])])
def test_explain_fits_the_terminal(
    monkeypatch: pytest.MonkeyPatch, columns: int, args: list[str]
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.chdir(REPO)
    result = _invoke(["explain", *args, "envs/reference"])
    assert result.exit_code == 0, result.output
    widest = max(len(line.rstrip()) for line in result.output.splitlines())
    if "--wide" in args:
        assert widest > columns
    else:
        assert widest <= columns
        paths = len(access_paths(read_environment(REPO / "envs" / "reference")))
        assert f"environment prod: {paths} access paths" in result.output
        assert "StageReadsArtifacts" in result.output
