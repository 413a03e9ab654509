"""Broken roots that only Terraform catches (tests/terraform_corpus/<case>/).

Each case fails `gen lint` in the terraform check alone, with Terraform's own message at the
file and line in ``expected.txt`` (one finding per line, as `gen lint` prints it); every other
check passes on it, which proves the terraform check is what catches it. checkov, slow to
start, runs on the corpus in `make test-terraform` (marked slow), as do all but one case.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.checks.catalog import Check
from generator.checks.lint import Status, lint

CORPUS = Path(__file__).resolve().parent / "terraform_corpus"
CASES = sorted(p.parent for p in CORPUS.glob("*/expected.txt"))


def stable(line: str) -> str:
    """Terraform names the members of a cycle in no fixed order."""
    return re.sub(r"Cycle: (.*)$", lambda m: "Cycle: " + ", ".join(sorted(m[1].split(", "))), line)


def check_case(case: Path, skip: tuple[Check, ...]) -> None:
    report = lint([case], base=case, skip=skip)
    terraform = report.outcome(Check.TERRAFORM)
    assert terraform.status is Status.FAILED, (terraform.status, terraform.note)
    expected = (case / "expected.txt").read_text().splitlines()
    assert [stable(str(f)) for f in terraform.findings] == [stable(e) for e in expected]
    for outcome in report.outcomes:
        if outcome.check is not Check.TERRAFORM:
            assert outcome.status in (Status.PASSED, Status.SKIPPED), (
                outcome.check,
                [str(f) for f in outcome.findings],
                outcome.note,
            )


def test_corpus_has_the_five_kinds() -> None:
    assert {c.name for c in CASES} >= {
        "for_each_apply_time",
        "module_missing_provider",
        "string_for_list",
        "cycle",
        "unknown_attribute",
    }


# `make test` runs one case (the plan-time error); `make test-terraform` runs them all.
FAST = "for_each_apply_time"


@pytest.mark.parametrize(
    "case",
    [c if c.name == FAST else pytest.param(c, marks=pytest.mark.slow) for c in CASES],
    ids=lambda p: p.name,
)
def test_only_terraform_catches_it(case: Path) -> None:
    check_case(case, skip=(Check.CHECKOV,))


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_only_terraform_catches_it_checkov_included(case: Path) -> None:
    check_case(case, skip=())
