"""gen's own checkov checks (generator/checks/checkov_checks): fixtures run through real checkov.

tests/checkov_checks/CKV_GEN_<n>/main.tf holds, for check CKV_GEN_<n>, resources and module
calls named ``ok_*`` (must pass) and ``bad_*`` (must fail); every one of them must get a
result, so a check that silently returns UNKNOWN fails the test. tests/checkov_checks/context
is scanned on its own, with itself as working directory: its providers.tf and topology.yaml
are the root context the checks read (own account for CKV_GEN_2, stages with a network for
CKV_GEN_3). The pure rules are also tested directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import REPO

from generator.checks.checkov import CheckovError, CheckovReport, CheckResult, run_checkov
from generator.checks.checkov_checks import policy_rules as rules
from generator.checks.lint import CUSTOM_CHECKS_DIR

FIXTURES = REPO / "tests" / "checkov_checks"
CHECK_IDS = [f"CKV_GEN_{n}" for n in range(1, 9)]
_NAMED = re.compile(r'^(?:resource\s+"[\w-]+"|module)\s+"((?:ok|bad)_\w+)"', re.MULTILINE)


@pytest.fixture(scope="module")
def reports() -> dict[str, CheckovReport]:
    def scan(directory: Path, extra: list[str]) -> CheckovReport:
        return run_checkov(directory, external_checks_dir=CUSTOM_CHECKS_DIR, extra_args=extra)

    only = ["--check", ",".join(CHECK_IDS)]
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            plain = pool.submit(scan, FIXTURES, [*only, "--skip-path", "context"])
            context = pool.submit(scan, FIXTURES / "context", only)
            return {"plain": plain.result(), "context": context.result()}
    except CheckovError as exc:
        pytest.fail(f"checkov is needed (make install): {exc}")


def _origin(result: CheckResult) -> Path:
    """The fixture file a result comes from (the caller, for module resources)."""
    return result.caller_file_path or result.file_path


def _entity(result: CheckResult) -> str:
    """The fixture's own name: the resource name, or the module call's name."""
    parts = result.resource.split(".")
    return parts[1] if parts[0] == "module" else parts[1].split("[")[0]


def _results(report: CheckovReport, fixture: Path, check_id: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for outcome, results in (("PASSED", report.passed_checks), ("FAILED", report.failed_checks)):
        for result in results:
            if result.check_id == check_id and _origin(result) == fixture:
                out.setdefault(_entity(result), set()).add(outcome)
    return out


def _expected(fixture: Path) -> dict[str, set[str]]:
    names = _NAMED.findall(fixture.read_text())
    assert any(n.startswith("ok_") for n in names), f"{fixture}: no passing fixture"
    assert any(n.startswith("bad_") for n in names), f"{fixture}: no failing fixture"
    return {n: {"PASSED" if n.startswith("ok_") else "FAILED"} for n in names}


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_fixtures(check_id: str, reports: dict[str, CheckovReport]) -> None:
    fixture = FIXTURES / check_id / "main.tf"
    assert _results(reports["plain"], fixture, check_id) == _expected(fixture)


@pytest.mark.parametrize("check_id", ["CKV_GEN_2", "CKV_GEN_3"])
def test_fixtures_that_need_the_root_context(
    check_id: str, reports: dict[str, CheckovReport]
) -> None:
    fixture = FIXTURES / "context" / "main.tf"
    expected = {
        name: outcome
        for name, outcome in _expected(fixture).items()
        if ("key" in name) == (check_id == "CKV_GEN_2")
    }
    assert expected
    assert _results(reports["context"], fixture, check_id) == expected


def test_checks_load_without_errors(reports: dict[str, CheckovReport]) -> None:
    ids = {c.check_id for c in reports["plain"].passed_checks}
    ids |= {c.check_id for c in reports["plain"].failed_checks}
    assert ids == set(CHECK_IDS)
    assert reports["plain"].parsing_errors == ()


# ------------------------------------------------------------------ the pure rules


def _doc(*statements: Mapping[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_policy_document_accepts_dicts_and_json_and_rejects_references() -> None:
    assert rules.policy_document([{"Statement": []}]) == {"Statement": []}
    assert rules.policy_document(['{"Statement": []}']) == {"Statement": []}
    assert rules.policy_document([None]) is None
    with pytest.raises(rules.Unknown):
        rules.policy_document(["var.policy"])
    with pytest.raises(rules.Unknown):
        rules.policy_document(["${jsonencode(local.policy)}"])


def test_wildcard_principal_rule() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*"}
    assert rules.wildcard_principal_problems(_doc(deny)) == []
    allow = {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:role/a", "*"]}}
    assert rules.wildcard_principal_problems(_doc(allow)) == [
        "statement 'Open' allows principal AWS='*'"
    ]
    assert rules.wildcard_principal_problems(_doc({"Effect": "Allow", "Principal": "*"})) == [
        "statement #1 allows principal *='*'"
    ]


def test_account_root_rule() -> None:
    root = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444444444444:root"}}
    write = {**root, "Action": "s3:PutObject"}
    assert len(rules.account_root_problems(_doc(write), set())) == 1
    assert rules.account_root_problems(_doc(write), {"444444444444"}) == []
    reads = {**root, "Action": ["s3:GetObject", "s3:ListBucket", "kms:Decrypt"]}
    assert rules.account_root_problems(_doc(reads), set()) == []
    narrowed = {**write, "Condition": {"ArnLike": {"AWS:PrincipalArn": "arn:aws:iam::4:role/x"}}}
    assert rules.account_root_problems(_doc(narrowed), set()) == []
    role = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::4:role/x"}, "Action": "s3:*"}
    assert rules.account_root_problems(_doc(role), set()) == []
    assert rules.is_read_only(["s3:Get*"]) is True
    assert rules.is_read_only(["s3:*"]) is False
    assert rules.is_read_only([]) is False


def test_grant_rule() -> None:
    root = "arn:aws:iam::111111111111:root"
    assert rules.grant_problems(root, ["Decrypt", "GenerateDataKey"], set()) == []
    assert rules.grant_problems(root, ["Decrypt", "CreateGrant"], set()) == [
        "grant to the whole account 111111111111 includes CreateGrant"
    ]
    assert rules.grant_problems(root, ["CreateGrant"], {"111111111111"}) == []


def test_networked_roles_leave_out_a_role_shared_with_a_stage_without_network() -> None:
    topology = {
        "accounts": {"a": "111111111111", "b": "222222222222"},
        "stages": [
            {"account": "a", "execution_role": "Exec", "network": {"vpc_id": "vpc-1"}},
            {"account": "b", "execution_role": "Exec", "network": {"vpc_id": "vpc-2"}},
            {"account": "b", "execution_role": "Exec"},
        ],
    }
    assert rules.networked_roles(topology) == {("111111111111", "Exec")}
    assert rules.role_key("arn:aws:iam::111111111111:role/path/Exec") == ("111111111111", "Exec")


def test_reference_detection_leaves_literals_alone() -> None:
    for literal in ("ml.m5.large", "sagemaker.amazonaws.com", "handler.handler", "arn:aws:s3:::b"):
        assert not rules.is_reference(literal), literal
    for reference in ("var.x", "module.m.o", "vpc_config.value.subnet_ids", "aws_kms_key.k.arn"):
        assert rules.is_reference(reference), reference


def test_local_storage_and_digests() -> None:
    assert rules.has_local_storage("ml.g4dn.xlarge")
    assert rules.has_local_storage("ml.m5d.large")
    assert not rules.has_local_storage("ml.m5.large")
    assert rules.is_pinned_image("r.example.com/i@sha256:" + "a" * 64)
    assert not rules.is_pinned_image("r.example.com/i:latest")
