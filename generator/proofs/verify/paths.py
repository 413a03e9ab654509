"""Positive proofs: every access path of the model is allowed, on each side gen renders."""

from __future__ import annotations

from collections.abc import Sequence

from generator.access import policies
from generator.access.paths import GRANT_OPERATIONS, AccessPath, Identity, Side
from generator.iam.document import Document
from generator.iam.evaluator import (
    Decision,
    Effect,
    Outcome,
    PolicyResult,
    Request,
    ResourceKind,
    evaluate_policy,
)
from generator.proofs.documents import PolicyDocuments
from generator.proofs.verify.probes import (
    NO_TARGET_KIND,
    SIDE_NAMES,
    WORST_CASE,
    Evaluator,
    Probe,
    merge_sides,
    path_probes,
)
from generator.proofs.verify.report import (
    DENIED,
    FAILED,
    OUT_OF_SCOPE,
    PROVEN,
    RESOURCE_SIDE,
    Association,
    NegativeProof,
    PathProof,
    RequestReport,
    SideReport,
)
from generator.topology.environment import Environment

# --- paths -----------------------------------------------------------------------------------


def identity_mode(path: AccessPath) -> str:
    return {
        Identity.RENDERED: "rendered",
        Identity.SERVICE: "service",
    }.get(path.identity, "outside")


class Verifier(Evaluator):
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
            mode = identity_mode(p)
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
        return allowing(evaluate_policy(doc, request, resource_policy=False))

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
        return allowing(evaluate_policy(doc, request, resource_policy=True))

    # -- one path ------------------------------------------------------------------------
    def prove(self, path: AccessPath) -> PathProof:
        mode = identity_mode(path)
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
            request = self.request(probe)
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
            merge_sides([r.identity for r in requests]),
            merge_sides([r.resource_side for r in requests]),
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
                    side = SIDE_NAMES.get(probe.target.kind, "resource policy")
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


def allowing(result: PolicyResult) -> str:
    if result.effect is Effect.ALLOW:
        return "statement " + ", ".join(result.sids)
    return ""


def outside_account(env: Environment) -> str:
    known = set(env.topology.accounts.values())
    candidate = 999999999999
    while f"{candidate:012d}" in known:
        candidate -= 1
    return f"{candidate:012d}"
