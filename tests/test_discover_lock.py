"""topology.lock.json: written in a stable order, read back the same, compared without the
observation times, and unchanged facts keep the time they were first observed."""

from __future__ import annotations

import json

import pytest

from generator.errors import TopologyError
from generator.topology.lockfile import (
    ACCOUNT_ID,
    JUMPSTART_PORTFOLIO_ID,
    LATEST_APPROVED_VERSION,
    Fact,
    Lock,
    changes,
    lock_text,
    parse_lock,
)

T0, T1 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
SOURCE = "sagemaker:ListModelPackages in shared-services (111111111111)"


def _lock(version: int, at: str) -> Lock:
    return Lock(
        (
            Fact(LATEST_APPROVED_VERSION, "churn", version, SOURCE, at),
            Fact(JUMPSTART_PORTFOLIO_ID, "data-science", "port-abcdefghijklm", "sc", at),
            Fact(ACCOUNT_ID, "qa", "444444444444", "sts", at),
            Fact(LATEST_APPROVED_VERSION, "audit", 2, SOURCE, at),
        )
    )


def test_written_in_a_stable_order_and_read_back() -> None:
    lock = _lock(5, T0)
    text = lock_text(lock)
    keys = [(f["kind"], f["key"]) for f in json.loads(text)["facts"]]
    assert keys == sorted(keys) and len(keys) == 4
    assert text == lock_text(Lock(tuple(reversed(lock.facts))))
    back = parse_lock(text, "topology.lock.json")
    assert back == lock.sorted()
    assert back.latest_approved("churn") == 5 and back.latest_approved("audit") == 2
    assert back.portfolio_id("data-science") == "port-abcdefghijklm"
    assert back.latest_approved("missing") is None


def test_compared_without_observation_times() -> None:
    assert _lock(5, T0).same_facts(_lock(5, T1))
    assert not _lock(5, T0).same_facts(_lock(6, T0))
    assert changes(_lock(5, T0), _lock(6, T1)) == [
        f"changed  {LATEST_APPROVED_VERSION} churn: 5 -> 6"
    ]
    assert changes(None, _lock(5, T0))[0].startswith("new      account_id qa = '444444444444'")


def test_unchanged_facts_keep_their_first_observation() -> None:
    merged = _lock(6, T1).keeping_times_of(_lock(5, T0))
    times = {(f.kind, f.key): f.observed_at for f in merged.facts}
    assert times[(LATEST_APPROVED_VERSION, "churn")] == T1  # changed: observed now
    assert times[(LATEST_APPROVED_VERSION, "audit")] == T0  # unchanged: first observed then
    assert times[(ACCOUNT_ID, "qa")] == T0


@pytest.mark.parametrize("value", [True, None, [5], {"v": 5}])
def test_a_value_that_is_not_a_string_or_number_is_refused(value: object) -> None:
    text = json.dumps(
        {"facts": [{"kind": "k", "key": "x", "value": value, "source": "s", "observed_at": T0}]}
    )
    with pytest.raises(TopologyError, match="run `gen discover` again"):
        parse_lock(text, "topology.lock.json")
