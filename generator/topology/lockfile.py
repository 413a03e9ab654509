"""topology.lock.json: facts `gen discover` found in AWS, read by `gen render`.

One entry per fact: what kind of fact, about what (`key`), its value, where it came from (the
AWS call and account) and when it was first observed with this value. The file is written in a
stable order (by kind, then key) so that re-running `gen discover` on an unchanged account
rewrites the same bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from generator.errors import Problem, TopologyError, quoted

LOCK_FILE = "topology.lock.json"
LOCK_VERSION = 1

# Fact kinds. The first two are read by the renderer (through load.py and environment.py).
LATEST_APPROVED_VERSION = "latest_approved_version"  # key: group name; value: version (int)
JUMPSTART_PORTFOLIO_ID = "jumpstart_portfolio_id"  # key: jumpstart account name; value: port-...
ACCOUNT_ID = "account_id"  # key: account name; value: the account terraform_role lands in
MODEL_PACKAGE_STATUS = "model_package_status"  # key: "group/version"; value: approval status
KEY_ARN = "key_arn"  # key: "alias/<alias>"; value: the key ARN behind the alias
IMAGE_DIGEST = "image_digest"  # key: "repository@sha256:..."; value: "present"
ROLE_EXISTS = "role_exists"  # key: role ARN; value: the role's unique ID (AROA...)

FACT_KINDS = (
    ACCOUNT_ID,
    IMAGE_DIGEST,
    JUMPSTART_PORTFOLIO_ID,
    KEY_ARN,
    LATEST_APPROVED_VERSION,
    MODEL_PACKAGE_STATUS,
    ROLE_EXISTS,
)


@dataclass(frozen=True, order=True)
class Fact:
    kind: str
    key: str
    value: str | int
    source: str
    observed_at: str

    @property
    def identity(self) -> tuple[str, str, str, str | int, str]:
        """What the fact says and where it came from; not when it was observed. Two locks
        with the same identities are the same lock for `gen discover --check`."""
        return (self.kind, self.key, type(self.value).__name__, self.value, self.source)


@dataclass(frozen=True)
class Lock:
    facts: tuple[Fact, ...]

    def fact(self, kind: str, key: str) -> Fact | None:
        return next((f for f in self.facts if f.kind == kind and f.key == key), None)

    def _find(self, kind: str, key: str) -> str | int | None:
        found = self.fact(kind, key)
        return found.value if found else None

    def of_kind(self, kind: str) -> dict[str, str | int]:
        return {f.key: f.value for f in self.facts if f.kind == kind}

    def latest_approved(self, group: str) -> int | None:
        value = self._find(LATEST_APPROVED_VERSION, group)
        return value if isinstance(value, int) else None

    def portfolio_id(self, account: str) -> str | None:
        value = self._find(JUMPSTART_PORTFOLIO_ID, account)
        return value if isinstance(value, str) else None

    def key_arn(self, alias: str) -> str | None:
        value = self._find(KEY_ARN, f"alias/{alias}")
        return value if isinstance(value, str) else None

    def account_id(self, account: str) -> str | None:
        value = self._find(ACCOUNT_ID, account)
        return value if isinstance(value, str) else None

    def sorted(self) -> Lock:
        """The facts in file order, one per (kind, key): the last one given wins."""
        by_key = {(f.kind, f.key): f for f in self.facts}
        return Lock(tuple(by_key[k] for k in sorted(by_key)))

    def same_facts(self, other: Lock) -> bool:
        """True when both locks say the same things (observation times aside)."""
        return {f.identity for f in self.facts} == {f.identity for f in other.facts}

    def keeping_times_of(self, previous: Lock | None) -> Lock:
        """This lock, where a fact unchanged since `previous` keeps the time it was first
        observed: an unchanged account rewrites the same file."""
        if previous is None:
            return self.sorted()
        earlier = {f.identity: f.observed_at for f in previous.facts}
        kept = (replace(f, observed_at=earlier.get(f.identity, f.observed_at)) for f in self.facts)
        return Lock(tuple(kept)).sorted()


def changes(old: Lock | None, new: Lock) -> list[str]:
    """What `new` says that `old` does not, one line per fact: for `gen discover --check`."""
    before = {(f.kind, f.key): f for f in (old.facts if old else ())}
    after = {(f.kind, f.key): f for f in new.facts}
    lines = []
    for k in sorted(before.keys() | after.keys()):
        was, now = before.get(k), after.get(k)
        if was is None and now is not None:
            lines.append(f"new      {k[0]} {k[1]} = {now.value!r} ({now.source})")
        elif now is None and was is not None:
            lines.append(f"gone     {k[0]} {k[1]} (was {was.value!r})")
        elif was is not None and now is not None and was.identity != now.identity:
            detail = f"{was.value!r} -> {now.value!r}"
            if was.value == now.value:
                detail = f"now from {now.source}"
            lines.append(f"changed  {k[0]} {k[1]}: {detail}")
    return lines


def lock_text(lock: Lock) -> str:
    """The lock file's text: stable order, one fact per entry, a final newline."""
    data = {
        "version": LOCK_VERSION,
        "generated_by": "gen discover: facts read from AWS; do not edit by hand, run "
        "`gen discover` again (`gen discover --check` tells if this is stale)",
        "facts": [
            {
                "kind": f.kind,
                "key": f.key,
                "value": f.value,
                "source": f.source,
                "observed_at": f.observed_at,
            }
            for f in lock.sorted().facts
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


MAX_LOCK_BYTES = 4_000_000
MAX_VERSION = 2**31 - 1  # a model package version is an Integer (32-bit) in the SageMaker API

# What each fact's value must look like: the kinds the renderer reads are checked as strictly
# as the topology fields they stand for; the others are short plain text.
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelPackageSummary.html
#   (ModelPackageVersion: Integer, minimum 1; ModelApprovalStatus: the three statuses)
# https://docs.aws.amazon.com/servicecatalog/latest/dg/API_PortfolioDetail.html (Id)
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html (IDs, ARNs)
_TEXT = re.compile(r"[!-~]( ?[!-~]){0,1023}\Z")  # printable ASCII, single spaces
_VALUES: dict[str, re.Pattern[str]] = {
    JUMPSTART_PORTFOLIO_ID: re.compile(r"port-[a-z0-9]{12,13}\Z"),
    ACCOUNT_ID: re.compile(r"[0-9]{12}\Z"),
    KEY_ARN: re.compile(r"arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]{1,128}\Z"),
    MODEL_PACKAGE_STATUS: re.compile(r"(Approved|Rejected|PendingManualApproval)\Z"),
    IMAGE_DIGEST: re.compile(r"present\Z"),
    ROLE_EXISTS: re.compile(r"[A-Z0-9]{16,128}\Z"),
}
_KEYS: dict[str, re.Pattern[str]] = {
    LATEST_APPROVED_VERSION: re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}\Z"),
    JUMPSTART_PORTFOLIO_ID: re.compile(r"[a-z][a-z0-9-]{0,39}\Z"),
    ACCOUNT_ID: re.compile(r"[a-z][a-z0-9-]{0,39}\Z"),
}


def _fact(entry: Any, index: int) -> tuple[Fact | None, str, str]:
    """The fact of one entry, or (None, field, why it is refused)."""
    if not isinstance(entry, dict):
        return None, "", "each fact is an object {kind, key, value, source, observed_at}"
    fields = ("kind", "key", "value", "source", "observed_at")
    for name in fields:
        if name not in entry:
            return None, name, "missing"
    extra = sorted(set(entry) - set(fields))
    if extra:
        return None, str(extra[0]), "unknown field"
    kind, key, value = entry["kind"], entry["key"], entry["value"]
    for name in ("kind", "key", "source", "observed_at"):
        if not isinstance(entry[name], str) or not _TEXT.match(entry[name]):
            return None, name, f"expected short printable text, got {quoted(entry[name])}"
    if kind not in FACT_KINDS:
        return None, "kind", f"unknown kind {quoted(kind)}"
    if kind in _KEYS and not _KEYS[kind].match(key):
        return None, "key", f"{quoted(key)} is not a valid key for {kind}"
    if kind == LATEST_APPROVED_VERSION:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VERSION:
            return None, "value", f"expected a version number 1..{MAX_VERSION}, got {quoted(value)}"
    elif not isinstance(value, str) or not _VALUES[kind].match(value):
        return None, "value", f"{quoted(value)} is not a valid {kind}"
    return Fact(kind, key, value, entry["source"], entry["observed_at"]), "", ""


def _line_of_fact(text: str, index: int) -> int:
    """The line of the index-th fact in a lock file as `lock_text` writes it (or 1)."""
    at = -1
    for _ in range(index + 1):
        at = text.find('"kind"', at + 1)
        if at < 0:
            return 1
    return text.count("\n", 0, at) + 1


def parse_lock(text: str, file: str) -> Lock:
    """The facts of a lock file; TopologyError with every refused entry located."""

    def problem(line: int, path: str, message: str) -> Problem:
        return Problem(file, line, 1, path, f"{message}; run `gen discover` again")

    if len(text) > MAX_LOCK_BYTES:
        raise TopologyError([problem(1, "(file)", f"over the limit of {MAX_LOCK_BYTES:,} bytes")])
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else 1
        raise TopologyError(
            [problem(line, "(json)", f"not a valid lock file ({reason})")]
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("facts"), list):
        raise TopologyError([problem(1, "facts", "not a valid lock file (no list of facts)")])
    if data.get("version", LOCK_VERSION) != LOCK_VERSION:
        raise TopologyError(
            [problem(1, "version", f"unsupported lock file version {quoted(data.get('version'))}")]
        )
    facts, problems = [], []
    for index, entry in enumerate(data["facts"]):
        fact, field, why = _fact(entry, index)
        if fact is None:
            path = f"facts[{index}]" + (f".{field}" if field else "")
            problems.append(problem(_line_of_fact(text, index), path, why))
        else:
            facts.append(fact)
    if problems:
        raise TopologyError(problems)
    return Lock(tuple(facts))
