"""gen's IAM evaluator against an independent one (tests/iam_diff.py): a small seeded batch
of random requests, one node process. `make diff-eval` runs a large batch and prints the table.

Every disagreement must be a class of tests/iam_cases/diff_allowlist.yaml, each with the AWS
page that shows gen's answer is AWS's; gen may refuse to decide (out-of-scope), but rarely."""

from __future__ import annotations

import json
import shutil

import pytest
from iam_diff import (
    ALLOWLIST,
    ORACLE_DIR,
    REPO,
    Result,
    generate,
    load_allowlist,
    run,
    table,
    verify_cases,
)

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (ORACLE_DIR / "node_modules").is_dir(),
    reason="node or tools/iam-simulate/node_modules missing: run `make install`",
)

SEED = 20261202
CASES = 400


def test_the_allowlist_cites_aws_for_every_class() -> None:
    entries = load_allowlist()
    assert entries, ALLOWLIST
    for name, entry in entries.items():
        assert str(entry["source"]).startswith("https://docs.aws.amazon.com/"), name
        assert entry.get("says"), name


def _no_unexplained(results: list[Result]) -> None:
    unexplained = [r for r in results if r.klass.startswith("unexplained")]
    detail = "\n".join(
        f"{r.klass}: gen {r.gen.outcome} ({r.gen.reason}); oracle {r.oracle} {r.oracle_errors}\n"
        f"  {json.dumps(r.case.as_json())}"
        for r in unexplained[:5]
    )
    assert not unexplained, f"{table(results)}\n{detail}"


def test_gen_agrees_with_the_independent_evaluator() -> None:
    results = run(generate(SEED, CASES))
    _no_unexplained(results)
    agree = sum(r.klass.startswith("agree") for r in results)
    refused = sum(r.klass.startswith("gen-refuses") for r in results)
    assert agree >= 0.95 * len(results), table(results)
    assert refused <= 0.04 * len(results), table(results)
    # the batch exercises every outcome on both sides
    assert {r.oracle for r in results} >= {"Allowed", "ExplicitlyDenied", "ImplicitlyDenied"}


def test_every_request_gen_verify_asks_on_the_reference_agrees() -> None:
    """The shapes gen renders: the requests and documents of `gen verify envs/reference`."""
    results = run(verify_cases([REPO / "envs" / "reference"]))
    assert len(results) > 300
    _no_unexplained(results)
    assert all(r.klass.startswith("agree") for r in results), table(results)
