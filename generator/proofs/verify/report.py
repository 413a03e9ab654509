"""What verify proves and how it reports it: sides, requests, path and negative proofs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from generator.access.paths import AccessPath
from generator.iam.evaluator import (
    NOT_MODELLED,
    Decision,
)
from generator.proofs.documents import Source

if TYPE_CHECKING:
    from generator.proofs.verify.probes import Probe


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
    "org-admission": "roles admitted by organisation path: not outside the workload OUs, "
    "not under another name, not from another organisation",
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
