"""`gen verify`: prove the access model against the policy documents.

`verify_documents(env, paths, documents)` takes the access model (`access.access_paths`) and
a `PolicyDocuments` (read from the rendered HCL by `hcl_reader`, or from AWS), evaluates
requests with `iam_eval`, and returns a `VerifyReport`:

- every access path is allowed, by the identity side (the role's inline policy) and by the
  resource side (bucket policy, key policy or KMS grant, repository policy, group policy,
  trust policy). A path whose identity gen does not render (an account root the model
  delegates to, a role that exists outside gen) is proven on the resource side only, and says
  so. Portfolio associations are not IAM: they are checked for presence, and are out of
  scope of the evaluator.
- the negatives are denied: writes by consumers, other prefixes of the bucket, other model
  package groups and versions, roles of the topology on resources they have no path to, a
  role not in the topology in every account, any principal of an account not in the
  topology (and every principal the documents name that the model does not), other services
  and other accounts assuming the roles, plain HTTP to the bucket. Principals whose identity
  policies gen does not render are given the worst case (allowed everything by their own
  account): the resource side alone must deny them. Each side gen renders must deny on its
  own, so a stray statement on either side fails even when the other side still denies.

A failure names the path (or negative), the side, and the statement: the one that should
allow (as gen renders it) or the one that wrongly allows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator import arns, policies
from generator.access import GRANT_OPERATIONS, AccessPath, Condition, Identity, Side
from generator.documents import Document, PolicyDocuments, Source
from generator.environment import Environment
from generator.iam_eval import (
    NOT_MODELLED,
    Decision,
    Effect,
    Grant,
    Outcome,
    PolicyResult,
    Request,
    ResourceKind,
    action_matches,
    arn_matches,
    authorize,
    evaluate_policy,
)

PLACEHOLDER_KEY_ID = "00000000-0000-4000-8000-000000000000"
SENTINEL_ROLE = "GenVerifyRoleNotInTopology"
OTHER_GROUP = "gen-verify-group-not-in-topology"
WORST_CASE: Document = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "WorstCaseOutsideGen", "Effect": "Allow", "Action": "*", "Resource": "*"}
    ],
}
_SERVICES = ("sagemaker.amazonaws.com", "lambda.amazonaws.com", "ec2.amazonaws.com")


@dataclass(frozen=True)
class Association:
    """A Service Catalog portfolio association (JumpStart): not IAM."""

    portfolio: str
    principal: str
    source: Source


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SideReport:
    """One side of a path or negative: what decides it, where it lives, and its verdict."""

    name: str  # "identity policy", "bucket policy", "key policy", "KMS grant", ...
    verdict: str  # allows | denies | explicit-deny | outside-gen | not-applicable | out-of-scope
    statements: tuple[str, ...] = ()  # Sids that allow (or deny, for an explicit deny)
    source: Source | None = None
    note: str = ""

    def describe(self) -> str:
        where = f" ({self.source.file} {self.source.address})" if self.source else ""
        sids = f" [{', '.join(self.statements)}]" if self.statements else ""
        note = f": {self.note}" if self.note else ""
        return f"{self.name}{where} {self.verdict}{sids}{note}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": self.verdict,
            "statements": list(self.statements),
            "file": self.source.file if self.source else None,
            "address": self.source.address if self.source else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class RequestReport:
    principal: str
    action: str
    resource: str
    outcome: str
    reason: str
    identity: SideReport
    resource_side: SideReport
    problems: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        probe: Probe,
        decision: Decision,
        identity: SideReport,
        resource_side: SideReport,
        problems: Sequence[str],
    ) -> RequestReport:
        return cls(
            probe.principal,
            probe.action,
            probe.resource,
            str(decision.outcome),
            decision.reason,
            identity,
            resource_side,
            tuple(problems),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "outcome": self.outcome,
            "reason": self.reason,
            "identity": self.identity.to_json(),
            "resource_side": self.resource_side.to_json(),
            "problems": list(self.problems),
        }


PROVEN = "proven"  # both sides allow (or the identity side, for a same-account path)
RESOURCE_SIDE = "proven-resource-side"  # the identity side is outside gen
OUT_OF_SCOPE = "out-of-scope"  # not IAM (a portfolio association)
FAILED = "failed"
DENIED = "denied"  # a negative that holds


@dataclass(frozen=True)
class PathProof:
    path: AccessPath
    status: str
    identity: SideReport
    resource_side: SideReport
    requests: tuple[RequestReport, ...]
    failures: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status != FAILED

    def to_json(self) -> dict[str, Any]:
        return {
            **self.path.to_json(),
            "status": self.status,
            "identity": self.identity.to_json(),
            "resource_side": self.resource_side.to_json(),
            "requests": [r.to_json() for r in self.requests],
            "failures": list(self.failures),
        }


@dataclass(frozen=True)
class NegativeProof:
    category: str
    title: str
    principal: str
    target: str
    status: str
    requests: tuple[RequestReport, ...]
    failures: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == DENIED

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "title": self.title,
            "principal": self.principal,
            "target": self.target,
            "status": self.status,
            "requests": [r.to_json() for r in self.requests],
            "failures": list(self.failures),
        }


NEGATIVE_CATEGORIES = {
    "consumer-writes": "writes (and administration) beyond a principal's paths",
    "other-prefix": "objects of the bucket outside the artifact prefix",
    "other-group": "model package groups the principal has no path to",
    "other-version": "model package versions a stage does not deploy",
    "no-path": "roles of the topology on resources they have no path to",
    "unknown-role": "a role not in the topology (and roles the documents name beyond the model)",
    "outside-account": "principals of accounts not in the topology",
    "foreign-trust": "roles assumed by another service, or for another account",
    "insecure-transport": "plain HTTP to the bucket is denied explicitly",
}


@dataclass
class VerifyReport:
    environment: str
    paths: list[PathProof] = field(default_factory=list)
    negatives: list[NegativeProof] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_modelled: tuple[str, ...] = NOT_MODELLED

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.paths) and all(n.ok for n in self.negatives)

    @property
    def failures(self) -> list[str]:
        """One line per failure: the path or negative, the side, the statement."""
        out = [f"path {p.path.sid}: {f}" for p in self.paths for f in p.failures]
        out += [f"negative {n.category}: {f}" for n in self.negatives for f in n.failures]
        return out

    @property
    def request_count(self) -> int:
        return sum(len(p.requests) for p in self.paths) + sum(
            len(n.requests) for n in self.negatives
        )

    def counts(self) -> dict[str, int]:
        statuses = [p.status for p in self.paths]
        return {
            "paths": len(self.paths),
            "proven": statuses.count(PROVEN),
            "proven_resource_side": statuses.count(RESOURCE_SIDE),
            "out_of_scope": statuses.count(OUT_OF_SCOPE),
            "paths_failed": statuses.count(FAILED),
            "negatives": len(self.negatives),
            "negatives_denied": sum(1 for n in self.negatives if n.ok),
            "negatives_failed": sum(1 for n in self.negatives if not n.ok),
            "requests": self.request_count,
        }

    def summary_lines(self) -> list[str]:
        """The closing lines every verify report prints: counts, notes, failures, verdict."""
        c = self.counts()
        return [
            f"paths: {c['proven']} proven on both sides, {c['proven_resource_side']} proven on "
            f"the resource side (identity outside gen), {c['out_of_scope']} out of scope "
            f"(not IAM), {c['paths_failed']} failed",
            f"negatives: {c['negatives_denied']} denied, {c['negatives_failed']} failed",
            *(f"note: {note}" for note in self.notes),
            "not modelled (never counted as allowing): " + "; ".join(self.not_modelled),
            *(f"FAIL {failure}" for failure in self.failures),
            "verified" if self.ok else "NOT verified",
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "ok": self.ok,
            "summary": self.counts(),
            "failures": self.failures,
            "paths": [p.to_json() for p in self.paths],
            "negatives": [n.to_json() for n in self.negatives],
            "negative_categories": NEGATIVE_CATEGORIES,
            "notes": self.notes,
            "not_modelled": list(self.not_modelled),
        }

    def json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"


# --- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A resource-side document: what allows requests on one resource."""

    kind: str  # bucket | key | ecr | group | trust | none
    key: str  # bucket name, "training", repository, group name, role ARN
    account: str
    label: str

    @property
    def resource_kind(self) -> ResourceKind:
        return {"key": ResourceKind.KMS_KEY, "trust": ResourceKind.ROLE_TRUST}.get(
            self.kind, ResourceKind.GENERIC
        )


NO_TARGET_KIND = "none"


@dataclass(frozen=True)
class Probe:
    principal: str
    principal_account: str
    action: str
    resource: str
    target: Target
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def request(self) -> Request:
        return Request(
            self.principal, self.action, self.resource, self.principal_account, dict(self.context)
        )


def concrete_resource(resource: str, env: Environment) -> str:
    """A resource ARN a real request would name, for a pattern of the access model."""
    if resource == "*":
        return "*"
    if resource == env.key_arn_in_policies and resource.endswith("key/*"):
        return resource[: -len("*")] + PLACEHOLDER_KEY_ID
    if ":model-package/" in resource:
        resource = resource.replace("*", "1")
    elif resource.startswith("arn:aws:s3:::") and resource.endswith("/*"):
        resource = resource[:-1] + "example/model.tar.gz"
    return resource.replace("*", "example").replace("?", "a")


def concrete_actions(path: AccessPath) -> tuple[str, ...]:
    """The API actions a path stands for. KMS action sets are the grant operations the model
    maps them to (kms:GenerateDataKey* is GenerateDataKey); other wildcards lose the `*`."""
    if path.actions in GRANT_OPERATIONS and all(a.startswith("kms:") for a in path.actions):
        return tuple(f"kms:{op}" for op in GRANT_OPERATIONS[path.actions])
    return tuple(a.rstrip("*") for a in path.actions)


def _satisfying(condition: Condition) -> tuple[str, tuple[str, ...]] | None:
    """A context value that satisfies one condition of the model."""
    if not condition.values:
        return None
    value = condition.values[0]
    if "Like" in condition.operator:
        value = value.replace("*", "example").replace("?", "a")
    if condition.operator.startswith(("StringNot", "ArnNot")) or condition.operator == "Null":
        return None
    return condition.key, (value,)


def base_context(
    principal: str, principal_account: str, extra: Mapping[str, tuple[str, ...]] | None = None
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    ctx: dict[str, tuple[str, ...]] = {"aws:SecureTransport": ("true",)}
    if principal.startswith("arn:"):
        ctx["aws:PrincipalArn"] = (principal,)
        ctx["aws:PrincipalAccount"] = (principal_account,)
        ctx["aws:PrincipalType"] = ("Account",) if principal.endswith(":root") else ("AssumedRole",)
    else:
        ctx["aws:PrincipalServiceName"] = (principal,)
    ctx.update(extra or {})
    return tuple(sorted(ctx.items()))


def path_context(path: AccessPath) -> dict[str, tuple[str, ...]]:
    extra: dict[str, tuple[str, ...]] = {}
    for condition in (*path.conditions, *path.resource_conditions):
        pair = _satisfying(condition)
        if pair is not None:
            extra[pair[0]] = pair[1]
    return extra


def target_of(path: AccessPath, env: Environment) -> Target:
    doc = path.document
    account = path.resource_account
    if path.side is Side.BUCKET_POLICY:
        return Target("bucket", env.bucket_name, account, f"artifact bucket {env.bucket_name}")
    if path.side in (Side.KEY_POLICY, Side.KMS_GRANT):
        alias = env.topology.training.kms_key.alias
        return Target("key", "training", account, f"training output key alias/{alias}")
    if path.side is Side.ECR_REPOSITORY_POLICY:
        repo = doc.split(":", 1)[1]
        return Target("ecr", repo, account, f"ECR repository {repo}")
    if path.side is Side.MODEL_PACKAGE_GROUP_POLICY:
        group = doc.split(":", 1)[1]
        return Target("group", group, account, f"model package group {group}")
    if path.side is Side.TRUST_POLICY:
        role = doc.split(":", 1)[1]
        return Target("trust", role, account, f"role {role}")
    return Target(NO_TARGET_KIND, "", account, "no resource policy")


# These act on a log stream, arn:...:log-group:NAME:log-stream:NAME, which a log-group pattern
# ending in * covers (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html).
_LOG_STREAM_ACTIONS = frozenset({"logs:CreateLogStream", "logs:PutLogEvents"})


def probe_resource(action: str, resource: str, env: Environment) -> str:
    """The resource a real request for `action` would name, under a pattern of the model."""
    if (
        action in _LOG_STREAM_ACTIONS
        and ":log-group:" in resource
        and ":log-stream:" not in resource
    ):
        group = resource[: -len(":*")] if resource.endswith(":*") else resource
        return concrete_resource(group, env) + ":log-stream:example"
    return concrete_resource(resource, env)


def path_probes(path: AccessPath, env: Environment) -> list[Probe]:
    target = target_of(path, env)
    ctx = base_context(path.principal.arn, path.principal.account_id, path_context(path))
    return [
        Probe(
            path.principal.arn,
            path.principal.account_id,
            action,
            probe_resource(action, resource, env),
            target,
            ctx,
        )
        for action in concrete_actions(path)
        for resource in path.resources
    ]


# --- evaluation ------------------------------------------------------------------------------

_SIDE_NAMES = {
    "bucket": "bucket policy",
    "key": "key policy",
    "ecr": "repository policy",
    "group": "group policy",
    "trust": "trust policy",
}
_SOURCE_KINDS = {
    "bucket": "bucket",
    "key": "key",
    "ecr": "ecr",
    "group": "groups",
    "trust": "trust",
}


class _Evaluator:
    def __init__(
        self, env: Environment, paths: Sequence[AccessPath], documents: PolicyDocuments
    ) -> None:
        self.env = env
        self.paths = list(paths)
        self.documents = documents
        self.groups_by_lower = {g.lower(): g for g in documents.groups}

    def resource_document(self, target: Target) -> Document | None:
        d = self.documents
        if target.kind == "bucket":
            return d.bucket.get(target.key)
        if target.kind == "key":
            return d.key.get(target.key)
        if target.kind == "ecr":
            return d.ecr.get(target.key)
        if target.kind == "group":
            return d.groups.get(self.groups_by_lower.get(target.key.lower(), target.key))
        if target.kind == "trust":
            return d.trust.get(target.key)
        return None

    def source(self, kind: str, key: str) -> Source | None:
        if kind == "group":
            key = self.groups_by_lower.get(key.lower(), key)
        return self.documents.sources.get((_SOURCE_KINDS.get(kind, kind), key))

    def grants(self, target: Target) -> list[Grant]:
        if target.kind != "key":
            return []
        return [
            Grant(g.name, g.grantee_principal, g.operations)
            for g in self.documents.grants
            if g.key == target.key
        ]

    def grant_source(self, names: Iterable[str]) -> Source | None:
        for name in names:
            source = self.documents.sources.get(("grants", name))
            if source is not None:
                return source
        return None

    def decide(self, probe: Probe, identity: Sequence[Document] | None) -> Decision:
        return authorize(
            probe.request(),
            resource_account=probe.target.account,
            identity_policies=identity,
            resource_policy=self.resource_document(probe.target),
            kind=probe.target.resource_kind,
            grants=self.grants(probe.target),
        )

    # -- side reports ---------------------------------------------------------------------
    def identity_side(
        self, principal: str, mode: str, decision: Decision, delegated_to: str = ""
    ) -> SideReport:
        if mode == "service":
            return SideReport("identity policy", "not-applicable", note="an AWS service principal")
        if mode != "rendered":
            note = (
                f"outside gen, delegated to account {delegated_to}"
                if delegated_to
                else "outside gen (a role gen does not manage)"
            )
            return SideReport("identity policy", "outside-gen", note=note)
        if not self.documents.identity.get(principal):
            return SideReport(
                "identity policy", "denies", note=f"no inline policy of {principal} was found"
            )
        return _side_report(
            "identity policy", decision.identity, self.source("identity", principal)
        )

    def resource_side(self, probe: Probe, decision: Decision) -> SideReport:
        target = probe.target
        if target.kind == NO_TARGET_KIND:
            return SideReport(
                "resource policy",
                "not-applicable",
                note="none: same account, the identity policy decides",
            )
        if decision.grants:
            return SideReport(
                "KMS grant", "allows", decision.grants, self.grant_source(decision.grants)
            )
        name = _SIDE_NAMES[target.kind]
        source = self.source(target.kind, target.key)
        if self.resource_document(target) is None:
            if target.kind == "key" and not self.env.key_is_created:
                note = "the existing key's policy is outside gen, and no grant allows it"
                return SideReport(f"{name} and grants", "denies", note=note)
            return SideReport(name, "denies", source=source, note="no such document")
        report = _side_report(name, decision.resource, source)
        if target.kind == "key" and report.verdict == "denies" and self.grants(target):
            return SideReport(f"{name} and grants", "denies", source=source, note=report.note)
        return report

    def resource_allows(self, probe: Probe, decision: Decision) -> bool:
        """Whether the resource side alone lets the principal in: directly, through a grant,
        or through an account principal of another account than the resource's."""
        if decision.grants:
            return True
        result = decision.resource
        if result is None or result.effect is not Effect.ALLOW:
            return False
        if probe.target.kind == NO_TARGET_KIND:
            return False
        return not result.account_level or probe.principal_account != probe.target.account


def _side_report(name: str, result: PolicyResult | None, source: Source | None) -> SideReport:
    if result is None:
        return SideReport(name, "denies", source=source, note="no such document")
    if result.effect is Effect.ALLOW:
        note = "through the principal's account" if result.account_level else ""
        return SideReport(name, "allows", result.sids, source, note)
    if result.effect is Effect.DENY:
        return SideReport(name, "explicit-deny", result.sids, source)
    if result.effect is Effect.OUT_OF_SCOPE:
        return SideReport(name, "out-of-scope", source=source, note=result.reason)
    return SideReport(name, "denies", source=source, note="no statement allows it")


def _merge_sides(reports: Sequence[SideReport]) -> SideReport:
    """One report for the side of a path: the worst verdict, every statement that allows."""
    order = ["out-of-scope", "explicit-deny", "denies", "allows", "outside-gen", "not-applicable"]
    worst = min(reports, key=lambda r: order.index(r.verdict) if r.verdict in order else 0)
    sids = tuple(dict.fromkeys(s for r in reports for s in r.statements))
    if worst.verdict == "allows":
        return SideReport(worst.name, worst.verdict, sids, worst.source, worst.note)
    return worst


# --- paths -----------------------------------------------------------------------------------


def _identity_mode(path: AccessPath) -> str:
    return {
        Identity.RENDERED: "rendered",
        Identity.SERVICE: "service",
    }.get(path.identity, "outside")


class _Verifier(_Evaluator):
    def __init__(
        self,
        env: Environment,
        paths: Sequence[AccessPath],
        documents: PolicyDocuments,
        associations: Sequence[Association] | None,
    ) -> None:
        super().__init__(env, paths, documents)
        self.associations = associations
        self.outside = outside_account(env)
        self.modes: dict[str, str] = {}
        for p in self.paths:
            mode = _identity_mode(p)
            if self.modes.get(p.principal.arn) != "rendered":
                self.modes[p.principal.arn] = mode

    def identity_docs(self, principal: str, mode: str) -> list[Document] | None:
        if mode == "service":
            return None
        if mode == "rendered":
            return list(self.documents.identity.get(principal, []))
        return [WORST_CASE]

    def account_label(self, account_id: str) -> str:
        names = self.env.account_names(account_id)
        return f"{' / '.join(names)} ({account_id})" if names else account_id

    # -- expected statements, as gen renders them -------------------------------------------
    def expected_identity(self, path: AccessPath, request: Request) -> str:
        doc = policies.identity_policy(self.paths, path.principal.arn)
        return _allowing(evaluate_policy(doc, request, resource_policy=False))

    def expected_resource(self, path: AccessPath, request: Request) -> str:
        env, paths = self.env, self.paths
        if path.side is Side.KMS_GRANT:
            ops = GRANT_OPERATIONS.get(path.actions, ())
            return f"grant {path.sid} to {path.principal.arn} ({', '.join(ops)})"
        doc: Document
        if path.side is Side.BUCKET_POLICY:
            doc = policies.bucket_policy(paths, env.bucket_name)
        elif path.side is Side.KEY_POLICY:
            doc = policies.key_policy(paths, env.training_account)
        elif path.side is Side.ECR_REPOSITORY_POLICY:
            doc = policies.ecr_repository_policy(paths, path.document.split(":", 1)[1])
        elif path.side is Side.MODEL_PACKAGE_GROUP_POLICY:
            doc = policies.model_package_group_policy(paths, path.document.split(":", 1)[1])
        elif path.side is Side.TRUST_POLICY:
            doc = policies.trust_policy(paths, path.document.split(":", 1)[1])
        else:
            return ""
        return _allowing(evaluate_policy(doc, request, resource_policy=True))

    # -- one path ------------------------------------------------------------------------
    def prove(self, path: AccessPath) -> PathProof:
        mode = _identity_mode(path)
        delegated = (
            self.account_label(path.principal.account_id)
            if path.identity is Identity.DELEGATED
            else ""
        )
        if path.side is Side.PORTFOLIO_ASSOCIATION:
            return self.prove_association(path, mode, delegated)
        identity = self.identity_docs(path.principal.arn, mode)
        requests: list[RequestReport] = []
        failures: list[str] = []
        for probe in path_probes(path, self.env):
            decision = self.decide(probe, identity)
            id_side = self.identity_side(path.principal.arn, mode, decision, delegated)
            res_side = self.resource_side(probe, decision)
            problems = []
            what = f"{path.principal.label} -> {probe.action} on {probe.resource}"
            request = probe.request()
            if mode == "rendered" and id_side.verdict != "allows":
                expected = self.expected_identity(path, request)
                problems.append(
                    f"{what}: identity side {id_side.describe()}"
                    + (f"; expected {expected} (as gen renders it) to allow it" if expected else "")
                )
            if probe.target.kind != NO_TARGET_KIND and not self.resource_allows(probe, decision):
                expected = self.expected_resource(path, request)
                problems.append(
                    f"{what}: resource side {res_side.describe()}"
                    + (f"; expected {expected} (as gen renders it) to allow it" if expected else "")
                )
            if not problems and not decision.allowed:
                problems.append(f"{what}: {decision.outcome}: {decision.reason}")
            failures += problems
            requests.append(RequestReport.of(probe, decision, id_side, res_side, problems))
        status = (
            FAILED if failures else PROVEN if mode in ("rendered", "service") else RESOURCE_SIDE
        )
        return PathProof(
            path,
            status,
            _merge_sides([r.identity for r in requests]),
            _merge_sides([r.resource_side for r in requests]),
            tuple(requests),
            tuple(failures),
        )

    def prove_association(self, path: AccessPath, mode: str, delegated: str) -> PathProof:
        portfolio = path.document.split(":", 1)[1]
        identity = SideReport(
            "identity policy", "outside-gen", note="outside gen (a role gen does not manage)"
        )
        if self.associations is None:
            side = SideReport(
                "portfolio association",
                "out-of-scope",
                note="not IAM: a Service Catalog association, out of scope of the evaluator",
            )
            return PathProof(path, OUT_OF_SCOPE, identity, side, ())
        found = [
            a
            for a in self.associations
            if a.portfolio == portfolio and a.principal == path.principal.arn
        ]
        if found:
            side = SideReport(
                "portfolio association",
                "present",
                source=found[0].source,
                note="not IAM: out of scope of the evaluator; the association exists",
            )
            return PathProof(path, OUT_OF_SCOPE, identity, side, ())
        side = SideReport("portfolio association", "missing")
        failure = (
            f"{path.principal.label}: no association of {path.principal.arn} with portfolio "
            f"{portfolio} (the jumpstart module's principal_arns)"
        )
        return PathProof(path, FAILED, identity, side, (), (failure,))

    # -- negatives -----------------------------------------------------------------------
    def negative(
        self,
        category: str,
        title: str,
        principal: str,
        mode: str,
        probes: Sequence[Probe],
        explicit_deny: bool = False,
    ) -> NegativeProof | None:
        if not probes:
            return None
        identity = self.identity_docs(principal, mode)
        requests = []
        failures = []
        for probe in probes:
            decision = self.decide(probe, identity)
            id_side = (
                SideReport("identity policy", "outside-gen", note="assumed to allow everything")
                if mode == "outside"
                else self.identity_side(principal, mode, decision)
            )
            res_side = self.resource_side(probe, decision)
            what = f"{title}: {probe.action} on {probe.resource}"
            problems = []
            if decision.outcome is Outcome.OUT_OF_SCOPE:
                problems.append(f"{what}: cannot be decided: {decision.reason}")
            elif explicit_deny:
                if decision.outcome is not Outcome.EXPLICIT_DENY:
                    side = _SIDE_NAMES.get(probe.target.kind, "resource policy")
                    problems.append(
                        f"{what}: expected an explicit deny from the {side}, "
                        f"got {decision.outcome} ({decision.reason})"
                    )
            else:
                if self.resource_allows(probe, decision):
                    problems.append(f"{what}: resource side {res_side.describe()}")
                identity_allows = (
                    decision.identity is not None and decision.identity.effect is Effect.ALLOW
                )
                if mode == "rendered" and identity_allows:
                    problems.append(f"{what}: identity side {id_side.describe()}")
                same_account = probe.principal_account == probe.target.account
                worst_case_same_account = (
                    mode == "outside"
                    and same_account
                    and probe.target.resource_kind is not ResourceKind.ROLE_TRUST
                )
                if decision.allowed and not problems and not worst_case_same_account:
                    problems.append(f"{what}: allowed: {decision.reason}")
                if decision.allowed and worst_case_same_account and not problems:
                    reason = (
                        "same account: decided by the account's own IAM policies (outside gen, "
                        f"assumed to allow everything); the {res_side.name} does not name it"
                    )
                    decision = Decision(
                        decision.outcome, reason, decision.identity, decision.resource, ()
                    )
            failures += problems
            requests.append(RequestReport.of(probe, decision, id_side, res_side, problems))
        target = " + ".join(dict.fromkeys(p.target.label for p in probes))
        return NegativeProof(
            category,
            title,
            principal,
            target,
            FAILED if failures else DENIED,
            tuple(requests),
            tuple(failures),
        )


def _allowing(result: PolicyResult) -> str:
    if result.effect is Effect.ALLOW:
        return "statement " + ", ".join(result.sids)
    return ""


def outside_account(env: Environment) -> str:
    known = set(env.topology.accounts.values())
    candidate = 999999999999
    while f"{candidate:012d}" in known:
        candidate -= 1
    return f"{candidate:012d}"


# --- negatives -------------------------------------------------------------------------------


@dataclass
class _TargetModel:
    target: Target
    paths: list[AccessPath] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)  # the model's requests on it


def _writes(target: Target, env: Environment, sample: Sequence[Probe]) -> list[tuple[str, str]]:
    """(action, resource) pairs that change or administer the target."""
    if target.kind == "bucket":
        obj = f"{arns.bucket(env.bucket_name)}/{env.prefix}example/model.tar.gz"
        bucket = arns.bucket(env.bucket_name)
        return [
            ("s3:PutObject", obj),
            ("s3:DeleteObject", obj),
            ("s3:DeleteObjectVersion", obj),
            ("s3:PutBucketPolicy", bucket),
        ]
    if target.kind == "key":
        key = next((p.resource for p in sample), "")
        actions = [
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:ReEncryptTo",
            "kms:CreateGrant",
            "kms:PutKeyPolicy",
            "kms:ScheduleKeyDeletion",
        ]
        return [(a, key) for a in actions]
    if target.kind == "ecr":
        repo = arns.ecr_repository(env.region, env.training_account, target.key)
        actions = [
            "ecr:PutImage",
            "ecr:InitiateLayerUpload",
            "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload",
            "ecr:BatchDeleteImage",
            "ecr:SetRepositoryPolicy",
        ]
        return [(a, repo) for a in actions]
    if target.kind == "group":
        package = arns.model_package(env.region, env.registry_account, target.key, 1)
        group = env.group_arn(target.key)
        return [
            ("sagemaker:CreateModelPackage", package),
            ("sagemaker:UpdateModelPackage", package),
            ("sagemaker:DeleteModelPackage", package),
            ("sagemaker:DeleteModelPackageGroup", group),
            ("sagemaker:PutModelPackageGroupPolicy", group),
        ]
    return []


def _covered(actions: Iterable[str], action: str) -> bool:
    return any(action_matches(a, action) for a in actions)


class _Negatives:
    def __init__(self, v: _Verifier) -> None:
        self.v = v
        self.env = v.env
        self.targets: dict[tuple[str, str], _TargetModel] = {}
        for p in v.paths:
            t = target_of(p, self.env)
            if t.kind == NO_TARGET_KIND or p.side is Side.PORTFOLIO_ASSOCIATION:
                continue
            model = self.targets.setdefault((t.kind, t.key), _TargetModel(t))
            model.paths.append(p)
            model.probes += path_probes(p, self.env)
        self.principals: dict[str, tuple[str, str, str]] = {}  # arn -> (account, label, mode)
        for p in v.paths:
            if p.principal.kind == "service":
                continue
            mode = v.modes[p.principal.arn]
            self.principals.setdefault(
                p.principal.arn, (p.principal.account_id, p.principal.label, mode)
            )

    def all(self) -> Iterator[NegativeProof | None]:
        yield from self.consumer_writes()
        yield from self.other_prefix()
        yield from self.other_groups()
        yield from self.no_path()
        yield from self.unknown_roles()
        yield from self.outside_accounts()
        yield from self.foreign_trust()
        yield from self.insecure_transport()

    def reprobe(
        self, principal: str, account: str, probes: Iterable[Probe], target: Target | None = None
    ) -> list[Probe]:
        """The same requests, made by another principal (with its own context)."""
        out = []
        for p in probes:
            extra = {k: v for k, v in p.context if not k.lower().startswith("aws:principal")}
            out.append(
                Probe(
                    principal,
                    account,
                    p.action,
                    p.resource,
                    target or p.target,
                    base_context(principal, account, extra),
                )
            )
        return list(dict.fromkeys(out))

    def probes_as(
        self, principal: str, account: str, model: _TargetModel, skip_delegated: bool
    ) -> list[Probe]:
        """The model's requests on a target plus its writes, made by `principal`; without the
        requests the model delegates to the principal's account."""
        writes = [
            Probe(principal, account, a, r, model.target, ())
            for a, r in _writes(model.target, self.env, model.probes)
        ]
        probes = self.reprobe(principal, account, [*model.probes, *writes])
        if skip_delegated:
            probes = [p for p in probes if not self.delegated(account, p)]
        return probes

    def delegated(self, account: str, probe: Probe) -> bool:
        """Whether the model allows the whole account this request (an account principal)."""
        for p in self.v.paths:
            if p.principal.kind != "account" or p.principal.account_id != account:
                continue
            if _covered(p.actions, probe.action) and any(
                arn_matches(r, probe.resource) for r in p.resources
            ):
                return True
        return False

    # -- categories --------------------------------------------------------------------------
    def consumer_writes(self) -> Iterator[NegativeProof | None]:
        for model in self.targets.values():
            if model.target.kind == "trust":
                continue
            by_principal: dict[str, set[str]] = {}
            for p in model.paths:
                by_principal.setdefault(p.principal.arn, set()).update(p.actions)
            for arn, actions in sorted(by_principal.items()):
                account, label, mode = self.principals[arn]
                probes = [
                    Probe(arn, account, a, r, model.target, base_context(arn, account))
                    for a, r in _writes(model.target, self.env, model.probes)
                    if not _covered(actions, a)
                ]
                yield self.v.negative(
                    "consumer-writes",
                    f"{label} cannot write to or administer {model.target.label}",
                    arn,
                    mode,
                    probes,
                )

    def other_prefix(self) -> Iterator[NegativeProof | None]:
        model = self.targets.get(("bucket", self.env.bucket_name))
        prefix = self.env.prefix
        if model is None or not prefix:
            return
        others = [prefix.rstrip("/") + "-other/", "gen-verify-other-prefix/"]
        others = [o for o in others if not o.startswith(prefix)]
        objects = f"{arns.bucket(self.env.bucket_name)}/{prefix}"
        for arn in sorted({p.principal.arn for p in model.paths}):
            account, label, mode = self.principals[arn]
            probes = []
            for probe in model.probes:
                if probe.principal != arn:
                    continue
                for other in others:
                    if probe.resource.startswith(objects):
                        moved = probe.resource.replace(objects, objects[: -len(prefix)] + other, 1)
                        probes.append(
                            Probe(arn, account, probe.action, moved, probe.target, probe.context)
                        )
                    elif probe.action == "s3:ListBucket":
                        ctx = dict(probe.context)
                        ctx["s3:prefix"] = (other,)
                        probes.append(
                            Probe(
                                arn,
                                account,
                                probe.action,
                                probe.resource,
                                probe.target,
                                tuple(sorted(ctx.items())),
                            )
                        )
            yield self.v.negative(
                "other-prefix",
                f"{label} cannot reach objects outside s3://{self.env.bucket_name}/{prefix}",
                arn,
                mode,
                list(dict.fromkeys(probes)),
            )

    def other_groups(self) -> Iterator[NegativeProof | None]:
        env = self.env
        groups = list(env.topology.registry.model_package_groups)
        for (kind, group), model in sorted(self.targets.items()):
            if kind != "group":
                continue
            for arn in sorted({p.principal.arn for p in model.paths}):
                account, label, mode = self.principals[arn]
                mine = [p for p in model.probes if p.principal == arn]
                covered = {
                    g
                    for g in groups
                    if ("group", g) in self.targets
                    and any(q.principal.arn == arn for q in self.targets[("group", g)].paths)
                }
                for other in [OTHER_GROUP, *[g for g in groups if g not in covered]]:
                    target = Target(
                        "group", other, model.target.account, f"model package group {other}"
                    )
                    probes = [
                        Probe(
                            arn,
                            account,
                            p.action,
                            _move_group(p.resource, group, other),
                            target,
                            p.context,
                        )
                        for p in mine
                    ]
                    yield self.v.negative(
                        "other-group",
                        f"{label} cannot use model package group {other}",
                        arn,
                        mode,
                        list(dict.fromkeys(probes)),
                    )
                explicit = {
                    concrete_resource(r, env)
                    for p in model.paths
                    if p.principal.arn == arn
                    for r in p.resources
                    if re.search(r":model-package/[^/*]+/[0-9]+$", r)
                }
                if not explicit:
                    continue
                other_version = max(int(r.rsplit("/", 1)[1]) for r in explicit) + 1
                probes = [
                    Probe(
                        arn,
                        account,
                        p.action,
                        p.resource.rsplit("/", 1)[0] + f"/{other_version}",
                        p.target,
                        p.context,
                    )
                    for p in mine
                    if p.resource in explicit
                ]
                yield self.v.negative(
                    "other-version",
                    f"{label} cannot use version {other_version} of {group} (not deployed)",
                    arn,
                    mode,
                    list(dict.fromkeys(probes)),
                )

    def no_path(self) -> Iterator[NegativeProof | None]:
        for arn, (account, label, mode) in sorted(self.principals.items()):
            for model in self.targets.values():
                if any(p.principal.arn == arn for p in model.paths):
                    continue
                probes = self.probes_as(arn, account, model, skip_delegated=True)
                yield self.v.negative(
                    "no-path",
                    f"{label} has no path to {model.target.label}",
                    arn,
                    mode,
                    probes,
                )

    def _named_principals(self) -> set[str]:
        """Every AWS principal the resource documents and grants name."""
        d = self.v.documents
        found: set[str] = set()
        docs: list[Document] = [
            *d.bucket.values(),
            *d.key.values(),
            *d.ecr.values(),
            *d.groups.values(),
            *d.trust.values(),
        ]
        for doc in docs:
            statements = doc.get("Statement", [])
            for st in statements if isinstance(statements, list) else [statements]:
                if not isinstance(st, Mapping):
                    continue
                for element in ("Principal", "NotPrincipal"):
                    principal = st.get(element)
                    if principal == "*":
                        found.add("*")
                    elif isinstance(principal, Mapping):
                        values = principal.get("AWS", [])
                        found.update(values if isinstance(values, list) else [values])
        found.update(g.grantee_principal for g in d.grants)
        return {str(f) for f in found}

    def unknown_roles(self) -> Iterator[NegativeProof | None]:
        known = set(self.principals)
        accounts = self.env.account_ids()
        sentinels = [(arns.role(a, SENTINEL_ROLE), a) for a in accounts]
        strangers = []
        for named in sorted(self._named_principals()):
            m = re.match(r"^arn:aws:(?:iam|sts)::([0-9]{12}):", named)
            if m and m.group(1) in accounts and named not in known and ":root" not in named:
                strangers.append((named, m.group(1)))
        for arn, account in [*sentinels, *strangers]:
            label = (
                f"a role not in the topology in {self.v.account_label(account)}"
                if arn.endswith(SENTINEL_ROLE)
                else f"{arn} (named in a policy, not in the access model)"
            )
            for model in self.targets.values():
                yield self.v.negative(
                    "unknown-role",
                    f"{label} has no access to {model.target.label}",
                    arn,
                    "outside",
                    self.probes_as(arn, account, model, skip_delegated=True),
                )

    def outside_accounts(self) -> Iterator[NegativeProof | None]:
        known = set(self.env.account_ids())
        accounts = {self.v.outside}
        for named in self._named_principals():
            m = re.match(r"^(?:arn:aws:(?:iam|sts)::)?([0-9]{12})(?::|$)", named)
            if m and m.group(1) not in known:
                accounts.add(m.group(1))
        for account in sorted(accounts):
            for arn in (arns.account_root(account), arns.role(account, SENTINEL_ROLE)):
                who = "account" if arn.endswith(":root") else "a role of account"
                for model in self.targets.values():
                    yield self.v.negative(
                        "outside-account",
                        f"{who} {account} (not in the topology) has no access to "
                        f"{model.target.label}",
                        arn,
                        "outside",
                        self.probes_as(arn, account, model, skip_delegated=False),
                    )

    def foreign_trust(self) -> Iterator[NegativeProof | None]:
        for (kind, role), model in sorted(self.targets.items()):
            if kind != "trust":
                continue
            services = sorted({p.principal.arn for p in model.paths})
            account = model.target.account
            for service in _SERVICES:
                if service in services:
                    continue
                probe = Probe(
                    service,
                    "",
                    "sts:AssumeRole",
                    role,
                    model.target,
                    base_context(service, "", {"aws:SourceAccount": (account,)}),
                )
                yield self.v.negative(
                    "foreign-trust",
                    f"{service} cannot assume {role}",
                    service,
                    "service",
                    [probe],
                )
            for service in services:
                deputy = Probe(
                    service,
                    "",
                    "sts:AssumeRole",
                    role,
                    model.target,
                    base_context(service, "", {"aws:SourceAccount": (self.v.outside,)}),
                )
                anonymous = Probe(
                    service, "", "sts:AssumeRole", role, model.target, base_context(service, "")
                )
                yield self.v.negative(
                    "foreign-trust",
                    f"{service} cannot assume {role} for another account (confused deputy) "
                    "or without aws:SourceAccount",
                    service,
                    "service",
                    [deputy, anonymous],
                )

    def insecure_transport(self) -> Iterator[NegativeProof | None]:
        model = self.targets.get(("bucket", self.env.bucket_name))
        if model is None:
            return
        for arn in sorted({p.principal.arn for p in model.paths}):
            account, label, mode = self.principals[arn]
            probes = []
            for p in model.probes:
                if p.principal == arn:
                    ctx = dict(p.context)
                    ctx["aws:SecureTransport"] = ("false",)
                    probes.append(
                        Probe(
                            arn, account, p.action, p.resource, p.target, tuple(sorted(ctx.items()))
                        )
                    )
            yield self.v.negative(
                "insecure-transport",
                f"{label} is denied plain HTTP to {model.target.label}",
                arn,
                mode,
                probes,
                explicit_deny=True,
            )


def _move_group(resource: str, group: str, other: str) -> str:
    return resource.replace(f"/{group.lower()}/", f"/{other.lower()}/").replace(
        f"model-package-group/{group.lower()}", f"model-package-group/{other.lower()}"
    )


# --- entry point -----------------------------------------------------------------------------


def verify_documents(
    env: Environment,
    paths: Sequence[AccessPath],
    documents: PolicyDocuments,
    *,
    associations: Sequence[Association] | None = None,
) -> VerifyReport:
    """Prove every path of `paths` and every negative against `documents`.

    `associations`: the portfolio associations found beside the documents (None: not
    checked, the portfolio paths are only reported out of scope)."""
    v = _Verifier(env, paths, documents, associations)
    report = VerifyReport(env.name)
    report.paths = [v.prove(p) for p in v.paths]
    seen: set[tuple[str, str, str]] = set()
    for negative in _Negatives(v).all():
        if negative is None:
            continue
        key = (negative.category, negative.principal, negative.target)
        if key in seen:
            continue
        seen.add(key)
        report.negatives.append(negative)
    if not env.key_is_created:
        report.notes.append(
            "the training key exists outside gen: its key policy is not verified, only the "
            "grants gen adds"
        )
    return report
