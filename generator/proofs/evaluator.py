"""An IAM policy evaluator for what gen's policies use, after AWS's documented logic.

Modelled (each rule cites its page in tests/iam_cases/cases.yaml):

- explicit deny beats every allow; no allow means an implicit deny
  (reference_policies_evaluation-logic.html);
- Action/NotAction (case-insensitive), Resource/NotResource (ARNs matched segment by segment,
  case-sensitive), with `*` and `?` wildcards; Principal/NotPrincipal ("*", an account ID or
  its root ARN, role ARNs, service principals);
- the String*, Arn*, Bool and Null condition operators, `...IfExists`, `ForAnyValue:` and
  `ForAllValues:`; several operators, keys: AND; several values: OR (NOR when negated);
- policy variables `${key}`, `${key, 'default'}`, `${*}`, `${?}`, `${$}` in Resource and
  condition values (version 2012-10-17 only);
- one account: the union of the identity and resource policies, except that a role's trust
  policy and a KMS key policy must allow the principal (directly, or through its account's
  root, which then needs the identity policy too); across accounts: both sides must allow;
- KMS grants: a grant allows its grantee its operations on its key; it never denies.

Not modelled, and so never reported as allowing: SCPs and RCPs, permissions boundaries, session
policies, VPC endpoint policies, S3 ACLs and Block Public Access, KMS grant constraints, and any
condition operator beyond those above. A statement that uses one is undecidable: the policy's
result is OUT_OF_SCOPE unless an explicit deny already decides.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Document = Mapping[str, Any]

NOT_MODELLED = (
    "service control policies and resource control policies (AWS Organizations)",
    "permissions boundaries",
    "session policies",
    "VPC endpoint policies",
    "S3 access control lists and Block Public Access",
    "KMS grant constraints (encryption context)",
)

_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}):root$")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_KNOWN_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)


class OutOfScopeError(Exception):
    """A policy uses something the evaluator does not model (or is not a valid policy)."""


class Effect(StrEnum):
    ALLOW = "allow"
    DENY = "deny"  # an explicit deny
    NONE = "none"  # no statement applies: an implicit deny
    OUT_OF_SCOPE = "out_of_scope"  # a statement that could apply cannot be evaluated


class ResourceKind(StrEnum):
    """How the resource's own policy combines with the identity policy."""

    GENERIC = "generic"  # S3, ECR, SageMaker, Lambda, ...: union within one account
    KMS_KEY = "kms_key"  # the key policy must allow; grants also allow
    ROLE_TRUST = "role_trust"  # sts:AssumeRole: the trust policy must allow


@dataclass(frozen=True)
class Request:
    """One API request as IAM sees it. `principal` is the role ARN (aws:PrincipalArn) of a
    role session, an account root ARN, or a service principal (`sagemaker.amazonaws.com`)."""

    principal: str
    action: str
    resource: str
    principal_account: str = ""  # "" for a service principal
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    _keys: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", {k.lower(): tuple(v) for k, v in self.context.items()})

    @property
    def is_service(self) -> bool:
        return not self.principal.startswith("arn:")

    def value(self, key: str) -> tuple[str, ...] | None:
        """The values of a context key (names are case-insensitive), None when absent."""
        return self._keys.get(key.lower())


@dataclass(frozen=True)
class Match:
    """A statement that applies to the request."""

    index: int
    sid: str
    effect: str
    account_level: bool = False  # it matched the principal only through its account

    def __str__(self) -> str:
        return self.sid or f"statement #{self.index + 1}"


@dataclass(frozen=True)
class PolicyResult:
    effect: Effect
    matches: tuple[Match, ...] = ()  # the statements with the deciding effect
    reason: str = ""  # why OUT_OF_SCOPE

    @property
    def account_level(self) -> bool:
        """Allowed only through an account principal: the account's IAM must allow too."""
        return self.effect is Effect.ALLOW and all(m.account_level for m in self.matches)

    @property
    def sids(self) -> tuple[str, ...]:
        return tuple(str(m) for m in self.matches)


@dataclass(frozen=True)
class Grant:
    """A KMS grant on the key of the request: grantee principal ARN and grant operations
    (API names: Decrypt, GenerateDataKey, ...)."""

    name: str
    grantee: str
    operations: tuple[str, ...]


class Outcome(StrEnum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit_deny"
    IMPLICIT_DENY = "implicit_deny"
    OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str
    identity: PolicyResult | None  # None: a service principal (no identity policy applies)
    resource: PolicyResult | None  # None: no resource policy (or none gen knows)
    grants: tuple[str, ...] = ()  # names of the grants that allow

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW


# --- matching --------------------------------------------------------------------------------


# A policy variable's value is literal text: its * and ? (and those of ${*} and ${?}) are
# carried through matching as these two private-use characters, never as wildcards.
_LITERAL_STAR, _LITERAL_QMARK = "\ue000", "\ue001"


def _unliteral(text: str) -> str:
    return text.replace(_LITERAL_STAR, "*").replace(_LITERAL_QMARK, "?")


@functools.cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(_unliteral(ch)))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """`*` matches any run of characters (none included), `?` exactly one."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """Actions are case-insensitive: `s3:getobject` is `s3:GetObject`."""
    return glob_match(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: str) -> bool:
    """`*` matches every resource; otherwise the six colon-separated parts of the ARN are
    compared one by one, case-sensitively, each with its own wildcards."""
    if pattern == "*":
        return True
    p, a = pattern.split(":", 5), arn.split(":", 5)
    if len(p) != 6 or len(a) != 6:
        return pattern == arn
    return all(glob_match(x, y) for x, y in zip(p, a, strict=True))


def _as_list(value: Any, what: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(i, str) for i in items):
        raise OutOfScopeError(f"{what} must be a string or a list of strings")
    return [str(i) for i in items]


def _condition_values(value: Any, what: str) -> list[str]:
    """Condition values: strings, or JSON booleans and numbers, which IAM reads as text."""
    items = value if isinstance(value, list) else [value]
    out = []
    for i in items:
        if isinstance(i, bool):
            out.append("true" if i else "false")
        elif isinstance(i, str | int | float):
            out.append(str(i))
        else:
            raise OutOfScopeError(f"{what} must be a string, a boolean or a number (or a list)")
    return out


def _principal_match(principal: Any, request: Request) -> tuple[bool, bool]:
    """(matches, through the account only) for a Principal element."""
    if principal == "*":
        return True, False
    if not isinstance(principal, Mapping):
        raise OutOfScopeError('Principal must be "*" or a map such as {"AWS": [...]}')
    account_match = False
    for kind, values in principal.items():
        for value in _as_list(values, f"Principal.{kind}"):
            if kind == "AWS":
                if value == "*":
                    return True, False
                if value == request.principal:
                    return True, False
                root = _ROOT.match(value)
                account = root.group(1) if root else value if _ACCOUNT_ID.match(value) else ""
                if account and account == request.principal_account and not request.is_service:
                    account_match = True
            elif kind == "Service":
                if request.is_service and value.lower() == request.principal.lower():
                    return True, False
            elif kind in ("Federated", "CanonicalUser"):
                continue  # never one of the principals gen's requests come from
            else:
                raise OutOfScopeError(f"Principal type {kind!r} is not modelled")
    return account_match, account_match


# --- policy variables ------------------------------------------------------------------------


class _Unresolved(Exception):
    """A policy variable has no single value in the request: the statement does not apply."""


def _substitute(text: str, request: Request, variables: bool) -> str:
    if not variables or "${" not in text:
        return text

    def literal(text: str) -> str:
        return text.replace("*", _LITERAL_STAR).replace("?", _LITERAL_QMARK)

    def one(m: re.Match[str]) -> str:
        body = m.group(1).strip()
        if body in ("*", "?", "$"):
            return literal(body)
        key, _, default = body.partition(",")
        values = request.value(key.strip())
        if values is not None and len(values) == 1:
            return literal(values[0])
        default = default.strip()
        if values is None and len(default) >= 2 and default[0] == default[-1] == "'":
            return literal(default[1:-1])
        raise _Unresolved(key.strip())

    return _VARIABLE.sub(one, text)


# --- conditions ------------------------------------------------------------------------------

Compare = Callable[[str, str], bool]
_STRING_OPS: dict[str, tuple[Compare, bool]] = {
    "StringEquals": (lambda p, v: _unliteral(p) == v, False),
    "StringNotEquals": (lambda p, v: _unliteral(p) == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: _unliteral(p).lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: _unliteral(p).lower() == v.lower(), True),
    "StringLike": (lambda p, v: glob_match(p, v), False),
    "StringNotLike": (lambda p, v: glob_match(p, v), True),
    "ArnEquals": (arn_matches, False),
    "ArnLike": (arn_matches, False),
    "ArnNotEquals": (arn_matches, True),
    "ArnNotLike": (arn_matches, True),
    "Bool": (lambda p, v: _unliteral(p).lower() == v.lower(), False),
}


def _condition_holds(operator: str, key: str, raw: Any, request: Request, variables: bool) -> bool:
    qualifier = ""
    op = operator
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if op.startswith(prefix):
            qualifier, op = prefix[:-1], op[len(prefix) :]
    if_exists = op.endswith("IfExists") and op != "IfExists"
    if if_exists:
        op = op[: -len("IfExists")]
    values = request.value(key)
    policy_values = _condition_values(raw, f"Condition.{operator}.{key}")
    if op == "Null":
        if qualifier or if_exists:
            raise OutOfScopeError(f"condition operator {operator} is not valid")
        wanted = [v.lower() == "true" for v in policy_values]
        absent = not values
        return any(w == absent for w in wanted)
    if op not in _STRING_OPS:
        raise OutOfScopeError(f"condition operator {operator} is not modelled")
    compare, negated = _STRING_OPS[op]
    resolved = []
    for v in policy_values:
        try:
            resolved.append(_substitute(v, request, variables))
        except _Unresolved:
            continue  # a value whose variable does not resolve matches nothing
    if values is None or (qualifier and not values):
        if if_exists:
            return True
        if qualifier == "ForAllValues":
            return True  # vacuously: no value fails (AWS's documented pitfall)
        if qualifier == "ForAnyValue":
            return False
        return negated  # a negated operator holds when the key is absent

    def matches_any(value: str) -> bool:
        return any(compare(p, value) for p in resolved)

    if qualifier == "ForAllValues":
        return all(matches_any(v) != negated for v in values)
    if not negated:
        return any(matches_any(v) for v in values)
    if qualifier == "ForAnyValue":
        return any(not matches_any(v) for v in values)
    return not any(matches_any(v) for v in values)


def _conditions_hold(block: Any, request: Request, variables: bool) -> bool:
    if not isinstance(block, Mapping):
        raise OutOfScopeError("Condition must be a map of operators")
    for operator, keys in block.items():
        if not isinstance(keys, Mapping):
            raise OutOfScopeError(f"Condition.{operator} must be a map of keys")
        for key, raw in keys.items():
            if not _condition_holds(str(operator), str(key), raw, request, variables):
                return False
    return True


# --- one policy ------------------------------------------------------------------------------


def _statements(document: Document) -> list[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        raise OutOfScopeError("a policy must be a JSON object")
    raw = document.get("Statement")
    statements = raw if isinstance(raw, list) else [raw] if raw is not None else []
    if not statements:
        raise OutOfScopeError("the policy has no Statement")
    for st in statements:
        if not isinstance(st, Mapping):
            raise OutOfScopeError("each Statement must be a JSON object")
    return statements


def _statement_applies(
    st: Mapping[str, Any], request: Request, resource_policy: bool, variables: bool
) -> tuple[bool, bool]:
    """(applies, through the account only). Raises OutOfScopeError, _Unresolved."""
    unknown = set(st) - _KNOWN_ELEMENTS
    if unknown:
        raise OutOfScopeError(f"policy element {sorted(unknown)[0]} is not modelled")
    if st.get("Effect") not in ("Allow", "Deny"):
        raise OutOfScopeError(f"Effect must be Allow or Deny, not {st.get('Effect')!r}")
    if ("Action" in st) == ("NotAction" in st):
        raise OutOfScopeError("a statement needs exactly one of Action and NotAction")
    if "Resource" in st and "NotResource" in st:
        raise OutOfScopeError("a statement cannot have both Resource and NotResource")
    has_principal = "Principal" in st or "NotPrincipal" in st
    if has_principal != resource_policy:
        raise OutOfScopeError(
            "a resource policy statement needs a Principal"
            if resource_policy
            else "an identity policy statement cannot name a Principal"
        )
    if not resource_policy and "Resource" not in st and "NotResource" not in st:
        raise OutOfScopeError("an identity policy statement needs a Resource")
    account_level = False
    if "Principal" in st:
        matched, account_level = _principal_match(st["Principal"], request)
        if not matched:
            return False, False
    elif "NotPrincipal" in st:
        matched, _ = _principal_match(st["NotPrincipal"], request)
        if matched:
            return False, False
    if "Action" in st:
        if not any(action_matches(a, request.action) for a in _as_list(st["Action"], "Action")):
            return False, False
    elif any(action_matches(a, request.action) for a in _as_list(st["NotAction"], "NotAction")):
        return False, False
    if "Resource" in st:
        patterns = [
            _substitute(r, request, variables) for r in _as_list(st["Resource"], "Resource")
        ]
        if not any(arn_matches(p, request.resource) for p in patterns):
            return False, False
    elif "NotResource" in st:
        patterns = [
            _substitute(r, request, variables) for r in _as_list(st["NotResource"], "NotResource")
        ]
        if any(arn_matches(p, request.resource) for p in patterns):
            return False, False
    # No Resource in a resource policy: the resource the policy is attached to.
    if "Condition" in st and not _conditions_hold(st["Condition"], request, variables):
        return False, False
    return True, account_level


def evaluate_policy(document: Document, request: Request, *, resource_policy: bool) -> PolicyResult:
    """The effect of one policy on one request: a matching Deny wins, then a matching Allow."""
    try:
        statements = _statements(document)
    except OutOfScopeError as exc:
        return PolicyResult(Effect.OUT_OF_SCOPE, reason=str(exc))
    variables = document.get("Version") == "2012-10-17"
    allows: list[Match] = []
    denies: list[Match] = []
    undecided: dict[str, str] = {}
    for i, st in enumerate(statements):
        effect = str(st.get("Effect"))
        sid = str(st.get("Sid", ""))
        try:
            applies, account_level = _statement_applies(st, request, resource_policy, variables)
        except _Unresolved:
            continue  # a variable without a value makes the statement invalid: it never applies
        except OutOfScopeError as exc:
            undecided.setdefault(effect, f"{sid or f'statement #{i + 1}'}: {exc}")
            continue
        if applies:
            (denies if effect == "Deny" else allows).append(Match(i, sid, effect, account_level))
    if denies:
        return PolicyResult(Effect.DENY, tuple(denies))
    if "Deny" in undecided:
        return PolicyResult(Effect.OUT_OF_SCOPE, reason=undecided["Deny"])
    if allows:
        return PolicyResult(Effect.ALLOW, tuple(allows))
    if undecided:
        return PolicyResult(Effect.OUT_OF_SCOPE, reason=next(iter(undecided.values())))
    return PolicyResult(Effect.NONE)


def evaluate_identity(documents: Sequence[Document], request: Request) -> PolicyResult:
    """All the identity policies of a principal, taken together."""
    results = [evaluate_policy(d, request, resource_policy=False) for d in documents]
    for effect in (Effect.DENY, Effect.OUT_OF_SCOPE, Effect.ALLOW):
        chosen = [r for r in results if r.effect is effect]
        if chosen:
            return PolicyResult(
                effect, tuple(m for r in chosen for m in r.matches), chosen[0].reason
            )
    return PolicyResult(Effect.NONE)


# --- one request -----------------------------------------------------------------------------


def _grants_allowing(grants: Sequence[Grant], request: Request) -> tuple[list[str], list[str]]:
    """(grants to the principal itself, grants to the principal's account root)."""
    operation = request.action.split(":", 1)[-1]
    if not request.action.lower().startswith("kms:"):
        return [], []
    direct, account = [], []
    root = f"arn:aws:iam::{request.principal_account}:root"
    for g in grants:
        if not any(op.lower() == operation.lower() for op in g.operations):
            continue
        if g.grantee == request.principal:
            direct.append(g.name)
        elif g.grantee == root and not request.is_service:
            account.append(g.name)
    return direct, account


def authorize(
    request: Request,
    *,
    resource_account: str,
    identity_policies: Sequence[Document] | None,
    resource_policy: Document | None,
    kind: ResourceKind = ResourceKind.GENERIC,
    grants: Sequence[Grant] = (),
) -> Decision:
    """AWS's decision on one request.

    identity_policies: every identity policy of the principal; None for a service principal.
    resource_policy: the resource's policy (bucket, key, trust, ...), None when it has none.
    """
    identity = None if identity_policies is None else evaluate_identity(identity_policies, request)
    resource = (
        None
        if resource_policy is None
        else evaluate_policy(resource_policy, request, resource_policy=True)
    )

    def decide(outcome: Outcome, reason: str, by_grants: Sequence[str] = ()) -> Decision:
        return Decision(outcome, reason, identity, resource, tuple(by_grants))

    for name, result in (("identity policy", identity), ("resource policy", resource)):
        if result is not None and result.effect is Effect.DENY:
            return decide(Outcome.EXPLICIT_DENY, f"explicit deny in the {name} ({result.sids[0]})")
    for name, result in (("identity policy", identity), ("resource policy", resource)):
        if result is not None and result.effect is Effect.OUT_OF_SCOPE:
            return decide(Outcome.OUT_OF_SCOPE, f"the {name} is out of scope: {result.reason}")
    id_allows = identity is not None and identity.effect is Effect.ALLOW
    res_allows = resource is not None and resource.effect is Effect.ALLOW
    res_direct = res_allows and resource is not None and not resource.account_level
    same_account = request.principal_account == resource_account
    direct_grants, account_grants = (
        _grants_allowing(grants, request) if kind is ResourceKind.KMS_KEY else ([], [])
    )
    if direct_grants:
        return decide(Outcome.ALLOW, "a KMS grant to the principal allows it", direct_grants)
    if account_grants and id_allows:
        return decide(
            Outcome.ALLOW,
            "a KMS grant to the principal's account allows it, and its identity policy does",
            account_grants,
        )
    if identity is None:  # a service principal: only the resource's policy can allow it
        if res_direct:
            return decide(Outcome.ALLOW, "the resource policy allows the service principal")
        return decide(Outcome.IMPLICIT_DENY, "no resource policy allows the service principal")
    if not same_account:
        if res_allows and id_allows:
            return decide(Outcome.ALLOW, "both the identity and the resource policy allow it")
        missing = [
            n
            for n, ok in (("identity policy", id_allows), ("resource policy", res_allows))
            if not ok
        ]
        return decide(
            Outcome.IMPLICIT_DENY, f"cross-account, and no {' and no '.join(missing)} allows it"
        )
    if kind in (ResourceKind.KMS_KEY, ResourceKind.ROLE_TRUST):
        what = "key policy" if kind is ResourceKind.KMS_KEY else "trust policy"
        if res_direct:
            return decide(Outcome.ALLOW, f"the {what} allows the principal")
        if res_allows and id_allows:
            return decide(
                Outcome.ALLOW, f"the {what} allows the account, and the identity policy allows it"
            )
        if res_allows:
            return decide(
                Outcome.IMPLICIT_DENY,
                f"the {what} delegates to the account, and no identity policy allows it",
            )
        return decide(Outcome.IMPLICIT_DENY, f"the {what} does not allow the principal")
    if res_direct:
        return decide(Outcome.ALLOW, "the resource policy allows the principal")
    if id_allows:
        return decide(Outcome.ALLOW, "the identity policy allows it (same account)")
    return decide(Outcome.IMPLICIT_DENY, "no identity or resource policy allows it")
