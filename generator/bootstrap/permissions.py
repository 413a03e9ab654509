"""Each account's `terraform_role` permission policy, from the calls Terraform makes there.

Calls with the same scope and conditions share a statement; statements with the same
actions and conditions share their resources. The policy is split into managed policies of
at most 6,144 characters each, and a role holds at most 10 of them (IAM and STS quotas:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from generator.bootstrap.calls import Call
from generator.errors import GenError
from generator.iam.document import (
    LIMITS,
    MANAGED_POLICIES_PER_ROLE,
    Condition,
    Document,
    document,
    size,
    statement,
)
from generator.topology import arns
from generator.topology.environment import Environment

MANAGED_POLICY_CHARS = LIMITS["managed_policy"][0]  # without whitespace


class BootstrapPolicyTooLargeError(GenError):
    exit_code = 2


def _sid(actions: Iterable[str], n: int) -> str:
    """The statement's services and its number: Ec2Kms1, Iam3, Sagemaker12, ... (the
    statements are derived from the calls, so their IDs are too; `gen bootstrap` writes
    them in order, and the number finds one in the template)."""
    services = sorted({a.split(":", 1)[0] for a in actions})
    return "".join(s.capitalize() for s in services) + str(n)


def statements(calls: Iterable[Call]) -> list[Document]:
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
    ordered = sorted(scopes_of.items(), key=lambda kv: (sorted(kv[1]), kv[0]))
    return [
        statement(_sid(actions, n), actions=actions, resources=scopes, conditions=conds)
        for n, ((actions, conds), scopes) in enumerate(ordered, start=1)
    ]


def _size(document_: Document) -> int:
    """Characters IAM counts against the managed policy quota (whitespace excluded)."""
    return size("managed_policy", [document_])


def split(statements_: list[Document], what: str) -> list[Document]:
    """Managed policy documents of at most MANAGED_POLICY_CHARS each, statements in order."""
    documents: list[Document] = []
    current: list[Document] = []
    for st in statements_:
        candidate = document([*current, st])
        if current and _size(candidate) > MANAGED_POLICY_CHARS:
            documents.append(document(current))
            current = [st]
        else:
            current.append(st)
        alone = document([st])
        if _size(alone) > MANAGED_POLICY_CHARS:
            raise BootstrapPolicyTooLargeError(
                f"{what}: statement {st['Sid']} alone is {_size(alone)} characters, over the "
                f"{MANAGED_POLICY_CHARS} of a managed policy"
            )
    if current:
        documents.append(document(current))
    if len(documents) > MANAGED_POLICIES_PER_ROLE:
        raise BootstrapPolicyTooLargeError(
            f"{what}: {len(documents)} managed policies, over the {MANAGED_POLICIES_PER_ROLE} "
            "a role may hold"
        )
    return documents


def terraform_principal_policy(env: Environment) -> Document:
    """What terraform_principal's own identity policy needs: assume terraform_role in every
    account of the topology (its account is not gen's to change)."""
    roles = sorted(env.terraform_role_arn(a) for a in env.account_ids())
    assume = statement("AssumeGenTerraformRole", actions=["sts:AssumeRole"], resources=roles)
    assume["Resource"] = roles  # a list even for one account: the file keeps one shape
    return document([assume])


def trust_policy(env: Environment) -> Document:
    principal = env.topology.terraform_principal
    assert principal is not None
    return document(
        [
            statement(
                "TerraformPrincipal",
                principals={"AWS": [principal]},
                actions=["sts:AssumeRole"],
            )
        ]
    )


def state_bucket_policy(env: Environment) -> Document:
    """TLS only (https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html)."""
    state = env.topology.state
    assert state is not None
    bucket = arns.bucket(state.bucket)
    return document(
        [
            statement(
                "DenyInsecureTransport",
                effect="Deny",
                principals="*",
                actions=["s3:*"],
                resources=[bucket, f"{bucket}/*"],
                conditions=[Condition("Bool", "aws:SecureTransport", ("false",))],
            )
        ]
    )
