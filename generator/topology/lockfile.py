"""topology.lock.json: facts `gen discover` found in AWS, read by `gen render`.

One entry per fact: what kind of fact, about what (`key`), its value, where it came from (the
AWS call and account) and when it was first observed with this value. The file is written in a
stable order (by kind, then key) so that re-running `gen discover` on an unchanged account
rewrites the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from generator.errors import Problem, TopologyError

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


def parse_lock(text: str, file: str) -> Lock:
    try:
        data: Any = json.loads(text)
        facts = tuple(
            Fact(
                kind=str(f["kind"]),
                key=str(f["key"]),
                value=_value(f["value"]),
                source=str(f["source"]),
                observed_at=str(f["observed_at"]),
            )
            for f in data["facts"]
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise TopologyError(
            [Problem(file, 1, 1, "", f"not a valid lock file ({exc}); run `gen discover` again")]
        ) from None
    return Lock(facts)


def _value(value: Any) -> str | int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"a fact's value is a string or a whole number, got {value!r}")
    return value
