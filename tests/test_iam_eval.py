"""The IAM evaluator against a table of cases from AWS's documentation
(tests/iam_cases/cases.yaml: each case cites the page it comes from)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.iam.evaluator import (
    Effect,
    Grant,
    InvalidPolicyError,
    Outcome,
    OutOfScopeError,
    Request,
    ResourceKind,
    action_matches,
    arn_matches,
    authorize,
    evaluate_policy,
    glob_match,
)

CASES_FILE = Path(__file__).parent / "iam_cases" / "cases.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text())
DEFAULT_PRINCIPAL = "arn:aws:iam::111122223333:role/Alice"
DEFAULT_ACCOUNT = "111122223333"


def _request(raw: dict[str, Any]) -> Request:
    context = {
        str(k): tuple(str(x) for x in (v if isinstance(v, list) else [v]))
        for k, v in (raw.get("context") or {}).items()
    }
    return Request(
        principal=str(raw.get("principal", DEFAULT_PRINCIPAL)),
        action=str(raw["action"]),
        resource=str(raw["resource"]),
        principal_account=str(raw.get("account", DEFAULT_ACCOUNT)),
        context=context,
    )


def test_the_table_is_well_formed() -> None:
    assert len(CASES) >= 60
    names = [c["name"] for c in CASES]
    assert len(set(names)) == len(names), "case names must be unique"
    outcomes = {c["outcome"] for c in CASES}
    assert outcomes == {"allow", "explicit_deny", "implicit_deny", "out_of_scope"}
    for case in CASES:
        assert set(case) <= {
            "name",
            "source",
            "says",
            "request",
            "kind",
            "identity",
            "resource",
            "grants",
            "outcome",
            "resource_account",
            "invalid",
        }, case["name"]
        assert str(case["source"]).startswith("https://docs.aws.amazon.com/"), case["name"]
        assert case.get("says"), f"{case['name']}: say what the page states"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_aws_documented_case(case: dict[str, Any]) -> None:
    request = _request(case["request"])
    identity = case.get("identity", [])
    grants = [
        Grant(str(g["name"]), str(g["grantee"]), tuple(str(o) for o in g["operations"]))
        for g in case.get("grants", [])
    ]
    decision = authorize(
        request,
        resource_account=str(case.get("resource_account", DEFAULT_ACCOUNT)),
        identity_policies=identity,
        resource_policy=case.get("resource"),
        kind=ResourceKind(case.get("kind", "generic")),
        grants=grants,
    )
    assert decision.outcome == Outcome(case["outcome"]), (
        f"{case['name']} ({case['source']}): expected {case['outcome']}, got "
        f"{decision.outcome}: {decision.reason}"
    )
    assert decision.allowed == (case["outcome"] == "allow")
    assert decision.invalid == bool(case.get("invalid")), decision.reason


# --- the pieces, directly --------------------------------------------------------------------


def test_glob_wildcards_and_case() -> None:
    assert glob_match("models/*", "models/")
    assert glob_match("a?c", "abc")
    assert not glob_match("a?c", "ac")
    assert not glob_match("Models/*", "models/x")
    assert glob_match("Models/*", "models/x", ignore_case=True)
    assert glob_match("a.b", "a.b") and not glob_match("a.b", "axb")  # regex characters are literal


def test_action_and_arn_matching() -> None:
    assert action_matches("kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext")
    assert not action_matches("kms:GenerateDataKey*", "kms:Decrypt")
    assert arn_matches("*", "arn:aws:s3:::b/k")
    assert arn_matches(
        "arn:aws:kms:us-east-1:222222222222:key/*", "arn:aws:kms:us-east-1:222222222222:key/1"
    )
    assert not arn_matches(
        "arn:aws:kms:us-east-1:222222222222:key/*", "arn:aws:kms:us-east-1:333333333333:key/1"
    )
    # a wildcard stays in its own ARN component: the account part does not swallow the region
    assert not arn_matches(
        "arn:aws:kms:*:*:alias/*", "arn:aws:kms:us-east-1:222222222222:key/alias/1"
    )
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html:
    # "If the * wildcard is the last character of a resource ARN segment, it can expand to match
    # beyond the colon boundaries."
    assert arn_matches("arn:aws:s3:*", "arn:aws:s3:::b/k")
    assert arn_matches("arn:aws:kms:us-east-1:2222*", "arn:aws:kms:us-east-1:222222222222:key/1")
    assert not arn_matches("arn:aws:kms:us-west-2:*", "arn:aws:kms:us-east-1:222222222222:key/1")
    # a short pattern with another wildcard before its end: AWS's pages do not decide it
    with pytest.raises(OutOfScopeError):
        arn_matches("arn:aws:kms:*:key/*", "arn:aws:kms:us-east-1:222222222222:key/1")
    # a short pattern without a trailing wildcard is no ARN: refused
    with pytest.raises(InvalidPolicyError):
        arn_matches("arn:aws:s3", "arn:aws:s3:::b/k")


def test_policy_result_names_the_matching_statements() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Reads", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
            {"Sid": "Writes", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
        ],
    }
    result = evaluate_policy(
        doc,
        Request(DEFAULT_PRINCIPAL, "s3:GetObject", "arn:aws:s3:::b/k", DEFAULT_ACCOUNT),
        resource_policy=False,
    )
    assert result.effect is Effect.ALLOW
    assert result.sids == ("Reads", "statement #2")


def test_invalid_policies_are_out_of_scope_not_allowed() -> None:
    request = Request(DEFAULT_PRINCIPAL, "s3:GetObject", "arn:aws:s3:::b/k", DEFAULT_ACCOUNT)
    bad: list[dict[str, Any]] = [
        {"Statement": []},
        {"Statement": [{"Effect": "Allow", "Action": "s3:*"}]},  # identity policy without Resource
        {"Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]},
        {
            "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"}
            ]
        },
        {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Bogus": 1}]},
    ]
    for doc in bad:
        result = evaluate_policy(doc, request, resource_policy=False)
        assert result.effect is Effect.OUT_OF_SCOPE, doc
        assert result.reason
    decision = authorize(
        request, resource_account=DEFAULT_ACCOUNT, identity_policies=bad[:1], resource_policy=None
    )
    assert decision.outcome is Outcome.OUT_OF_SCOPE and not decision.allowed


def test_a_resource_policy_needs_a_principal_and_an_identity_policy_cannot_have_one() -> None:
    request = Request(DEFAULT_PRINCIPAL, "s3:GetObject", "arn:aws:s3:::b/k", DEFAULT_ACCOUNT)
    no_principal = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    assert (
        evaluate_policy(no_principal, request, resource_policy=True).effect is Effect.OUT_OF_SCOPE
    )
    with_principal = {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]
    }
    result = evaluate_policy(with_principal, request, resource_policy=False)
    assert result.effect is Effect.OUT_OF_SCOPE


def test_a_grant_to_an_account_root_delegates_to_that_accounts_iam() -> None:
    """gen's registry grant names an account root: a role of that account still needs its
    identity policy (conservative; the grant itself names only the account)."""
    role = "arn:aws:iam::444455556666:role/Bob"
    request = Request(
        role, "kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k", "444455556666"
    )
    grant = Grant("g", "arn:aws:iam::444455556666:root", ("Decrypt",))
    without = authorize(
        request,
        resource_account=DEFAULT_ACCOUNT,
        identity_policies=[],
        resource_policy=None,
        kind=ResourceKind.KMS_KEY,
        grants=[grant],
    )
    assert without.outcome is Outcome.IMPLICIT_DENY
    allow_kms = {"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
    with_identity = authorize(
        request,
        resource_account=DEFAULT_ACCOUNT,
        identity_policies=[allow_kms],
        resource_policy=None,
        kind=ResourceKind.KMS_KEY,
        grants=[grant],
    )
    assert with_identity.allowed and with_identity.grants == ("g",)
