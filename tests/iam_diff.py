"""Differential testing of gen's IAM evaluator against an independent one.

The oracle is @cloud-copilot/iam-simulate (npm, tools/iam-simulate, installed by
`make install`), an implementation of AWS's documented evaluation logic. `generate(seed, n)`
makes seeded random requests in the shapes gen renders and users write: identity, bucket, key,
ECR, model package group and trust policies; Allow/Deny; Action/NotAction;
Resource/NotResource; principal forms; condition operators with IfExists and set qualifiers;
same- and cross-account. `run(cases)` asks both evaluators and classifies every answer.

Classes (see `Outcome` below):
- agree: both give the same decision (or both refuse the policy as invalid);
- gen-refuses: gen answers out-of-scope (a policy AWS would refuse, or one it does not model);
  not a disagreement, but it must stay rare;
- known:<name>: a disagreement the reviewed allow-list (tests/iam_cases/diff_allowlist.yaml)
  explains, with the AWS page that shows which side is right;
- unexplained:<gen>/<oracle>: a disagreement nobody has explained: a failure.

Used by tests/test_iam_diff.py (a small seeded batch), scripts/diff_eval.py (`make diff-eval`,
a large batch) and scripts/bench_eval.py (the speed benchmark's fixed batch).
"""

from __future__ import annotations

import json
import random
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.iam.evaluator import Decision, Outcome, Request, ResourceKind, authorize

REPO = Path(__file__).resolve().parent.parent
ORACLE_DIR = REPO / "tools" / "iam-simulate"
ORACLE = ORACLE_DIR / "oracle.mjs"
ALLOWLIST = Path(__file__).parent / "iam_cases" / "diff_allowlist.yaml"

HOME = "111122223333"  # the resources' account
OTHER = "444455556666"  # another account
REGION = "us-east-1"
SERVICE = "sagemaker.amazonaws.com"
ROLES = {
    "Alice": HOME,
    "Bob": HOME,
    "Carol": OTHER,
}
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
V = "2012-10-17"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ROLES[name]}:role/{name}"


@dataclass
class Case:
    index: int
    shape: str  # bucket | object | key | ecr | ecr-token | group | package | trust
    principal: str  # a role ARN, or a service principal
    principal_account: str  # "" for a service principal
    action: str
    resource: str
    resource_account: str
    kind: ResourceKind
    context: dict[str, list[str]]
    identity: list[dict[str, Any]] | None  # None: a service principal
    resource_policy: dict[str, Any] | None

    def oracle_request(self) -> dict[str, Any]:
        """The request as iam-simulate takes it: a role's request comes from a session."""
        principal = self.principal
        if principal.startswith("arn:aws:iam::") and ":role/" in principal:
            account = principal.split(":")[4]
            name = principal.rsplit("/", 1)[1]
            principal = f"arn:aws:sts::{account}:assumed-role/{name}/gen-session"
        context: dict[str, Any] = {}
        for key, values in self.context.items():
            context[key] = values if key in _ARRAY_KEYS else values[0]
        return {
            "principal": principal,
            "action": self.action,
            "resource": self.resource,
            "resourceAccount": self.resource_account,
            "context": context,
            "identityPolicies": self.identity or [],
            "resourcePolicy": self.resource_policy,
        }

    def gen_decision(self, dropped: Sequence[str] = ()) -> Decision:
        context = {k: tuple(v) for k, v in self.context.items() if k not in dropped}
        request = Request(
            self.principal, self.action, self.resource, self.principal_account, context
        )
        return authorize(
            request,
            resource_account=self.resource_account,
            identity_policies=self.identity,
            resource_policy=self.resource_policy,
            kind=self.kind,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "shape": self.shape,
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "resource_account": self.resource_account,
            "kind": str(self.kind),
            "context": self.context,
            "identity": self.identity,
            "resource_policy": self.resource_policy,
        }


_ARRAY_KEYS = frozenset({"aws:CalledVia", "aws:PrincipalServiceNamesList"})

# --- shapes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    name: str
    kind: ResourceKind
    actions: tuple[str, ...]
    action_patterns: tuple[str, ...]  # wildcards a policy may use
    resources: tuple[str, ...]  # ARNs a request may name ({a}: the resource's account)
    resource_patterns: tuple[str, ...]  # what a policy may name
    foreign_patterns: tuple[str, ...] = ()  # ARNs of other resources
    resource_policy: bool = True


_BUCKET = "gen-models"
SHAPES: tuple[_Shape, ...] = (
    _Shape(
        "object",
        ResourceKind.GENERIC,
        ("s3:GetObject", "s3:PutObject", "s3:GetObjectVersion", "s3:DeleteObject"),
        ("s3:*", "s3:Get*", "s3:*Object", "s3:GetObject*", "s3:?etObject"),
        (f"arn:aws:s3:::{_BUCKET}/models/m.tar.gz", f"arn:aws:s3:::{_BUCKET}/data/x.csv"),
        (
            f"arn:aws:s3:::{_BUCKET}/*",
            f"arn:aws:s3:::{_BUCKET}/models/*",
            f"arn:aws:s3:::{_BUCKET}/models/m.tar.gz",
            "arn:aws:s3:::gen-*/*",
            f"arn:aws:s3:::{_BUCKET}/${{aws:PrincipalTag/team}}/*",
            "arn:aws:s3:::*",
            "arn:aws:s3:*",
            f"arn:aws:s3:::{_BUCKET}/model?/*",
        ),
        (f"arn:aws:s3:::{_BUCKET}", "arn:aws:s3:::other-bucket/*"),
    ),
    _Shape(
        "bucket",
        ResourceKind.GENERIC,
        ("s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketPolicy"),
        ("s3:*", "s3:List*", "s3:GetBucket*"),
        (f"arn:aws:s3:::{_BUCKET}",),
        (f"arn:aws:s3:::{_BUCKET}", "arn:aws:s3:::gen-*", "arn:aws:s3:*", "arn:aws:s3:::*"),
        (f"arn:aws:s3:::{_BUCKET}/*",),
    ),
    _Shape(
        "key",
        ResourceKind.KMS_KEY,
        ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:Encrypt", "kms:CreateGrant"),
        ("kms:*", "kms:GenerateDataKey*", "kms:Describe*", "kms:*crypt"),
        (f"arn:aws:kms:{REGION}:{{a}}:key/{KEY_ID}",),
        (
            f"arn:aws:kms:{REGION}:{{a}}:key/*",
            f"arn:aws:kms:{REGION}:{{a}}:key/{KEY_ID}",
            "arn:aws:kms:*:{a}:key/*",
            f"arn:aws:kms:{REGION}:*",
            "arn:aws:kms:*",
        ),
        (f"arn:aws:kms:{REGION}:{{a}}:alias/gen",),
    ),
    _Shape(
        "ecr",
        ResourceKind.GENERIC,
        (
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchCheckLayerAvailability",
            "ecr:PutImage",
        ),
        ("ecr:*", "ecr:BatchGet*", "ecr:Get*", "ecr:Batch*"),
        (f"arn:aws:ecr:{REGION}:{{a}}:repository/gen/serving",),
        (
            f"arn:aws:ecr:{REGION}:{{a}}:repository/gen/serving",
            f"arn:aws:ecr:{REGION}:{{a}}:repository/gen/*",
            "arn:aws:ecr:*:{a}:repository/*",
            f"arn:aws:ecr:{REGION}:*",
        ),
        (f"arn:aws:ecr:{REGION}:{{a}}:repository/other",),
    ),
    _Shape(
        "ecr-token",
        ResourceKind.GENERIC,
        ("ecr:GetAuthorizationToken",),
        ("ecr:*", "ecr:Get*"),
        ("*",),
        ("*",),
        (f"arn:aws:ecr:{REGION}:{{a}}:repository/gen/serving",),
        resource_policy=False,
    ),
    _Shape(
        "group",
        ResourceKind.GENERIC,
        ("sagemaker:DescribeModelPackageGroup", "sagemaker:DeleteModelPackageGroup"),
        ("sagemaker:*", "sagemaker:Describe*", "sagemaker:*ModelPackageGroup"),
        (f"arn:aws:sagemaker:{REGION}:{{a}}:model-package-group/gen-models",),
        (
            f"arn:aws:sagemaker:{REGION}:{{a}}:model-package-group/gen-models",
            f"arn:aws:sagemaker:{REGION}:{{a}}:model-package-group/*",
            "arn:aws:sagemaker:*:{a}:*",
        ),
        (f"arn:aws:sagemaker:{REGION}:{{a}}:model-package/gen-models/*",),
    ),
    _Shape(
        "package",
        ResourceKind.GENERIC,
        ("sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"),
        ("sagemaker:*", "sagemaker:Describe*", "sagemaker:*ModelPackage"),
        (f"arn:aws:sagemaker:{REGION}:{{a}}:model-package/gen-models/1",),
        (
            f"arn:aws:sagemaker:{REGION}:{{a}}:model-package/gen-models/*",
            f"arn:aws:sagemaker:{REGION}:{{a}}:model-package/*",
            f"arn:aws:sagemaker:{REGION}:{{a}}:model-package/gen-models/?",
        ),
        (f"arn:aws:sagemaker:{REGION}:{{a}}:model-package-group/gen-models",),
    ),
    _Shape(
        "trust",
        ResourceKind.ROLE_TRUST,
        ("sts:AssumeRole", "sts:TagSession"),
        ("sts:*", "sts:AssumeRole*"),
        ("arn:aws:iam::{a}:role/gen-exec",),
        ("arn:aws:iam::{a}:role/gen-exec", "arn:aws:iam::{a}:role/*", "arn:aws:iam::*:role/gen-*"),
        ("arn:aws:iam::{a}:role/other",),
    ),
)

# Patterns AWS refuses; gen must refuse them too (rarely generated).
_INVALID_ACTIONS = ("s3*", "*:GetObject", "kms")
_INVALID_RESOURCES = (
    "arn:aws:s*:::gen-models/*",
    f"arn:aws:kms:{REGION}:{HOME}:k*/{KEY_ID}",
    "arn:aws:s3",
)

# --- random policies -------------------------------------------------------------------------


@dataclass
class _Gen:
    rng: random.Random
    shape: _Shape
    account: str  # the resource's account
    principal: str
    principal_account: str
    context: dict[str, list[str]] = field(default_factory=dict)

    def pick(self, items: Sequence[Any]) -> Any:
        return items[self.rng.randrange(len(items))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def fill(self, text: str) -> str:
        return text.replace("{a}", self.account)

    # -- elements --
    def actions(self, request_action: str) -> Any:
        rng = self.rng
        pool = [*self.shape.actions, *self.shape.action_patterns, "*"]
        other = self.pick([s for s in SHAPES if s is not self.shape])
        pool += list(other.actions[:2])
        if self.chance(0.01):
            pool.append(self.pick(_INVALID_ACTIONS))
        n = 1 + (rng.random() < 0.4) + (rng.random() < 0.15)
        chosen = [self.pick(pool) for _ in range(n)]
        if self.chance(0.5):
            chosen[0] = request_action if self.chance(0.7) else request_action.lower()
        return chosen[0] if n == 1 and self.chance(0.5) else chosen

    def resources(self) -> Any:
        pool = [self.fill(r) for r in (*self.shape.resources, *self.shape.resource_patterns)]
        pool += [self.fill(r) for r in self.shape.foreign_patterns]
        pool.append("*")
        if self.chance(0.01):
            pool.append(self.pick(_INVALID_RESOURCES))
        n = 1 + (self.rng.random() < 0.3)
        chosen = [self.pick(pool) for _ in range(n)]
        return chosen[0] if n == 1 and self.chance(0.5) else chosen

    def principal_value(self) -> Any:
        roles = [role_arn(n) for n in ROLES]
        forms: list[Any] = [
            "*",
            {"AWS": "*"},
            {"AWS": self.pick(roles)},
            {"AWS": self.pick(roles)},
            {"AWS": self.pick([HOME, OTHER])},
            {"AWS": f"arn:aws:iam::{self.pick([HOME, OTHER])}:root"},
            {"AWS": [self.pick(roles), f"arn:aws:iam::{self.pick([HOME, OTHER])}:root"]},
            {"Service": SERVICE},
            {"Service": self.pick([SERVICE, "lambda.amazonaws.com"]), "AWS": self.pick(roles)},
        ]
        if self.principal.startswith("arn:"):
            forms.append({"AWS": self.principal})
        return self.pick(forms)

    def not_principal_value(self) -> Any:
        forms: list[Any] = [
            {"AWS": [self.principal, f"arn:aws:iam::{self.principal_account}:root"]}
            if self.principal_account
            else {"Service": SERVICE},
            {"AWS": f"arn:aws:iam::{self.pick([HOME, OTHER])}:root"},
            {"AWS": [role_arn(self.pick(list(ROLES))), f"arn:aws:iam::{HOME}:root"]},
            {"Service": SERVICE},
        ]
        if self.chance(0.1):
            forms.append({"AWS": role_arn(self.pick(list(ROLES)))})
        return self.pick(forms)

    def condition(self) -> dict[str, Any]:
        rng = self.rng
        block: dict[str, dict[str, Any]] = {}
        for _ in range(1 + (rng.random() < 0.3)):
            op, key, values = self.one_condition()
            block.setdefault(op, {})[key] = values
        return block

    def one_condition(self) -> tuple[str, str, Any]:
        rng = self.rng
        roles = [role_arn(n) for n in ROLES]
        kind = self.pick(
            ["arn", "account", "tag", "bool", "null", "set", "source", "org", "arn", "tag"]
        )
        suffix = "IfExists" if rng.random() < 0.2 else ""
        if kind == "arn":
            op = self.pick(["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "StringLike"])
            values = [
                self.pick(
                    [
                        *roles,
                        f"arn:aws:iam::{HOME}:role/*",
                        "arn:aws:iam::*:role/Al*",
                        f"arn:aws:iam::{OTHER}:role/?arol",
                    ]
                )
                for _ in range(1 + (rng.random() < 0.3))
            ]
            if rng.random() < 0.01 and op.startswith("Arn"):
                values = ["arn:aws:iam:*"]  # AWS refuses: fewer than six parts
            return op + suffix, "aws:PrincipalArn", values
        if kind == "account":
            op = self.pick(["StringEquals", "StringNotEquals", "StringLike"])
            key = self.pick(["aws:PrincipalAccount", "aws:ResourceAccount"])
            return op + suffix, key, self.pick([HOME, OTHER, [HOME, OTHER], "1111*"])
        if kind == "tag":
            op = self.pick(
                [
                    "StringEquals",
                    "StringNotEquals",
                    "StringEqualsIgnoreCase",
                    "StringNotEqualsIgnoreCase",
                    "StringLike",
                    "StringNotLike",
                ]
            )
            value = self.pick(
                ["ml", "ML", "data", "m?", "*", ["ml", "data"], "${aws:PrincipalTag/team}"]
            )
            return op + suffix, "aws:PrincipalTag/team", value
        if kind == "bool":
            return "Bool" + suffix, "aws:SecureTransport", self.pick(["true", "false", True, False])
        if kind == "null":
            key = self.pick(["aws:PrincipalTag/team", "aws:SourceArn", "aws:CalledVia"])
            return "Null", key, self.pick(["true", "false", True])
        if kind == "set":
            qualifier = self.pick(["ForAnyValue:", "ForAllValues:"])
            op = self.pick(["StringEquals", "StringLike", "StringNotEquals", "StringNotLike"])
            values = self.pick(
                [
                    "athena.amazonaws.com",
                    ["athena.amazonaws.com", "sagemaker.amazonaws.com"],
                    "*.amazonaws.com",
                ]
            )
            return qualifier + op + suffix, "aws:CalledVia", values
        if kind == "source":
            if rng.random() < 0.5:
                op = self.pick(["StringEquals", "StringNotEquals"])
                return op + suffix, "aws:SourceAccount", self.pick([HOME, OTHER])
            op = self.pick(["ArnLike", "ArnEquals", "ArnNotLike"])
            return (
                op + suffix,
                "aws:SourceArn",
                self.pick(
                    [
                        f"arn:aws:sagemaker:{REGION}:{HOME}:*",
                        f"arn:aws:sagemaker:{REGION}:{HOME}:training-job/gen-*",
                        f"arn:aws:sagemaker:*:{OTHER}:*",
                    ]
                ),
            )
        if rng.random() < 0.1:  # an operator gen does not model: it must answer out-of-scope
            return "NumericLessThan", "s3:max-keys", "10"
        return "StringEquals" + suffix, "aws:PrincipalOrgID", self.pick(["o-abc123", "o-zzz999"])

    def statement(self, request_action: str, resource_policy: bool) -> dict[str, Any]:
        rng = self.rng
        effect = "Deny" if rng.random() < 0.3 else "Allow"
        st: dict[str, Any] = {"Effect": effect}
        if rng.random() < 0.3:
            st["Sid"] = f"S{rng.randrange(100)}"
        trust = self.shape.kind is ResourceKind.ROLE_TRUST and resource_policy
        if resource_policy:
            # AWS refuses NotPrincipal in a trust policy: rarely, to check gen refuses it too
            if effect == "Deny" and rng.random() < (0.01 if trust else 0.15):
                st["NotPrincipal"] = self.not_principal_value()
            else:
                st["Principal"] = self.principal_value()
        st["NotAction" if rng.random() < 0.15 else "Action"] = self.actions(request_action)
        if not trust and (not resource_policy or rng.random() < 0.8):
            st["NotResource" if rng.random() < 0.12 else "Resource"] = self.resources()
        if rng.random() < 0.4:
            st["Condition"] = self.condition()
        return st

    def policy(self, request_action: str, resource_policy: bool) -> dict[str, Any]:
        n = 1 + (self.rng.random() < 0.5) + (self.rng.random() < 0.25)
        return {
            "Version": V,
            "Statement": [self.statement(request_action, resource_policy) for _ in range(n)],
        }


def _context(g: _Gen) -> dict[str, list[str]]:
    rng = g.rng
    ctx: dict[str, list[str]] = {}
    if g.principal_account:
        ctx["aws:PrincipalArn"] = [g.principal]
        ctx["aws:PrincipalAccount"] = [g.principal_account]
        if rng.random() < 0.6:
            ctx["aws:PrincipalTag/team"] = [g.pick(["ml", "data", "ML"])]
        if rng.random() < 0.5:
            ctx["aws:PrincipalOrgID"] = [g.pick(["o-abc123", "o-zzz999"])]
    else:
        if rng.random() < 0.7:
            ctx["aws:SourceAccount"] = [g.pick([HOME, OTHER])]
        if rng.random() < 0.6:
            ctx["aws:SourceArn"] = [
                g.pick(
                    [
                        f"arn:aws:sagemaker:{REGION}:{HOME}:training-job/gen-train",
                        f"arn:aws:sagemaker:{REGION}:{OTHER}:endpoint/x",
                    ]
                )
            ]
    if rng.random() < 0.7:
        ctx["aws:SecureTransport"] = [g.pick(["true", "false"])]
    if rng.random() < 0.4:
        ctx["aws:CalledVia"] = g.pick(
            [["athena.amazonaws.com"], ["sagemaker.amazonaws.com", "athena.amazonaws.com"]]
        )
    ctx["aws:ResourceAccount"] = [g.account]
    return ctx


def generate(seed: int, n: int) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for index in range(n):
        shape = SHAPES[rng.randrange(len(SHAPES))]
        account = HOME if rng.random() < 0.75 else OTHER
        service = rng.random() < 0.15 and shape.name != "ecr-token"
        if service:
            principal, principal_account = SERVICE, ""
        else:
            name = rng.choice(list(ROLES))
            principal, principal_account = role_arn(name), ROLES[name]
        g = _Gen(rng, shape, account, principal, principal_account)
        action = g.pick(shape.actions)
        resource = g.fill(g.pick(shape.resources))
        g.context = _context(g)
        identity = None
        if not service:
            identity = [g.policy(action, False) for _ in range(rng.choice([0, 1, 1, 1, 2]))]
        needs_policy = shape.kind is not ResourceKind.GENERIC  # every key and role has one
        resource_policy = None
        if shape.resource_policy and (needs_policy or rng.random() < 0.7):
            resource_policy = g.policy(action, True)
        cases.append(
            Case(
                index,
                shape.name,
                principal,
                principal_account,
                action,
                resource,
                account,
                shape.kind,
                g.context,
                identity,
                resource_policy,
            )
        )
    return cases


# --- the requests `gen verify` asks ------------------------------------------------------------


def _role_name(arn: str) -> bool:
    return arn.startswith("arn:aws:iam::") and (":role/" in arn or arn.endswith(":root"))


def verify_cases(env_dirs: Sequence[Path]) -> list[Case]:
    """Every request `gen verify` decides on these environments (path proofs and negative
    proofs), with the very documents it renders: the shapes gen renders. Requests that turn
    on KMS grants (iam-simulate models none) or come from an account root are left out."""
    from generator.proofs.directory import verify_directory
    from generator.proofs.verify import probes as verify  # where verify calls the evaluator

    recorded: list[Case] = []
    original = authorize

    def record(request: Request, **kwargs: Any) -> Decision:
        decision = original(request, **kwargs)
        identity = kwargs.get("identity_policies")
        resource_policy = kwargs.get("resource_policy")
        if kwargs.get("grants") or request.principal.endswith(":root"):
            return decision
        if request.principal.startswith("arn:") and not _role_name(request.principal):
            return decision
        recorded.append(
            Case(
                len(recorded),
                "verify",
                request.principal,
                request.principal_account,
                request.action,
                request.resource,
                str(kwargs["resource_account"]),
                kwargs.get("kind", ResourceKind.GENERIC),
                {k: list(v) for k, v in request.context.items()},
                # the very objects verify passes: the evaluator's cache knows them
                None if identity is None else list(identity),
                resource_policy,
            )
        )
        return decision

    setattr(verify, "authorize", record)  # noqa: B010 (mypy: verify does not re-export it)
    try:
        for env_dir in env_dirs:
            verify_directory(env_dir)
    finally:
        setattr(verify, "authorize", original)  # noqa: B010
    return recorded


# --- running both ----------------------------------------------------------------------------


class OracleMissingError(RuntimeError):
    pass


def ask_oracle(cases: Sequence[Case]) -> list[dict[str, Any]]:
    """iam-simulate's answers, one node process for the whole batch."""
    if not (ORACLE_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise OracleMissingError(f"{ORACLE_DIR}/node_modules is missing: run `make install`")
    payload = json.dumps([c.oracle_request() for c in cases])
    proc = subprocess.run(
        ["node", str(ORACLE)],
        input=payload,
        capture_output=True,
        text=True,
        cwd=ORACLE_DIR,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the oracle failed ({proc.returncode}): {proc.stderr[-2000:]}")
    answers: list[dict[str, Any]] = json.loads(proc.stdout)
    if len(answers) != len(cases):
        raise RuntimeError(f"the oracle answered {len(answers)} of {len(cases)} requests")
    return answers


_ORACLE_OUTCOMES = {
    "Allowed": Outcome.ALLOW,
    "ExplicitlyDenied": Outcome.EXPLICIT_DENY,
    "ImplicitlyDenied": Outcome.IMPLICIT_DENY,
}


@dataclass(frozen=True)
class Result:
    case: Case
    gen: Decision
    oracle: str  # Allowed | ExplicitlyDenied | ImplicitlyDenied | error
    oracle_errors: str
    klass: str


def load_allowlist(path: Path = ALLOWLIST) -> dict[str, dict[str, str]]:
    entries = yaml.safe_load(path.read_text()) or []
    return {str(e["class"]): e for e in entries}


def _statements(doc: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not doc:
        return []
    raw = doc.get("Statement")
    if isinstance(raw, list):
        return raw
    return [raw] if isinstance(raw, dict) else []


def _known_class(case: Case, gen: Decision, oracle: Outcome, dropped: Sequence[str]) -> str:
    """The allow-listed explanation of a disagreement, "" when there is none.

    Each test here is narrow: it re-evaluates the case with the feature in question changed
    and names the class only when that alone accounts for the difference."""
    # NotPrincipal naming the principal's account but not the principal itself: AWS exempts
    # only the listed principals (gen), iam-simulate exempts the account's principals too.
    # Counterfactual: list the principal itself too; the class applies when that alone makes
    # gen give the oracle's answer.
    if gen.outcome is Outcome.EXPLICIT_DENY and case.principal_account and case.resource_policy:
        changed = False
        statements = []
        for st in _statements(case.resource_policy):
            names = st.get("NotPrincipal", {})
            aws = names.get("AWS", []) if isinstance(names, dict) else []
            aws = aws if isinstance(aws, list) else [aws]
            root = f"arn:aws:iam::{case.principal_account}:root"
            if (root in aws or case.principal_account in aws) and case.principal not in aws:
                st = {**st, "NotPrincipal": {**names, "AWS": [*aws, case.principal]}}
                changed = True
            statements.append(st)
        if changed:
            policy = {**case.resource_policy, "Statement": statements}
            again = Case(**{**case.__dict__, "resource_policy": policy})
            if again.gen_decision(dropped).outcome is oracle:
                return "notprincipal-account-only"
    return ""


def classify(case: Case, gen: Decision, answer: dict[str, Any], allowlist: set[str]) -> str:
    dropped = answer.get("ignoredContextKeys") or ()
    oracle = str(answer.get("result"))
    if gen.outcome is Outcome.OUT_OF_SCOPE:
        return "gen-refuses:invalid" if gen.invalid else "gen-refuses:undecidable"
    if oracle == "error":
        return f"unexplained:{gen.outcome}/oracle-error"
    expected = _ORACLE_OUTCOMES[oracle]
    if expected is gen.outcome:
        # iam-simulate's IAM data knows no such resource type for the action: it decided the
        # request without that check (a question for the access model, not the evaluator)
        return f"agree:unchecked-{answer['unchecked']}" if answer.get("unchecked") else "agree"
    known = _known_class(case, gen, expected, dropped)
    if known and known in allowlist:
        return f"known:{known}"
    return f"unexplained:{gen.outcome}/{oracle}"


def run(cases: Sequence[Case], allowlist: set[str] | None = None) -> list[Result]:
    allow = set(load_allowlist()) if allowlist is None else allowlist
    answers = ask_oracle(cases)
    results = []
    for case, answer in zip(cases, answers, strict=True):
        # The context AWS would send: the keys that apply to the action (the oracle knows).
        decision = case.gen_decision(answer.get("ignoredContextKeys") or ())
        klass = classify(case, decision, answer, allow)
        results.append(
            Result(case, decision, str(answer.get("result")), str(answer.get("errors", "")), klass)
        )
    return results


def table(results: Sequence[Result]) -> str:
    counts = Counter(r.klass for r in results)
    width = max((len(k) for k in counts), default=10)
    lines = [f"{'class':<{width}}  {'cases':>7}  {'share':>7}"]
    total = len(results) or 1
    for klass, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"{klass:<{width}}  {n:>7}  {100 * n / total:>6.2f}%")
    lines.append(f"{'total':<{width}}  {len(results):>7}")
    return "\n".join(lines)
