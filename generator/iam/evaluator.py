"""An IAM policy evaluator for what gen's policies use, after AWS's documented logic.

Modelled (each rule cites its page in tests/iam_cases/cases.yaml):

- explicit deny beats every allow; no allow means an implicit deny
  (reference_policies_evaluation-logic.html);
- Action/NotAction (case-insensitive), Resource/NotResource (ARNs matched segment by segment,
  case-sensitive, with `*` and `?` wildcards; a short pattern such as `arn:aws:s3:*` expands
  across colons); Principal ("*", an account ID or its root ARN, role ARNs, service
  principals); NotPrincipal, which exempts only the principals it lists (a role needs its
  account listed too);
- the String*, Arn*, Bool and Null condition operators, `...IfExists`, `ForAnyValue:` and
  `ForAllValues:`; several operators, keys: AND; several values: OR (NOR when negated);
- policy variables `${key}`, `${key, 'default'}`, `${*}`, `${?}`, `${$}` in Resource and
  condition values (the current policy version, `document.VERSION`, only);
- one account: the union of the identity and resource policies, except that a role's trust
  policy and a KMS key policy must allow the principal (directly, or through its account's
  root, which then needs the identity policy too); across accounts: both sides must allow;
- KMS grants: a grant allows its grantee its operations on its key; it never denies.

Not modelled, and so never reported as allowing: SCPs and RCPs, permissions boundaries, session
policies, VPC endpoint policies, S3 ACLs and Block Public Access, KMS grant constraints, and any
condition operator beyond those above. A statement that uses one is undecidable: the answer is
OUT_OF_SCOPE whenever that statement could change it (an undecidable Deny, an undecidable Allow
where nothing else allows, or one that may name the principal where only its account is named).

A policy AWS refuses (a wildcard in an ARN's service or resource-type part, an ARN condition
value with fewer than six parts, an action that is not `service:action`, NotPrincipal with
Allow or in a trust policy, ...) is refused too: the request is OUT_OF_SCOPE with
`Decision.invalid` set and the reason saying which statement and why. Nothing is judged.

Policies are compiled once (by document identity) and patterns once (functools caches):
scripts/bench_eval.py measures the speed. tests/test_iam_diff.py and `make diff-eval` compare
the answers with an independent evaluator, @cloud-copilot/iam-simulate.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from generator.iam.document import VERSION, Document

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
    """A policy uses something the evaluator does not model."""


class InvalidPolicyError(OutOfScopeError):
    """A policy AWS would refuse: gen refuses to judge it too."""


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
    action_lower: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", {k.lower(): tuple(v) for k, v in self.context.items()})
        object.__setattr__(self, "action_lower", self.action.lower())

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
    invalid: bool = False  # OUT_OF_SCOPE because AWS would refuse the policy

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

    @property
    def invalid(self) -> bool:
        """OUT_OF_SCOPE because a policy is one AWS would refuse (see the reason)."""
        return self.outcome is Outcome.OUT_OF_SCOPE and any(
            r is not None and r.invalid for r in (self.identity, self.resource)
        )


# --- matching --------------------------------------------------------------------------------
#
# Every pattern is compiled once (functools caches, and _compiled() for whole documents): the
# evaluator answers tens of thousands of requests a second.

# A policy variable's value is literal text: its * and ? (and those of ${*} and ${?}) are
# carried through matching as these two private-use characters, never as wildcards.
_LITERAL_STAR, _LITERAL_QMARK = "\ue000", "\ue001"

# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html:
# an action is "*" or `service:action`; the service prefix is letters, digits and hyphens, and
# only the action name may hold wildcards.
_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?-]+$")


def _unliteral(text: str) -> str:
    return text.replace(_LITERAL_STAR, "*").replace(_LITERAL_QMARK, "?")


def _glob_regex(pattern: str, star: str = ".*", qmark: str = ".") -> str:
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(star)
        elif ch == "?":
            parts.append(qmark)
        else:
            parts.append(re.escape(_unliteral(ch)))
    return "".join(parts)


@functools.cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(_glob_regex(pattern), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """`*` matches any run of characters (none included), `?` exactly one."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """Actions are case-insensitive: `s3:getobject` is `s3:GetObject`."""
    return glob_match(pattern, action, ignore_case=True)


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


@functools.lru_cache(maxsize=8192)
def _arn_regex(pattern: str, condition: bool) -> re.Pattern[str] | None:
    """The regex an ARN pattern stands for, None for one that matches nothing.

    Raises InvalidPolicyError for what AWS refuses, OutOfScopeError for what its pages do not
    decide. `condition`: a value of an Arn* condition operator (stricter: six parts).
    """
    if pattern == "*" and not condition:
        return re.compile(".*", re.DOTALL)
    parts = pattern.split(":", 5)
    if parts[0] != "arn":
        if condition:
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
            # ARN operators compare ARNs: a value that is no ARN is not a valid ARN condition.
            raise InvalidPolicyError(f"{pattern!r} is not an ARN")
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html:
        # a Resource is an ARN or "*".
        raise InvalidPolicyError(f"resource {pattern!r} is neither an ARN nor *")
    if len(parts) > 2 and _has_wildcard(parts[2]):
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html:
        # "You can't use a wildcard in the service segment that identifies the AWS product."
        raise InvalidPolicyError(f"{pattern!r} has a wildcard in its service segment")
    if len(parts) < 6:
        if condition:
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
            # "Each of the six colon-delimited components of the ARN is checked separately":
            # an ARN condition value needs all six.
            raise InvalidPolicyError(f"ARN condition value {pattern!r} has fewer than six parts")
        if not pattern.endswith("*"):
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html: an ARN
            # has six parts; without a trailing wildcard a shorter pattern is no ARN.
            raise InvalidPolicyError(f"resource {pattern!r} has fewer than six ARN parts")
        head = pattern[:-1]
        if _has_wildcard(head):
            raise OutOfScopeError(
                f"resource {pattern!r}: a short ARN pattern with a wildcard before its last "
                "character (AWS's pages do not say how it matches)"
            )
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html:
        # "If the * wildcard is the last character of a resource ARN segment, it can expand to
        # match beyond the colon boundaries": arn:aws:s3:* is every S3 ARN.
        return re.compile(re.escape(_unliteral(head)) + ".*", re.DOTALL)
    resource = parts[5]
    s3_like = parts[2] == "s3" and parts[3] == "" and parts[4] == ""
    cut = min((i for i in (resource.find("/"), resource.find(":")) if i >= 0), default=-1)
    if not s3_like and cut > 0 and (_has_wildcard(resource[:cut]) or "${" in resource[:cut]):
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html (Incorrect
        # wildcard usage): "You can't use a wildcard in the portion of the ARN that specifies
        # the resource type".
        raise InvalidPolicyError(f"{pattern!r} has a wildcard in its resource type")
    # Each of the first five parts stays within its colons; the resource part may hold colons.
    regex = ":".join(_glob_regex(p, "[^:]*", "[^:]") for p in parts[:5])
    return re.compile(regex + ":" + _glob_regex(resource), re.DOTALL)


def arn_matches(pattern: str, arn: str) -> bool:
    """Whether a Resource pattern matches an ARN: `*` matches every resource; otherwise the six
    colon-separated parts are compared one by one, case-sensitively, each with its own
    wildcards, except that a short pattern ending in `*` matches across colons.
    Raises InvalidPolicyError or OutOfScopeError for a pattern AWS refuses or does not define."""
    regex = _arn_regex(pattern, False)
    return regex is not None and regex.fullmatch(arn) is not None


def _as_list(value: Any, what: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) for i in items):
        raise InvalidPolicyError(f"{what} must be a string or a non-empty list of strings")
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
            raise InvalidPolicyError(f"{what} must be a string, a boolean or a number (or a list)")
    return out


# --- principals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Principals:
    """A Principal or NotPrincipal element, compiled."""

    everyone: bool
    arns: frozenset[str]  # IAM principals named by ARN (roles, users, account roots)
    accounts: frozenset[str]  # accounts named (by ID or root ARN)
    services: frozenset[str]  # lower-case service principals
    sessions: frozenset[str]  # role ARNs of the assumed-role sessions named


_SESSION = re.compile(r"^arn:(aws[a-z-]*):sts::([0-9]{12}):assumed-role/([^/]+)/.+$")


def _compile_principals(principal: Any, element: str) -> _Principals:
    if principal == "*":
        return _Principals(True, frozenset(), frozenset(), frozenset(), frozenset())
    if not isinstance(principal, Mapping) or not principal:
        raise InvalidPolicyError(f'{element} must be "*" or a map such as {{"AWS": [...]}}')
    everyone = False
    arns: set[str] = set()
    accounts: set[str] = set()
    services: set[str] = set()
    sessions: set[str] = set()
    for kind, values in principal.items():
        for value in _as_list(values, f"{element}.{kind}"):
            if kind == "AWS":
                root = _ROOT.match(value)
                session = _SESSION.match(value)
                if value == "*":
                    everyone = True
                elif _ACCOUNT_ID.match(value):
                    accounts.add(value)
                elif root:
                    accounts.add(root.group(1))
                elif session:
                    role = f"arn:{session.group(1)}:iam::{session.group(2)}:role/{session.group(3)}"
                    sessions.add(role)
                elif not _has_wildcard(value):
                    arns.add(value)  # an ARN, or the unique ID AWS shows for a deleted one
                else:
                    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html:
                    # a principal is "*" or a whole ARN or account ID; no partial wildcards.
                    raise InvalidPolicyError(f"{element}.AWS {value!r} is not a principal")
            elif kind == "Service":
                services.add(value.lower())
            elif kind in ("Federated", "CanonicalUser"):
                continue  # never one of the principals gen's requests come from
            else:
                raise InvalidPolicyError(f"{element} type {kind!r} does not exist")
    return _Principals(
        everyone, frozenset(arns), frozenset(accounts), frozenset(services), frozenset(sessions)
    )


def _principal_match(p: _Principals, request: Request) -> tuple[bool, bool]:
    """(matches, through the account only) for a Principal element."""
    if p.everyone:
        return True, False
    if request.is_service:
        return request.principal.lower() in p.services, False
    if request.principal in p.arns:
        return True, False
    if request.principal in p.sessions:
        raise OutOfScopeError(
            "the statement names one assumed-role session of the principal's role; gen's "
            "requests stand for every session"
        )
    if request.principal_account in p.accounts:
        if _ROOT.match(request.principal):
            return True, False  # the account's root user is the account principal itself
        return True, True
    return False, False


def _not_principal_exempts(p: _Principals, request: Request) -> bool:
    """Whether a NotPrincipal element exempts the request's principal from its statement.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html:
    only the principals listed are exempt; AWS may check the account, then the role, so the
    account's ARN must be listed with the role's ("Otherwise, the policy might deny access to
    the entire account"). Naming the account alone exempts its root user, not its roles."""
    if p.everyone:
        return True
    if request.is_service:
        return request.principal.lower() in p.services
    if _ROOT.match(request.principal):
        return request.principal_account in p.accounts or request.principal in p.arns
    named = request.principal in p.arns or request.principal in p.sessions
    if not named:
        return False
    if request.principal in p.sessions and request.principal not in p.arns:
        raise OutOfScopeError("NotPrincipal names one assumed-role session of the role")
    if request.principal_account in p.accounts:
        return True
    raise OutOfScopeError(
        "NotPrincipal names the role but not its account: AWS may deny the whole account"
    )


# --- policy variables ------------------------------------------------------------------------


class _Unresolved(Exception):
    """A policy variable has no single value in the request: the statement does not apply."""


def _substitute(text: str, request: Request) -> str:
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


def _arn_compare(pattern: str, value: str) -> bool:
    regex = _arn_regex(pattern, True)
    return regex is not None and regex.fullmatch(value) is not None


_STRING_OPS: dict[str, tuple[Compare, bool]] = {
    "StringEquals": (lambda p, v: _unliteral(p) == v, False),
    "StringNotEquals": (lambda p, v: _unliteral(p) == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: _unliteral(p).lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: _unliteral(p).lower() == v.lower(), True),
    "StringLike": (lambda p, v: glob_match(p, v), False),
    "StringNotLike": (lambda p, v: glob_match(p, v), True),
    "ArnEquals": (_arn_compare, False),
    "ArnLike": (_arn_compare, False),
    "ArnNotEquals": (_arn_compare, True),
    "ArnNotLike": (_arn_compare, True),
    "Bool": (lambda p, v: _unliteral(p).lower() == v.lower(), False),
}
_ARN_OPS = frozenset({"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"})
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html:
# the operators AWS defines; gen models those in _STRING_OPS and Null, the others are valid but
# out of scope.
_AWS_OPERATORS = frozenset(
    {
        *_STRING_OPS,
        "Null",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
    }
)


@dataclass(frozen=True)
class _Condition:
    operator: str  # as written
    key: str
    qualifier: str  # "", "ForAnyValue", "ForAllValues"
    if_exists: bool
    op: str  # the base operator
    values: tuple[str, ...]
    variables: bool  # some value holds ${...}
    null_wanted: tuple[bool, ...] = ()

    def holds(self, request: Request) -> bool:
        values = request.value(self.key)
        if self.op == "Null":
            absent = not values
            return any(w == absent for w in self.null_wanted)
        compare, negated = _STRING_OPS[self.op]
        if self.variables:
            resolved = []
            for v in self.values:
                try:
                    resolved.append(_substitute(v, request))
                except _Unresolved:
                    continue  # a value whose variable does not resolve matches nothing
        else:
            resolved = list(self.values)
        qualifier = self.qualifier
        if values is None or (qualifier and not values):
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html:
            # ForAnyValue with a missing or empty key is false (IfExists does not change that);
            # ForAllValues is then true (vacuously: no value fails).
            if qualifier == "ForAnyValue":
                return False
            if qualifier == "ForAllValues" or self.if_exists:
                return True
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


def _compile_condition(operator: str, key: str, raw: Any, variables: bool) -> _Condition:
    qualifier = ""
    op = operator
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if op.startswith(prefix):
            qualifier, op = prefix[:-1], op[len(prefix) :]
    if_exists = op.endswith("IfExists") and op != "IfExists"
    if if_exists:
        op = op[: -len("IfExists")]
    if op not in _AWS_OPERATORS:
        raise InvalidPolicyError(f"condition operator {operator} does not exist")
    values = tuple(_condition_values(raw, f"Condition.{operator}.{key}"))
    if op == "Null":
        if qualifier or if_exists:
            raise InvalidPolicyError(f"condition operator {operator} is not valid")
        wanted = tuple(v.lower() == "true" for v in values)
        return _Condition(operator, key, "", False, op, values, False, wanted)
    if op not in _STRING_OPS:
        raise OutOfScopeError(f"condition operator {operator} is not modelled")
    if op in _ARN_OPS:
        for v in values:
            if not (variables and "${" in v):  # one with a variable: checked once substituted
                _arn_regex(v, True)  # raises for a value AWS refuses
    has_vars = variables and any("${" in v for v in values)
    return _Condition(operator, key, qualifier, if_exists, op, values, has_vars)


# --- one statement, compiled -----------------------------------------------------------------


@dataclass(frozen=True)
class _Actions:
    everything: bool
    exact: frozenset[str]  # lower-case action names without wildcards
    regex: re.Pattern[str] | None  # the patterns with wildcards, as one case-insensitive regex

    def matches(self, action_lower: str) -> bool:
        if self.everything or action_lower in self.exact:
            return True
        return self.regex is not None and self.regex.fullmatch(action_lower) is not None


def _compile_actions(raw: Any, element: str) -> _Actions:
    return _actions(tuple(_as_list(raw, element)), element)


@functools.lru_cache(maxsize=8192)
def _actions(patterns: tuple[str, ...], element: str) -> _Actions:
    exact: set[str] = set()
    wild: list[str] = []
    everything = False
    for p in patterns:
        if p == "*":
            everything = True
        elif not _ACTION.match(p):
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html:
            # "service:action"; a wildcard in the service prefix (`*:GetObject`) or an action
            # without one (`s3*`) is no action.
            raise InvalidPolicyError(f"{element} {p!r} is not service:action")
        elif _has_wildcard(p):
            wild.append(_glob_regex(p.lower()))
        else:
            exact.add(p.lower())
    regex = re.compile("|".join(f"(?:{w})" for w in wild), re.IGNORECASE) if wild else None
    return _Actions(everything, frozenset(exact), regex)


@dataclass(frozen=True)
class _Resources:
    patterns: tuple[str, ...]
    regexes: tuple[re.Pattern[str] | None, ...]  # None: holds a policy variable
    errors: tuple[str, ...]  # per pattern: why it cannot be decided ("" when it can)

    def matches(self, request: Request, negated: bool) -> bool:
        """Whether a pattern matches the resource (for NotResource: whether the statement is
        kept out). Raises OutOfScopeError when that turns on a pattern gen cannot decide."""
        arn = request.resource
        undecided = ""
        for pattern, regex, error in zip(self.patterns, self.regexes, self.errors, strict=True):
            if error:
                undecided = error
                continue
            if regex is None:
                try:
                    if arn_matches(_substitute(pattern, request), arn):
                        return True
                except _Unresolved as exc:
                    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html:
                    # a variable whose key is absent from the request matches nothing. In a
                    # NotResource that would widen the statement: gen does not guess there.
                    if negated:
                        undecided = f"NotResource {pattern!r}: ${{{exc}}} has no value"
            elif regex.fullmatch(arn) is not None:
                return True
        if undecided:
            raise OutOfScopeError(undecided)
        return False


def _compile_resources(raw: Any, element: str, variables: bool) -> _Resources:
    return _resources(tuple(_as_list(raw, element)), variables)


@functools.lru_cache(maxsize=8192)
def _resources(patterns: tuple[str, ...], variables: bool) -> _Resources:
    regexes: list[re.Pattern[str] | None] = []
    errors: list[str] = []
    for p in patterns:
        error = ""
        regex = None
        if variables and "${" in p:
            pass  # checked once substituted, request by request
        else:
            try:
                regex = _arn_regex(p, False)
            except InvalidPolicyError:
                raise
            except OutOfScopeError as exc:
                error = str(exc)
            if regex is None and not error:
                regex = re.compile(r"(?!)")
        regexes.append(regex)
        errors.append(error)
    return _Resources(patterns, tuple(regexes), tuple(errors))


@dataclass(frozen=True)
class _Statement:
    index: int
    sid: str
    effect: str
    principal: _Principals | None
    not_principal: _Principals | None
    actions: _Actions
    not_action: bool
    resources: _Resources | None
    not_resource: bool
    conditions: tuple[_Condition, ...]
    undecidable: str  # why the statement cannot be evaluated ("" when it can)

    def __str__(self) -> str:
        return self.sid or f"statement #{self.index + 1}"

    def applies(self, request: Request) -> tuple[bool, bool]:
        """(applies, through the account only). Raises OutOfScopeError only when the answer
        turns on what gen cannot decide: when every other element applies."""
        if self.actions.matches(request.action_lower) == self.not_action:
            return False, False
        account_level = False
        # An unmodelled condition is ANDed with the rest: when the rest fails, it is decided.
        pending = OutOfScopeError(self.undecidable) if self.undecidable else None
        try:
            if self.principal is not None:
                matched, account_level = _principal_match(self.principal, request)
                if not matched:
                    return False, False
            elif self.not_principal is not None and _not_principal_exempts(
                self.not_principal, request
            ):
                return False, False
        except OutOfScopeError as exc:
            pending = pending or exc
        # No Resource in a resource policy: the resource the policy is attached to.
        if self.resources is not None:
            try:
                if self.resources.matches(request, self.not_resource) == self.not_resource:
                    return False, False
            except OutOfScopeError as exc:
                pending = pending or exc
        for condition in self.conditions:
            if not condition.holds(request):
                return False, False
        if pending is not None:
            raise pending
        return True, account_level


def _compile_statement(
    i: int, st: Mapping[str, Any], resource_policy: bool, variables: bool
) -> _Statement:
    """Raises InvalidPolicyError for a statement AWS would refuse."""
    unknown = set(st) - _KNOWN_ELEMENTS
    if unknown:
        raise InvalidPolicyError(f"policy element {sorted(unknown)[0]} does not exist")
    effect = st.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise InvalidPolicyError(f"Effect must be Allow or Deny, not {effect!r}")
    if ("Action" in st) == ("NotAction" in st):
        raise InvalidPolicyError("a statement needs exactly one of Action and NotAction")
    if "Resource" in st and "NotResource" in st:
        raise InvalidPolicyError("a statement cannot have both Resource and NotResource")
    if "Principal" in st and "NotPrincipal" in st:
        raise InvalidPolicyError("a statement cannot have both Principal and NotPrincipal")
    has_principal = "Principal" in st or "NotPrincipal" in st
    if has_principal != resource_policy:
        raise InvalidPolicyError(
            "a resource policy statement needs a Principal"
            if resource_policy
            else "an identity policy statement cannot name a Principal"
        )
    if not resource_policy and "Resource" not in st and "NotResource" not in st:
        raise InvalidPolicyError("an identity policy statement needs a Resource")
    if "NotPrincipal" in st and effect == "Allow":
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html:
        # "NotPrincipal must be used with "Effect":"Deny". Using it with "Effect":"Allow" is
        # not supported."
        raise InvalidPolicyError("NotPrincipal is only supported with Effect Deny")
    sid = str(st.get("Sid", ""))
    principal = _compile_principals(st["Principal"], "Principal") if "Principal" in st else None
    not_principal = (
        _compile_principals(st["NotPrincipal"], "NotPrincipal") if "NotPrincipal" in st else None
    )
    not_action = "NotAction" in st
    actions = _compile_actions(st["NotAction" if not_action else "Action"], "Action")
    not_resource = "NotResource" in st
    resources = None
    if "Resource" in st or not_resource:
        element = "NotResource" if not_resource else "Resource"
        resources = _compile_resources(st[element], element, variables)
    conditions: list[_Condition] = []
    undecidable = ""
    block = st.get("Condition")
    if block is not None:
        if not isinstance(block, Mapping):
            raise InvalidPolicyError("Condition must be a map of operators")
        for operator, keys in block.items():
            if not isinstance(keys, Mapping):
                raise InvalidPolicyError(f"Condition.{operator} must be a map of keys")
            for key, raw in keys.items():
                try:
                    conditions.append(_compile_condition(str(operator), str(key), raw, variables))
                except InvalidPolicyError:
                    raise
                except OutOfScopeError as exc:
                    undecidable = undecidable or str(exc)
    return _Statement(
        i,
        sid,
        str(effect),
        principal,
        not_principal,
        actions,
        not_action,
        resources,
        not_resource,
        tuple(conditions),
        undecidable,
    )


@dataclass(frozen=True)
class _Policy:
    statements: tuple[_Statement, ...]
    invalid: str  # why AWS would refuse the policy ("" when valid)

    @property
    def not_principal(self) -> bool:
        return any(st.not_principal is not None for st in self.statements)


def _compile_policy(document: Document, resource_policy: bool) -> _Policy:
    try:
        if not isinstance(document, Mapping):
            raise InvalidPolicyError("a policy must be a JSON object")
        raw = document.get("Statement")
        statements = raw if isinstance(raw, list) else [raw] if raw is not None else []
        if not statements:
            raise InvalidPolicyError("the policy has no Statement")
        variables = document.get("Version") == VERSION
        compiled = []
        for i, st in enumerate(statements):
            if not isinstance(st, Mapping):
                raise InvalidPolicyError("each Statement must be a JSON object")
            try:
                compiled.append(_compile_statement(i, st, resource_policy, variables))
            except InvalidPolicyError as exc:
                sid = st.get("Sid")
                raise InvalidPolicyError(f"{sid or f'statement #{i + 1}'}: {exc}") from None
        return _Policy(tuple(compiled), "")
    except InvalidPolicyError as exc:
        return _Policy((), str(exc))


# Compiled policies by the identity of their document: gen's proofs ask about the same few
# documents thousands of times. The entry keeps the document alive, so its id is not reused.
_CACHE: dict[tuple[int, bool], tuple[Document, _Policy]] = {}
_CACHE_SIZE = 4096


def _compiled(document: Document, resource_policy: bool) -> _Policy:
    key = (id(document), resource_policy)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is document:
        return hit[1]
    policy = _compile_policy(document, resource_policy)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = (document, policy)
    return policy


# --- one policy ------------------------------------------------------------------------------


def evaluate_policy(
    document: Document, request: Request, *, resource_policy: bool, trust: bool = False
) -> PolicyResult:
    """The effect of one policy on one request: a matching Deny wins, then a matching Allow.

    A policy AWS would refuse is OUT_OF_SCOPE with `invalid` set; a statement gen cannot
    evaluate makes the result OUT_OF_SCOPE unless what it could add cannot change the answer.
    """
    policy = _compiled(document, resource_policy)
    if policy.invalid:
        return PolicyResult(
            Effect.OUT_OF_SCOPE, reason=f"invalid policy: {policy.invalid}", invalid=True
        )
    if trust and policy.not_principal:
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html:
        # "You cannot use the NotPrincipal element in ... an IAM role trust policy."
        return PolicyResult(
            Effect.OUT_OF_SCOPE,
            reason="invalid policy: a role trust policy cannot use NotPrincipal",
            invalid=True,
        )
    allows: list[Match] = []
    denies: list[Match] = []
    undecided: dict[str, str] = {}
    for st in policy.statements:
        try:
            applies, account_level = st.applies(request)
        except _Unresolved:
            continue  # a variable without a value makes the statement invalid: it never applies
        except OutOfScopeError as exc:
            undecided.setdefault(st.effect, f"{st}: {exc}")
            continue
        if applies:
            (denies if st.effect == "Deny" else allows).append(
                Match(st.index, st.sid, st.effect, account_level)
            )
    if denies:
        return PolicyResult(Effect.DENY, tuple(denies))
    if "Deny" in undecided:
        return PolicyResult(Effect.OUT_OF_SCOPE, reason=undecided["Deny"])
    if allows:
        if "Allow" in undecided and all(m.account_level for m in allows):
            # The undecided Allow may name the principal itself, which an account-level Allow
            # does not: whether the resource side alone allows is not known.
            return PolicyResult(
                Effect.OUT_OF_SCOPE,
                reason=f"{undecided['Allow']} (the allowing statements name only the account)",
            )
        return PolicyResult(Effect.ALLOW, tuple(allows))
    if undecided:
        return PolicyResult(Effect.OUT_OF_SCOPE, reason=next(iter(undecided.values())))
    return PolicyResult(Effect.NONE)


def evaluate_identity(documents: Sequence[Document], request: Request) -> PolicyResult:
    """All the identity policies of a principal, taken together."""
    if len(documents) == 1:
        return evaluate_policy(documents[0], request, resource_policy=False)
    results = [evaluate_policy(d, request, resource_policy=False) for d in documents]
    for r in results:
        if r.invalid:  # AWS refuses the policy: gen judges nothing
            return r
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
        else evaluate_policy(
            resource_policy, request, resource_policy=True, trust=kind is ResourceKind.ROLE_TRUST
        )
    )

    def decide(outcome: Outcome, reason: str, by_grants: Sequence[str] = ()) -> Decision:
        return Decision(outcome, reason, identity, resource, tuple(by_grants))

    for name, result in (("identity policy", identity), ("resource policy", resource)):
        if result is not None and result.invalid:  # AWS refuses it: gen judges nothing
            return decide(Outcome.OUT_OF_SCOPE, f"the {name} is an {result.reason}")
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
