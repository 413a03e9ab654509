"""Negative proofs: what must be denied (writes by consumers, other prefixes and groups,
unknown roles and accounts, foreign trust, plain HTTP)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from generator.access.paths import AccessPath, Side
from generator.iam.document import Document
from generator.iam.evaluator import (
    action_matches,
    arn_matches,
)
from generator.proofs.verify.paths import Verifier
from generator.proofs.verify.probes import (
    NO_TARGET_KIND,
    OTHER_GROUP,
    OTHER_ORG_PATH,
    SENTINEL_ROLE,
    SERVICES,
    WORST_CASE,
    Probe,
    Target,
    base_context,
    concrete_resource,
    path_probes,
    target_of,
)
from generator.proofs.verify.report import NegativeProof
from generator.topology import arns
from generator.topology.environment import Environment

# Principals of other accounts with one role name probed against each trust policy.
REPRESENTATIVES = 3
# Up to this many trust policies every principal is probed against every one.
EXHAUSTIVE_TRUST_TARGETS = 24

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


class Negatives:
    def __init__(self, v: Verifier) -> None:
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
        self.trust_named: dict[str, set[str]] = {}
        self.account_paths: dict[str, list[AccessPath]] = {}
        for p in v.paths:
            if p.principal.kind == "account":
                self.account_paths.setdefault(p.principal.account_id, []).append(p)
        self.distinct: dict[tuple[str, str], list[Probe]] = {}
        self.sampled = 0  # probes of trust policies left to a representative principal
        self.trust_targets = sum(1 for kind, _ in self.targets if kind == "trust")
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
        yield from self.org_admission()

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
        key = (model.target.kind, model.target.key)
        if key not in self.distinct:
            # The model's requests on the target without who makes them: one per distinct
            # (action, resource, context), however many principals share it.
            self.distinct[key] = list(
                {
                    (
                        p.action,
                        p.resource,
                        tuple(c for c in p.context if not c[0].lower().startswith("aws:principal")),
                    ): p
                    for p in model.probes
                }.values()
            )
        probes = self.reprobe(principal, account, [*self.distinct[key], *writes])
        if skip_delegated:
            probes = [p for p in probes if not self.delegated(account, p)]
        return probes

    def delegated(self, account: str, probe: Probe) -> bool:
        """Whether the model allows the whole account this request (an account principal)."""
        for p in self.account_paths.get(account, []):
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
                # A path admitted by organisation path shares its statement with every stage
                # role of that name: the versions it admits are those of all of them.
                admitted = (
                    {p.resource_conditions for p in model.paths if p.principal.arn == arn}
                    if any(p.admitted_by_org for p in model.paths if p.principal.arn == arn)
                    else set()
                )
                explicit = {
                    concrete_resource(r, env)
                    for p in model.paths
                    if p.principal.arn == arn or (admitted and p.resource_conditions in admitted)
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

    def _trust_named(self, target: Target) -> set[str]:
        doc = self.v.resource_document(target)
        named: set[str] = set()
        statements = doc.get("Statement", []) if isinstance(doc, Mapping) else []
        for st in statements if isinstance(statements, list) else [statements]:
            principal = st.get("Principal") if isinstance(st, Mapping) else None
            if principal == "*":
                named.add("*")
            elif isinstance(principal, Mapping):
                values = principal.get("AWS", [])
                named.update(str(v) for v in (values if isinstance(values, list) else [values]))
        return named

    def representative(self, arn: str, account: str, target: Target, seen: dict[str, int]) -> bool:
        """Whether a principal is probed against a trust policy. A trust policy admits a
        principal of another account only by naming it, its account, or `*` (then narrowed by
        conditions on the principal's ARN): so the principals of the role's own account,
        those the policy names, and a few principals per role name of other accounts
        (REPRESENTATIVES) stand for all (linear in stages, instead of every principal against
        every stage's role)."""
        if target.kind != "trust" or account == target.account:
            return True
        if self.trust_targets <= EXHAUSTIVE_TRUST_TARGETS:
            return True
        named = self.trust_named.setdefault(target.key, self._trust_named(target))
        if "*" in named or arn in named or arns.account_root(account) in named:
            return True
        name = arn.rsplit("/", 1)[-1] if ":role/" in arn else arn
        if seen.get(name, 0) >= REPRESENTATIVES:
            self.sampled += 1
            return False
        seen[name] = seen.get(name, 0) + 1
        return True

    def no_path(self) -> Iterator[NegativeProof | None]:
        seen: dict[str, dict[str, int]] = {}
        for arn, (account, label, mode) in sorted(self.principals.items()):
            for model in self.targets.values():
                if any(p.principal.arn == arn for p in model.paths):
                    continue
                if not self.representative(
                    arn, account, model.target, seen.setdefault(model.target.key, {})
                ):
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
        seen: dict[str, dict[str, int]] = {}
        for arn, account in [*sentinels, *strangers]:
            label = (
                f"a role not in the topology in {self.v.account_label(account)}"
                if arn.endswith(SENTINEL_ROLE)
                else f"{arn} (named in a policy, not in the access model)"
            )
            for model in self.targets.values():
                if not self.representative(
                    arn, account, model.target, seen.setdefault(model.target.key, {})
                ):
                    continue
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
            for service in SERVICES:
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

    def wider_admission(self) -> list[str]:
        """What the organisation admission lets in beyond the topology, proven: for each
        admitted role name and workload OU, a role of that name in an account the topology
        does not name, under the OU, is allowed by the resource side."""
        notes: list[str] = []
        org = self.env.topology.organization
        if org is None:
            return notes
        known = set(self.env.topology.accounts.values())
        stranger = next(
            a for a in (f"{int(self.v.outside) - 10 - i:012d}" for i in range(20)) if a not in known
        )
        admitted: dict[tuple[str, str], list[Probe]] = {}
        for model in self.targets.values():
            for p in model.paths:
                if p.admitted_by_org:
                    role = p.principal.arn.rsplit("/", 1)[1]
                    admitted.setdefault((role, model.target.label), []).extend(
                        q for q in model.probes if q.principal == p.principal.arn
                    )
        by_role: dict[str, list[str]] = {}
        for (role, label), probes in sorted(admitted.items()):
            for path in org.workload_ou_paths:
                arn = arns.role(stranger, role)
                allowed = all(
                    self.v.resource_allows(q, self.v.decide(q, [WORST_CASE]))
                    for q in (
                        Probe(
                            arn,
                            stranger,
                            probe.action,
                            probe.resource,
                            probe.target,
                            base_context(
                                arn,
                                stranger,
                                {
                                    **{
                                        k: v
                                        for k, v in probe.context
                                        if not k.lower().startswith("aws:principal")
                                    },
                                    "aws:PrincipalOrgPaths": (path,),
                                    "aws:PrincipalOrgID": (org.id,),
                                },
                            ),
                        )
                        for probe in probes
                    )
                )
                verdict = "admitted" if allowed else "NOT admitted (narrower than declared)"
                by_role.setdefault(f"{role}|{path}|{verdict}", []).append(label)
        for key, labels in sorted(by_role.items()):
            role, path, verdict = key.split("|")
            notes.append(
                f"organisation admission: any role named {role} in any account under {path} "
                f"(not only the topology's) is {verdict} by the resource side of "
                f"{', '.join(sorted(set(labels)))} (proven with account {stranger}, not in "
                "the topology); its identity side is that account's own IAM"
            )
        return notes

    def org_admission(self) -> Iterator[NegativeProof | None]:
        """With organization.workload_ou_paths the resource side admits a role name under the
        workload OUs; it must still deny that name outside them, other names under them, and
        that name in another organisation. Each probe states its own organisation keys."""
        org = self.env.topology.organization
        if org is None or not org.workload_ou_paths:
            return
        inside = org.workload_ou_paths[0]
        root = "/".join(inside.split("/")[:2]) + "/"
        other_ou = f"{root}ou-{inside.split('/')[1][2:]}-genverify0/"
        known = set(self.env.topology.accounts.values())
        strangers = [
            a for a in (f"{int(self.v.outside) - i:012d}" for i in range(9)) if a not in known
        ]
        for model in self.targets.values():
            by_role: dict[str, list[Probe]] = {}
            for p in model.paths:
                if not p.admitted_by_org:
                    continue
                role = p.principal.arn.rsplit("/", 1)[1]
                by_role.setdefault(role, []).extend(
                    q for q in model.probes if q.principal == p.principal.arn
                )
            for role, probes in sorted(by_role.items()):
                cases = [
                    (role, other_ou, f"role {role} of an account outside the workload OUs"),
                    (SENTINEL_ROLE, inside, f"a role not named {role} under {inside}"),
                    (role, OTHER_ORG_PATH, f"role {role} of another organisation"),
                ]
                for (name, path, title), stranger in zip(cases, strangers, strict=False):
                    arn = arns.role(stranger, name)
                    org_id = path.split("/", 1)[0]
                    extra = {"aws:PrincipalOrgPaths": (path,), "aws:PrincipalOrgID": (org_id,)}
                    moved = [
                        Probe(
                            arn,
                            stranger,
                            p.action,
                            p.resource,
                            p.target,
                            base_context(
                                arn,
                                stranger,
                                {
                                    **{
                                        k: v
                                        for k, v in p.context
                                        if not k.lower().startswith("aws:principal")
                                    },
                                    **extra,
                                },
                            ),
                        )
                        for p in probes
                    ]
                    yield self.v.negative(
                        "org-admission",
                        f"{title} has no access to {model.target.label}",
                        arn,
                        "outside",
                        list(dict.fromkeys(moved)),
                    )


def _move_group(resource: str, group: str, other: str) -> str:
    return resource.replace(f"/{group.lower()}/", f"/{other.lower()}/").replace(
        f"model-package-group/{group.lower()}", f"model-package-group/{other.lower()}"
    )
