"""Policy documents, KMS grants and trust policies, all derived from the access paths.

Resource policies merge principals (two topology names on one account ID never yield a
principal or a statement twice); identity policies merge resources.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from generator.access.paths import GRANT_OPERATIONS, AccessPath, Identity, Side
from generator.iam.document import Condition, Document, document, statement
from generator.topology import arns


def _unique_sids(statements: list[Document]) -> list[Document]:
    seen: dict[str, int] = {}
    for st in statements:
        sid = st["Sid"]
        seen[sid] = seen.get(sid, 0) + 1
        if seen[sid] > 1:
            st["Sid"] = f"{sid}{seen[sid]}"
    return statements


# --- identity side ---------------------------------------------------------------------------


def identity_policy(paths: Iterable[AccessPath], principal_arn: str) -> Document:
    """The inline policy of one role: its paths, resources merged per (actions, conditions)."""
    groups: dict[tuple[tuple[str, ...], tuple[Condition, ...]], list[AccessPath]] = {}
    for p in paths:
        if p.principal.arn == principal_arn and p.identity is Identity.RENDERED:
            groups.setdefault((p.actions, p.conditions), []).append(p)
    statements = [
        statement(
            min(p.sid for p in group),
            actions=actions,
            resources={r for p in group for r in p.resources},
            conditions=conditions,
        )
        for (actions, conditions), group in groups.items()
    ]
    statements.sort(key=lambda s: (s["Sid"], json.dumps(s, sort_keys=True)))
    return document(_unique_sids(statements))


def rendered_principals(paths: Iterable[AccessPath]) -> list[str]:
    return sorted({p.principal.arn for p in paths if p.identity is Identity.RENDERED})


# --- resource side ---------------------------------------------------------------------------


def _resource_statements(paths: Iterable[AccessPath], with_resource: bool) -> list[Document]:
    """Statements of a resource policy: principals merged per (actions, resources,
    conditions), then resources merged per (actions, principals, conditions)."""
    Key = tuple[tuple[str, ...], tuple[Condition, ...], str]
    by_resources: dict[tuple[Key, tuple[str, ...]], list[AccessPath]] = {}
    for p in paths:
        if p.principal.kind == "account" and not p.cross_account:
            continue  # an account's own root in its own resource policy grants nothing
        conditions = tuple(sorted({*p.conditions, *p.resource_conditions}))
        kind = "Service" if p.principal.kind == "service" else "AWS"
        resources = p.resources if with_resource else ()
        by_resources.setdefault(((p.actions, conditions, kind), resources), []).append(p)
    by_principals: dict[tuple[Key, tuple[str, ...]], list[tuple[tuple[str, ...], list[AccessPath]]]]
    by_principals = {}
    for (key, resources), group in by_resources.items():
        principals = tuple(sorted({p.resource_principal or p.principal.arn for p in group}))
        by_principals.setdefault((key, principals), []).append((resources, group))
    statements = []
    for ((actions, conditions, kind), principals), parts in by_principals.items():
        merged = sorted({r for rs, _ in parts for r in rs})
        sid = min(p.sid for _, group in parts for p in group)
        statements.append(
            statement(
                sid,
                actions=actions,
                resources=merged if with_resource else None,
                # "*": admitted by organization path (resource_conditions narrow it)
                principals="*" if (kind, principals) == ("AWS", ("*",)) else {kind: principals},
                conditions=conditions,
            )
        )
    statements.sort(key=lambda s: (s["Sid"], json.dumps(s, sort_keys=True)))
    return _unique_sids(statements)


def _select(paths: Iterable[AccessPath], name: str) -> list[AccessPath]:
    return [p for p in paths if p.document == name]


def bucket_policy(paths: Iterable[AccessPath], bucket: str) -> Document:
    allow = _resource_statements(_select(paths, "bucket"), with_resource=True)
    deny_plain_http = statement(
        "DenyInsecureTransport",
        effect="Deny",
        principals="*",
        actions=["s3:*"],
        resources=[arns.bucket(bucket), f"{arns.bucket(bucket)}/*"],
        conditions=[Condition("Bool", "aws:SecureTransport", ("false",))],
    )
    return document([*allow, deny_plain_http])


def key_policy(paths: Iterable[AccessPath], key_account: str) -> Document:
    admin = statement(
        "KeyAdministrationByAccount",
        principals={"AWS": [arns.account_root(key_account)]},
        actions=["kms:*"],
        resources=["*"],
    )
    use = _resource_statements(_select(paths, "key"), with_resource=False)
    for st in use:
        st["Resource"] = "*"  # in a key policy, "*" is this key
    return document([admin, *use])


def ecr_repository_policy(paths: Iterable[AccessPath], repository: str) -> Document:
    return document(_resource_statements(_select(paths, f"ecr:{repository}"), False))


def model_package_group_policy(paths: Iterable[AccessPath], group: str) -> Document:
    return document(_resource_statements(_select(paths, f"group:{group}"), True))


def trust_policy(paths: Iterable[AccessPath], role_arn: str) -> Document:
    return document(_resource_statements(_select(paths, f"trust:{role_arn}"), False))


@dataclass(frozen=True, order=True)
class Grant:
    name: str
    grantee: str
    operations: tuple[str, ...]
    why: str


def grants(paths: Iterable[AccessPath]) -> list[Grant]:
    out = []
    for p in paths:
        if p.side is not Side.KMS_GRANT:
            continue
        operations = GRANT_OPERATIONS[p.actions]
        out.append(Grant(p.sid, p.principal.arn, operations, p.why))
    return sorted(set(out))
