"""The IAM policy document: the one place gen writes a statement, the policy language version,
and AWS's size quotas.

Everything gen renders or deploys (identity, resource, trust and key policies in the
Terraform roots; terraform_role's managed policies and the state bucket policy of the
bootstrap) is built here, with `statement()` and `document()`. A statement's elements are
normalised one way: values sorted and de-duplicated, a single value written as a string,
conditions merged per (operator, key).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from generator.errors import PolicyTooLargeError

# The current version of the policy language (policy variables need it):
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
VERSION = "2012-10-17"

Document = dict[str, Any]  # a policy document, or one of its statements, as JSON values

# AWS quotas on policy size. IAM counts characters without white space; the others count the
# document as sent (gen sends it minified).
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/BucketRestrictions.html (bucket policy)
# https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html (key policy)
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html (repository policy)
LIMITS: dict[str, tuple[int, str]] = {
    "bucket_policy": (20 * 1024, "bytes"),
    "key_policy": (32 * 1024, "bytes"),
    "ecr_repository_policy": (10_240, "characters"),
    "model_package_group_policy": (20_480, "characters"),
    "role_inline_policies": (10_240, "characters"),
    "trust_policy": (2_048, "characters"),
    "managed_policy": (6_144, "characters"),
}
MANAGED_POLICIES_PER_ROLE = 10


@dataclass(frozen=True, order=True)
class Condition:
    """One test of a statement's Condition block: `{operator: {key: values}}`."""

    operator: str
    key: str
    values: tuple[str, ...]


def _one_or_list(values: Iterable[str], key: Any = None) -> str | list[str]:
    items = sorted(set(values), key=key)
    return items[0] if len(items) == 1 else items


def _action_order(action: str) -> tuple[str, str]:
    """Actions are case-insensitive (`s3:getobject` is `s3:GetObject`): ordered as such."""
    return action.lower(), action


def _condition_block(conditions: Iterable[Condition]) -> dict[str, dict[str, str | list[str]]]:
    merged: dict[str, dict[str, set[str]]] = defaultdict(dict)
    for c in conditions:
        merged[c.operator].setdefault(c.key, set()).update(c.values)
    return {
        operator: {key: _one_or_list(values) for key, values in sorted(keys.items())}
        for operator, keys in sorted(merged.items())
    }


def statement(
    sid: str,
    *,
    actions: Iterable[str],
    resources: Iterable[str] | None = None,
    principals: Mapping[str, Iterable[str]] | Literal["*"] | None = None,
    conditions: Iterable[Condition] = (),
    effect: Literal["Allow", "Deny"] = "Allow",
) -> Document:
    """One statement. `principals` is only for resource-side policies ("*": anyone, in a
    Deny, or narrowed by conditions); `resources` is None in a trust policy."""
    st: Document = {"Sid": sid, "Effect": effect}
    if principals == "*":
        st["Principal"] = "*"
    elif principals is not None:
        st["Principal"] = {k: _one_or_list(v) for k, v in sorted(principals.items())}
    st["Action"] = _one_or_list(actions, key=_action_order)
    if resources is not None:
        st["Resource"] = _one_or_list(resources)
    block = _condition_block(conditions)
    if block:
        st["Condition"] = block
    return st


def document(statements: Iterable[Document]) -> Document:
    return {"Version": VERSION, "Statement": list(statements)}


# --- sizes -----------------------------------------------------------------------------------


def minified(document_: Document) -> str:
    return json.dumps(document_, separators=(",", ":"), sort_keys=False)


def size(kind: str, documents: Iterable[Document]) -> int:
    """The size AWS counts against the quota of `kind` (bytes, or characters without white
    space)."""
    unit = LIMITS[kind][1]
    text = "".join(minified(d) for d in documents)
    return len(text.encode()) if unit == "bytes" else len("".join(text.split()))


def check_size(name: str, kind: str, documents: Iterable[Document]) -> int:
    """Raise PolicyTooLargeError when the documents exceed AWS's quota for `kind`."""
    limit, unit = LIMITS[kind]
    measured = size(kind, documents)
    if measured > limit:
        raise PolicyTooLargeError(name, measured, limit, unit)
    return measured
