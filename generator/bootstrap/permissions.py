"""Each account's `terraform_role` permission policy, from the calls Terraform makes there.

Calls with the same scope and conditions share a statement; statements with the same
actions and conditions share their resources. The policy is split into managed policies of
at most 6,144 characters each, and a role holds at most 10 of them (IAM and STS quotas:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from generator.bootstrap.calls import Call, Condition
from generator.errors import GenError
from generator.topology import arns
from generator.topology.environment import Environment

VERSION = "2012-10-17"
MANAGED_POLICY_CHARS = 6_144  # without whitespace
MANAGED_POLICIES_PER_ROLE = 10


class BootstrapPolicyTooLargeError(GenError):
    exit_code = 2


Document = dict[str, Any]


def _sid(actions: Iterable[str], n: int) -> str:
    """The statement's services and its number: Ec2Kms1, Iam3, Sagemaker12, ..."""
    services = sorted({a.split(":", 1)[0] for a in actions})
    return "".join(s.capitalize() for s in services) + str(n)


def statements(calls: Iterable[Call]) -> list[dict[str, Any]]:
    """The Allow statements that grant exactly these calls' actions on their scopes."""
    Key = tuple[str, tuple[Condition, ...]]
    actions_of: dict[Key, set[str]] = defaultdict(set)
    for c in calls:
        key: Key = (c.scope, tuple(sorted(c.conditions)))
        actions_of[key].add(c.action)
    Group = tuple[tuple[str, ...], tuple[Condition, ...]]
    scopes_of: dict[Group, list[str]] = defaultdict(list)
    for (scope, conds), actions in actions_of.items():
        group: Group = (tuple(sorted(actions, key=str.lower)), conds)
        scopes_of[group].append(scope)
    out = []
    ordered = sorted(scopes_of.items(), key=lambda kv: (sorted(kv[1]), kv[0]))
    for n, ((actions_, conds), scopes) in enumerate(ordered, start=1):
        unique = sorted(set(scopes))
        st: dict[str, Any] = {
            "Sid": _sid(actions_, n),
            "Effect": "Allow",
            "Action": list(actions_) if len(actions_) > 1 else actions_[0],
            "Resource": unique if len(unique) > 1 else unique[0],
        }
        if conds:
            block: dict[str, dict[str, Any]] = defaultdict(dict)
            for operator, cond_key, values in conds:
                block[operator][cond_key] = list(values) if len(values) > 1 else values[0]
            st["Condition"] = {op: dict(sorted(keys.items())) for op, keys in sorted(block.items())}
        out.append(st)
    return out


def size(document: Document) -> int:
    """Characters IAM counts against the managed policy quota (whitespace excluded)."""
    return len("".join(json.dumps(document, separators=(",", ":")).split()))


def split(statements_: list[dict[str, Any]], what: str) -> list[Document]:
    """Managed policy documents of at most MANAGED_POLICY_CHARS each, statements in order."""
    documents: list[Document] = []
    current: list[dict[str, Any]] = []
    for st in statements_:
        candidate = {"Version": VERSION, "Statement": [*current, st]}
        if current and size(candidate) > MANAGED_POLICY_CHARS:
            documents.append({"Version": VERSION, "Statement": current})
            current = [st]
        else:
            current.append(st)
        alone = {"Version": VERSION, "Statement": [st]}
        if size(alone) > MANAGED_POLICY_CHARS:
            raise BootstrapPolicyTooLargeError(
                f"{what}: statement {st['Sid']} alone is {size(alone)} characters, over the "
                f"{MANAGED_POLICY_CHARS} of a managed policy"
            )
    if current:
        documents.append({"Version": VERSION, "Statement": current})
    if len(documents) > MANAGED_POLICIES_PER_ROLE:
        raise BootstrapPolicyTooLargeError(
            f"{what}: {len(documents)} managed policies, over the {MANAGED_POLICIES_PER_ROLE} "
            "a role may hold"
        )
    return documents


def terraform_principal_policy(env: Environment) -> Document:
    """What terraform_principal's own identity policy needs: assume terraform_role in every
    account of the topology (its account is not gen's to change)."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "AssumeGenTerraformRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": sorted(env.terraform_role_arn(a) for a in env.account_ids()),
            }
        ],
    }


def trust_policy(env: Environment) -> Document:
    principal = env.topology.terraform_principal
    assert principal is not None
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "TerraformPrincipal",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def state_bucket_policy(env: Environment) -> Document:
    """TLS only (https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html)."""
    state = env.topology.state
    assert state is not None
    bucket = arns.bucket(state.bucket)
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket, f"{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
