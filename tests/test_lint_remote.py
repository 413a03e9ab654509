"""Module sources from outside the root: an installed gen pins them to its own release by
default, lint reads that release from the installation (checkov included), and says loudly
which other remote sources it could not check."""

from __future__ import annotations

import json
import shutil
import shutil as shutil_module
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import REPO
from typer.testing import CliRunner

from generator import release
from generator.checks import checkov, lint
from generator.checks.catalog import Check
from generator.checks.modules import module_sources, own_release_module
from generator.cli.main import app
from generator.errors import GenError
from generator.render import files, pipeline
from generator.render.pipeline import render_directory

runner = CliRunner()


def _env(tmp_path: Path, source: str) -> Path:
    env = tmp_path / "env"
    env.mkdir()
    shutil.copy(REPO / "envs" / "reference" / "topology.yaml", env / "topology.yaml")
    result = runner.invoke(app, ["render", "-q", "--modules-source", source, str(env)])
    assert result.exit_code == 0, result.output
    return env


def test_installed_gen_pins_modules_to_its_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not files.installed()  # this checkout
    monkeypatch.setattr(pipeline, "installed", lambda: True)
    rendered = render_directory(REPO / "envs" / "reference")
    tag = release.tag()
    assert tag == "v0.1.0"
    assert (
        f'source = "git::{release.REPOSITORY}.git//modules/kms_key?ref={tag}"'
        in rendered.files["main.tf"]
    )


def test_own_release_sources_resolve_to_the_bundled_modules() -> None:
    kms = own_release_module(f"git::{release.REPOSITORY}.git//modules/kms_key?ref=v0.1.0")
    assert kms == files.modules_dir() / "kms_key"
    assert own_release_module(f"git::{release.REPOSITORY}.git//modules/kms_key?ref=v0.0.9") is None
    assert (
        own_release_module("git::https://example.com/gen.git//modules/kms_key?ref=v0.1.0") is None
    )
    assert own_release_module(f"git::{release.REPOSITORY}.git//modules/nope?ref=v0.1.0") is None


def test_lint_says_which_remote_modules_it_could_not_check(tmp_path: Path) -> None:
    source = "git::https://example.com/other.git//modules?ref=v9"
    env = _env(tmp_path, source)
    args = ["lint", "--skip", "checkov", "--modules-source", source, str(env)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "warning: NOT CHECKED: 9 module sources gen lint cannot read" in result.output
    assert "  git::https://example.com/other.git//modules/kms_key?ref=v9" in result.output
    data = json.loads(runner.invoke(app, [*args[:1], "-f", "json", *args[1:]]).stdout)
    assert len(data["unchecked_module_sources"]) == 9
    references = next(c for c in data["checks"] if c["check"] == "references")
    assert references["note"].startswith("NOT CHECKED: 9 remote module sources")


def _checkov_or_skip() -> None:
    try:
        checkov.checkov_executable()
    except GenError as exc:
        pytest.skip(f"checkov is not installed: {exc}")


def test_lint_checks_gen_own_release_as_fully_as_local_modules(tmp_path: Path) -> None:
    """The issue this fixes: 62 checkov passes with remote sources against 233 with local."""
    _checkov_or_skip()
    source = release.modules_source()
    env = _env(tmp_path, source)
    sources = module_sources(env)
    assert sources.unresolved == [] and len(sources.resolved) == 9
    with ThreadPoolExecutor(max_workers=2) as pool:
        pinned = pool.submit(lint._checkov_run, env)
        local = pool.submit(lint._checkov_run, REPO / "envs" / "reference")
        pinned_report, local_report = pinned.result(), local.result()
    assert pinned_report.passed == local_report.passed > 100
    assert pinned_report.skipped == local_report.skipped
    assert pinned_report.failed_checks == ()
    # Reported against the root's own files, not the scratch copy.
    assert {p.caller_file_path for p in pinned_report.passed_checks} <= {env / "main.tf", None}
    report = lint.lint([env], skip=[Check.CHECKOV], modules_source=source)
    assert report.findings == [] and report.unchecked_modules == []
    assert report.outcome(Check.REFERENCES).checked == "10 modules"


def test_checkov_through_uv_when_none_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEN_CHECKOV", raising=False)
    monkeypatch.setattr(checkov, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(shutil_module, "which", lambda name: None)
    monkeypatch.setattr(checkov, "_uv", lambda: "/opt/uv")
    assert checkov.checkov_launcher() == [
        "/opt/uv",
        "tool",
        "run",
        "--quiet",
        "--from",
        f"checkov=={checkov.CHECKOV_VERSION}",
        "checkov",
    ]
    monkeypatch.setattr(checkov, "_uv", lambda: None)
    with pytest.raises(checkov.CheckovError, match="pip install uv"):
        checkov.checkov_launcher()
