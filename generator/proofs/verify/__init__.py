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

from collections.abc import Sequence

from generator.access.paths import AccessPath
from generator.proofs.documents import PolicyDocuments
from generator.proofs.verify.negatives import Negatives
from generator.proofs.verify.paths import Verifier
from generator.proofs.verify.report import (
    DENIED,
    FAILED,
    NEGATIVE_CATEGORIES,
    OUT_OF_SCOPE,
    PROVEN,
    RESOURCE_SIDE,
    Association,
    NegativeProof,
    PathProof,
    RequestReport,
    SideReport,
    VerifyReport,
)
from generator.topology.environment import Environment

__all__ = [
    "DENIED",
    "FAILED",
    "NEGATIVE_CATEGORIES",
    "OUT_OF_SCOPE",
    "PROVEN",
    "RESOURCE_SIDE",
    "Association",
    "NegativeProof",
    "PathProof",
    "RequestReport",
    "SideReport",
    "VerifyReport",
    "verify_documents",
]

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
    v = Verifier(env, paths, documents, associations)
    report = VerifyReport(env.name)
    report.paths = [v.prove(p) for p in v.paths]
    seen: set[tuple[str, str, str]] = set()
    negatives = Negatives(v)
    for negative in negatives.all():
        if negative is None:
            continue
        key = (negative.category, negative.principal, negative.target)
        if key in seen:
            continue
        seen.add(key)
        report.negatives.append(negative)
    report.notes += negatives.wider_admission()
    if negatives.sampled:
        report.notes.append(
            f"trust policies: {negatives.sampled} negatives of principals of other accounts "
            "were left to three principals per role name of other accounts (a trust policy "
            "admits another account's principal only by naming it, its account or `*`)"
        )
    if not env.key_is_created:
        report.notes.append(
            "the training key exists outside gen: its key policy is not verified, only the "
            "grants gen adds"
        )
    return report
