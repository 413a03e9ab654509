"""Requests against the documents: the targets, the probes a path implies, and the evaluator
that decides one side of a probe."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from generator.access.paths import GRANT_OPERATIONS, AccessPath, Side
from generator.iam.document import Condition, Document, document, statement
from generator.iam.evaluator import (
    Decision,
    Effect,
    Grant,
    PolicyResult,
    Request,
    ResourceKind,
    authorize,
)
from generator.proofs.documents import PolicyDocuments, Source
from generator.proofs.verify.report import SideReport
from generator.topology.environment import Environment

PLACEHOLDER_KEY_ID = "00000000-0000-4000-8000-000000000000"
SENTINEL_ROLE = "GenVerifyRoleNotInTopology"
OTHER_GROUP = "gen-verify-group-not-in-topology"
WORST_CASE = document([statement("WorstCaseOutsideGen", actions=["*"], resources=["*"])])
SERVICES = ("sagemaker.amazonaws.com", "lambda.amazonaws.com", "ec2.amazonaws.com")


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


# Keys the principal itself supplies (its ARN, account, organisation): a probe never makes
# them up to satisfy a condition; they come from who makes the request.
PRINCIPAL_KEYS = frozenset(
    {"aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths"}
)
# Organisations and OUs no topology names (the org-admission negatives use them).
OTHER_ORG_PATH = "o-genverifyother0/r-zz99/ou-zz99-genverify0/"


def org_context(env: Environment, account: str) -> dict[str, tuple[str, ...]]:
    """The AWS Organizations keys of a request from `account`, as the topology places it:
    a stage account under the first workload OU, the other accounts of the topology at the
    organisation's root (not under a workload OU), any other account in no organisation
    (aws:PrincipalOrgID and aws:PrincipalOrgPaths absent)."""
    org = env.topology.organization
    if org is None or account not in env.topology.accounts.values():
        return {}
    ctx: dict[str, tuple[str, ...]] = {"aws:PrincipalOrgID": (org.id,)}
    if org.workload_ou_paths:
        stage_accounts = {env.stage_account(s) for s in env.topology.stages}
        first = org.workload_ou_paths[0]
        root = "/".join(first.split("/")[:2]) + "/"
        ctx["aws:PrincipalOrgPaths"] = (first if account in stage_accounts else root,)
    return ctx


def _satisfying(condition: Condition) -> tuple[str, tuple[str, ...]] | None:
    """A context value that satisfies one condition of the model."""
    if not condition.values or condition.key.lower() in PRINCIPAL_KEYS:
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

SIDE_NAMES = {
    "bucket": "bucket policy",
    "key": "key policy",
    "ecr": "repository policy",
    "group": "group policy",
    "trust": "trust policy",
}
SOURCE_KINDS = {
    "bucket": "bucket",
    "key": "key",
    "ecr": "ecr",
    "group": "groups",
    "trust": "trust",
}


class Evaluator:
    def __init__(
        self, env: Environment, paths: Sequence[AccessPath], documents: PolicyDocuments
    ) -> None:
        self.env = env
        self.paths = list(paths)
        self.documents = documents
        self.groups_by_lower = {g.lower(): g for g in documents.groups}
        self.org_contexts: dict[str, dict[str, tuple[str, ...]]] = {}

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
        return self.documents.sources.get((SOURCE_KINDS.get(kind, kind), key))

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

    def request(self, probe: Probe) -> Request:
        """The probe's request, with the organisation keys of its principal's account unless
        the probe sets them itself."""
        request = probe.request()
        if request.is_service or request.value("aws:PrincipalOrgID") is not None:
            return request
        if request.value("aws:PrincipalOrgPaths") is not None:
            return request
        org = self.org_contexts.get(probe.principal_account)
        if org is None:
            org = self.org_contexts[probe.principal_account] = org_context(
                self.env, probe.principal_account
            )
        if not org:
            return request
        return Request(
            request.principal,
            request.action,
            request.resource,
            request.principal_account,
            {**dict(probe.context), **org},
        )

    def decide(self, probe: Probe, identity: Sequence[Document] | None) -> Decision:
        return authorize(
            self.request(probe),
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
        return side_report("identity policy", decision.identity, self.source("identity", principal))

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
        name = SIDE_NAMES[target.kind]
        source = self.source(target.kind, target.key)
        if self.resource_document(target) is None:
            if target.kind == "key" and not self.env.key_is_created:
                note = "the existing key's policy is outside gen, and no grant allows it"
                return SideReport(f"{name} and grants", "denies", note=note)
            return SideReport(name, "denies", source=source, note="no such document")
        report = side_report(name, decision.resource, source)
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


def side_report(name: str, result: PolicyResult | None, source: Source | None) -> SideReport:
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


def merge_sides(reports: Sequence[SideReport]) -> SideReport:
    """One report for the side of a path: the worst verdict, every statement that allows."""
    order = ["out-of-scope", "explicit-deny", "denies", "allows", "outside-gen", "not-applicable"]
    worst = min(reports, key=lambda r: order.index(r.verdict) if r.verdict in order else 0)
    sids = tuple(dict.fromkeys(s for r in reports for s in r.statements))
    if worst.verdict == "allows":
        return SideReport(worst.name, worst.verdict, sids, worst.source, worst.note)
    return worst
