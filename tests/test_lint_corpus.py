"""`gen lint` on the bad environment corpus (tests/lint_corpus) and on the golden roots.

Each corpus case is a Terraform root broken by hand in one way; its ``expected.txt`` lists,
one per line, exactly the findings `gen lint` must print for it (paths relative to the
repository). The whole corpus is linted in one run (checkov runs two roots at a time).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO

from generator.checks.catalog import Check
from generator.checks.lint import LintInputError, LintReport, Status, lint

CORPUS = REPO / "tests" / "lint_corpus"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())

# What each case is about: the check and rule that must be among its findings.
DEFECTS = {
    "wildcard_principal": ("checkov", "CKV_GEN_1"),
    "unknown_attribute": ("schema", "unsupported-argument"),
    "missing_required_block": ("schema", "insufficient-blocks"),
    "too_many_blocks": ("schema", "too-many-blocks"),
    "dangling_module_output": ("references", "unknown-module-output"),
    "undeclared_references": ("references", "undeclared-variable"),
    "module_arguments": ("references", "unsupported-module-argument"),
    "unformatted_file": ("fmt", "unformatted"),
    "syntax_error": ("parse", "syntax-error"),
    "account_root_principal": ("checkov", "CKV_GEN_2"),
    "model_without_vpc_config": ("checkov", "CKV_GEN_3"),
    "stale_render": ("render", "stale"),
}


def test_every_case_is_described() -> None:
    assert {c.name for c in CASES} == set(DEFECTS)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_reports_exactly_the_expected_findings(case: Path, corpus_report: LintReport) -> None:
    expected = [ln for ln in (case / "expected.txt").read_text().splitlines() if ln.strip()]
    assert expected, f"{case.name}/expected.txt lists no finding"
    prefix = f"{case.relative_to(REPO).as_posix()}/"
    actual = [str(f) for f in corpus_report.findings if f.file.startswith(prefix)]
    assert actual == expected
    check, rule = DEFECTS[case.name]
    assert any(
        f.check == check and f.rule == rule
        for f in corpus_report.findings
        if f.file.startswith(prefix)
    )


def test_corpus_fails_with_exit_code_1(corpus_report: LintReport) -> None:
    assert corpus_report.exit_code == 1
    assert not [o for o in corpus_report.outcomes if o.status is Status.ERROR]
    # Every check found something somewhere in the corpus (terraform: tests/terraform_corpus).
    failed = {o.check for o in corpus_report.outcomes if o.status is Status.FAILED}
    assert failed == set(Check) - {Check.TERRAFORM}
    # Nothing is reported outside the corpus: the real modules are clean.
    outside = [f for f in corpus_report.findings if not f.file.startswith("tests/lint_corpus/")]
    assert outside == []


def test_module_resources_point_back_at_the_module(corpus_report: LintReport) -> None:
    (finding,) = [f for f in corpus_report.findings if f.rule == "CKV_GEN_1"]
    assert finding.file == "tests/lint_corpus/wildcard_principal/main.tf"
    assert finding.path == "module.ecr_policy.aws_ecr_repository_policy.this"
    assert [r.file for r in finding.related] == ["modules/ecr_repository_policy/main.tf"]


def test_reference_environment_is_clean(reference_report: LintReport) -> None:
    assert [str(f) for f in reference_report.findings] == []
    assert reference_report.exit_code == 0
    statuses = {o.check: o.status for o in reference_report.outcomes}
    # schema is the terraform check's fallback: skipped when terraform ran
    assert statuses == {c: Status.SKIPPED if c is Check.SCHEMA else Status.PASSED for c in Check}
    assert reference_report.outcome(Check.TERRAFORM).checked == "1 root (offline provider)"
    # Not vacuous: the root and all nine modules were read, checkov ran gen's checks.
    assert reference_report.outcome(Check.PARSE).checked == "40 files"
    assert reference_report.outcome(Check.REFERENCES).checked == "10 modules"
    assert reference_report.outcome(Check.RENDER).checked == "1 environment"


def test_a_hand_edit_of_a_golden_root_is_caught(tmp_path: Path) -> None:
    """A copy of a golden root, one argument renamed: references, fmt and render say so."""
    env = tmp_path / "tests" / "envs" / "copy"
    shutil.copytree(REPO / "tests" / "envs" / "jumpstart_roles", env)
    shutil.copytree(REPO / "modules", tmp_path / "modules")
    main = env / "main.tf"
    text = main.read_text()
    assert "  portfolio_id = " in text
    main.write_text(text.replace("  portfolio_id = ", "  portfolio    = ", 1))
    report = lint([env], base=tmp_path, skip=[Check.CHECKOV, Check.TERRAFORM])
    found = [(f.file, f.line, f.check, f.rule, f.path) for f in report.findings]
    main_tf = "tests/envs/copy/main.tf"
    assert found == [
        ("tests/envs/copy/.gen-manifest.json", 0, "render", "stale", ""),
        (main_tf, 0, "render", "stale", ""),
        (main_tf, 562, "references", "missing-module-argument", "module.jumpstart.portfolio_id"),
        (main_tf, 568, "fmt", "unformatted", ""),
        (main_tf, 568, "references", "unsupported-module-argument", "module.jumpstart.portfolio"),
    ]
    assert report.outcome(Check.CHECKOV).status is Status.SKIPPED
    assert report.exit_code == 1


def test_a_directory_without_terraform_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "topology.yaml").write_text("version: 1\n")
    with pytest.raises(LintInputError, match=r"no Terraform files \(\*\.tf\) to lint"):
        lint([tmp_path], base=tmp_path)


def test_an_invalid_topology_is_a_render_finding(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('locals {\n  a = "b"\n}\n')
    (tmp_path / "topology.yaml").write_text("version: 1\nenvironment: x\n")
    report = lint([tmp_path], base=tmp_path, skip=[Check.CHECKOV, Check.TERRAFORM])
    render = report.outcome(Check.RENDER)
    assert render.status is Status.FAILED
    assert {f.rule for f in render.findings} == {"invalid-topology"}
    assert all(f.file == "topology.yaml" for f in render.findings)
