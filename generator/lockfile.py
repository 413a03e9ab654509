"""topology.lock.json: facts `gen discover` found in AWS, read by `gen render`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from generator.errors import Problem, TopologyError

LOCK_FILE = "topology.lock.json"


@dataclass(frozen=True)
class Fact:
    kind: str
    key: str
    value: str | int
    source: str
    observed_at: str


@dataclass(frozen=True)
class Lock:
    facts: tuple[Fact, ...]

    def _find(self, kind: str, key: str) -> str | int | None:
        return next((f.value for f in self.facts if f.kind == kind and f.key == key), None)

    def latest_approved(self, group: str) -> int | None:
        value = self._find("latest_approved_version", group)
        return value if isinstance(value, int) else None

    def portfolio_id(self, account: str) -> str | None:
        value = self._find("jumpstart_portfolio_id", account)
        return value if isinstance(value, str) else None


def parse_lock(text: str, file: str) -> Lock:
    try:
        data: Any = json.loads(text)
        facts = tuple(
            Fact(
                kind=str(f["kind"]),
                key=str(f["key"]),
                value=f["value"],
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
