"""Policy documents, KMS grants and trust policies, all derived from the access paths.

Resource policies merge principals (two topology names on one account ID never yield a
principal or a statement twice); identity policies merge resources.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from generator.access.paths import GRANT_OPERATIONS, AccessPath, Condition, Identity, Side
from generator.errors import PolicyTooLargeError
from generator.topology import arns

Document = dict[str, Any]
VERSION = "2012-10-17"

# AWS quotas on policy size. IAM counts characters without white space; the others count the
# document as sent (gen sends it minified).
LIMITS: dict[str, tuple[int, str]] = {
    "bucket_policy": (20 * 1024, "bytes"),
    "key_policy": (32 * 1024, "bytes"),
    "ecr_repository_policy": (10_240, "characters"),
    "model_package_group_policy": (20_480, "characters"),
    "role_inline_policies": (10_240, "characters"),
    "trust_policy": (2_048, "characters"),
}


def _conditions(conditions: Iterable[Condition]) -> dict[str, dict[str, str | list[str]]]:
    out: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for c in sorted(conditions):
        merged = set(out[c.operator].get(c.key, [])) | set(c.values)
        out[c.operator][c.key] = sorted(merged)
    return {
        op: {k: v[0] if len(v) == 1 else v for k, v in sorted(keys.items())}
        for op, keys in sorted(out.items())
    }


def _one_or_list(values: Iterable[str]) -> str | list[str]:
    items = sorted(set(values))
    return items[0] if len(items) == 1 else items


def _statement(
    sid: str,
    actions: Iterable[str],
    resources: Iterable[str] | None,
    principals: dict[str, Iterable[str]] | None = None,
    conditions: Iterable[Condition] = (),
    effect: str = "Allow",
) -> Document:
    st: Document = {"Sid": sid, "Effect": effect}
    if principals == {"AWS": ["*"]}:
        st["Principal"] = "*"  # only ever in a Deny (bucket policy: no plain HTTP)
    elif principals is not None:
        st["Principal"] = {k: _one_or_list(v) for k, v in sorted(principals.items())}
    st["Action"] = _one_or_list(actions)
    if resources is not None:
        st["Resource"] = _one_or_list(resources)
    cond = _conditions(conditions)
    if cond:
        st["Condition"] = cond
    return st


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
        _statement(
            min(p.sid for p in group),
            actions,
            sorted({r for p in group for r in p.resources}),
            conditions=conditions,
        )
        for (actions, conditions), group in groups.items()
    ]
    statements.sort(key=lambda s: (s["Sid"], json.dumps(s, sort_keys=True)))
    return {"Version": VERSION, "Statement": _unique_sids(statements)}


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
            _statement(
                sid,
                actions,
                merged if with_resource else None,
                {kind: list(principals)},
                conditions,
            )
        )
    statements.sort(key=lambda s: (s["Sid"], json.dumps(s, sort_keys=True)))
    return _unique_sids(statements)


def _select(paths: Iterable[AccessPath], document: str) -> list[AccessPath]:
    return [p for p in paths if p.document == document]


def bucket_policy(paths: Iterable[AccessPath], bucket: str) -> Document:
    allow = _resource_statements(_select(paths, "bucket"), with_resource=True)
    deny_plain_http = _statement(
        "DenyInsecureTransport",
        ["s3:*"],
        [arns.bucket(bucket), f"{arns.bucket(bucket)}/*"],
        {"AWS": ["*"]},
        [Condition("Bool", "aws:SecureTransport", ("false",))],
        effect="Deny",
    )
    return {"Version": VERSION, "Statement": [*allow, deny_plain_http]}


def key_policy(paths: Iterable[AccessPath], key_account: str) -> Document:
    admin = _statement(
        "KeyAdministrationByAccount",
        ["kms:*"],
        ["*"],
        {"AWS": [arns.account_root(key_account)]},
    )
    use = _resource_statements(_select(paths, "key"), with_resource=False)
    for st in use:
        st["Resource"] = "*"  # in a key policy, "*" is this key
    return {"Version": VERSION, "Statement": [admin, *use]}


def ecr_repository_policy(paths: Iterable[AccessPath], repository: str) -> Document:
    return {
        "Version": VERSION,
        "Statement": _resource_statements(_select(paths, f"ecr:{repository}"), False),
    }


def model_package_group_policy(paths: Iterable[AccessPath], group: str) -> Document:
    return {
        "Version": VERSION,
        "Statement": _resource_statements(_select(paths, f"group:{group}"), True),
    }


def trust_policy(paths: Iterable[AccessPath], role_arn: str) -> Document:
    statements = _resource_statements(_select(paths, f"trust:{role_arn}"), False)
    return {"Version": VERSION, "Statement": statements}


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


# --- sizes -----------------------------------------------------------------------------------


def minified(document: Document) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=False)


def check_size(name: str, kind: str, documents: Iterable[Document]) -> int:
    """Raise PolicyTooLargeError when the documents exceed AWS's quota for `kind`."""
    limit, unit = LIMITS[kind]
    text = "".join(minified(d) for d in documents)
    size = len(text.encode()) if unit == "bytes" else len("".join(text.split()))
    if size > limit:
        raise PolicyTooLargeError(name, size, limit, unit)
    return size
