"""Every golden environment: the render matches the files on disk, and those files are valid
on their own terms (HCL parses, terraform fmt leaves them alone, they fit the hashicorp/aws
6.69.1 schema, checkov finds nothing, and they name no account outside the topology)."""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

import hcl2
import pytest
from conftest import GOLDEN_DIRS, REPO

from generator.checks.catalog import Check
from generator.checks.checkov import run_checkov
from generator.checks.lint import LintReport, Status
from generator.render import output
from generator.render.pipeline import render_directory
from generator.terraform.fmt import unformatted
from generator.terraform.provider_schema import check_hcl_files

IDS = [str(d.relative_to(REPO)) for d in GOLDEN_DIRS]
MODULE_FILES = sorted((REPO / "modules").glob("*/*.tf"))


@pytest.mark.parametrize("env_dir", GOLDEN_DIRS, ids=IDS)
def test_golden(env_dir: Path, update_goldens: bool) -> None:
    rendered = render_directory(env_dir)
    files = {**rendered.files, output.MANIFEST: output.manifest_text(rendered.files)}
    if update_goldens:
        output.apply(env_dir, output.plan(env_dir, rendered.files))
    for name, text in files.items():
        on_disk = (env_dir / name).read_text()
        assert on_disk == text, f"{env_dir / name} is stale: run pytest --update-goldens"
    # Same input, same bytes: a second render is identical.
    assert render_directory(env_dir).files == rendered.files
    # Not vacuous: every root has providers, modules and at least one endpoint.
    assert 'provider "aws"' in files["providers.tf"]
    assert 'module "endpoint_' in files["main.tf"]


@functools.cache
def _golden_tf() -> dict[str, str]:
    files = {str(p.relative_to(REPO)): p.read_text() for d in GOLDEN_DIRS for p in d.glob("*.tf")}
    files.update({str(p.relative_to(REPO)): p.read_text() for p in MODULE_FILES})
    return files


def test_goldens_and_modules_parse() -> None:
    for name, text in _golden_tf().items():
        parsed = hcl2.loads(text)
        assert parsed, f"{name} parsed to nothing"


def test_goldens_and_modules_are_fmt_clean() -> None:
    files = _golden_tf()
    assert len(files) > 40
    assert unformatted(files) == []


def test_goldens_and_modules_fit_the_provider_schema() -> None:
    assert check_hcl_files(_golden_tf()) == []


@pytest.mark.parametrize("env_dir", GOLDEN_DIRS, ids=IDS)
def test_golden_names_only_topology_accounts(env_dir: Path) -> None:
    rendered = render_directory(env_dir)
    known = set(rendered.env.topology.accounts.values())
    text = "\n".join(rendered.files.values())
    named = set(re.findall(r"(?<![0-9])[0-9]{12}(?![0-9])", text))
    assert named, "no account ID at all: the check would be vacuous"
    assert named <= known, f"accounts outside the topology: {sorted(named - known)}"


def test_goldens_pass_gen_lint(goldens_report: LintReport) -> None:
    """What the pre-commit hook runs (`gen lint envs/*/ tests/envs/*/`): every check passes,
    checkov (with gen's own checks) and terraform init/validate/plan included, on every
    golden."""
    assert [str(f) for f in goldens_report.findings] == []
    assert goldens_report.exit_code == 0
    statuses = {o.check: o.status for o in goldens_report.outcomes}
    # schema runs only when terraform cannot (terraform validate checks the same schema)
    assert statuses.pop(Check.SCHEMA) is Status.SKIPPED
    assert set(statuses.values()) == {Status.PASSED}
    passed = int(goldens_report.outcome(Check.CHECKOV).checked.split()[0])
    assert passed > 20 * len(GOLDEN_DIRS), "checkov checked almost nothing"


def test_checkov_skips_carry_reasons(tmp_path: Path) -> None:
    """Every inline checkov skip in the modules (the reference uses all of them) gives a
    reason a reviewer can judge."""
    env_dir = REPO / "envs" / "reference"
    copy = tmp_path / env_dir.relative_to(REPO)  # checkov's scratch files stay out of the repo
    shutil.copytree(env_dir, copy)
    shutil.copytree(REPO / "modules", tmp_path / "modules")
    report = run_checkov(copy)
    assert report.parsing_errors == ()
    assert report.failed_checks == ()
    assert report.skipped_checks, "no skip at all: the check would be vacuous"
    for skipped in report.skipped_checks:
        assert len(skipped.suppress_comment or "") > 40, f"skip without a reason: {skipped}"


def test_contract_example_renders_as_the_reference_environment() -> None:
    """The contract's example (tests/contract/reference, vendored verbatim) renders offline,
    and to the same files as envs/reference, which differs from it only in comments."""
    contract = REPO / "tests" / "contract" / "reference"
    ours = REPO / "envs" / "reference"
    source = "../../modules"
    rendered = render_directory(contract, source).files
    assert rendered == render_directory(ours, source).files
    assert 'module "endpoint_prod_churn_prod"' in rendered["main.tf"]


def test_reference_access_page_is_current() -> None:
    """envs/reference/ACCESS.md (written by `make demo`) matches `gen explain` today."""
    from generator.proofs import explain
    from generator.proofs.directory import verify_directory

    env, report = verify_directory(REPO / "envs" / "reference")
    page = explain.markdown(env, report, "envs/reference")
    committed = (REPO / "envs" / "reference" / "ACCESS.md").read_text()
    assert committed == page, "run make demo (gen explain --format mermaid --output ...)"
