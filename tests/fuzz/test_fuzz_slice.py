"""A small seeded slice of the fuzz campaign (`make fuzz` runs thousands of cases): the first
case of every kind of mutation, each checked against the whole contract (fuzz_harness)."""

from __future__ import annotations

import pytest
from fuzz_cases import case
from fuzz_harness import run_case

KINDS = ("data", "text", "manifest", "lock", "file", "rendered")


def _first_seeds() -> list[int]:
    seeds: dict[str, int] = {}
    seed = 0
    while len(seeds) < len(KINDS):
        kind = case(seed).operator.split(":")[0]
        seeds.setdefault(kind, seed)
        seed += 1
    return sorted(seeds.values())


@pytest.mark.parametrize("seed", _first_seeds())
def test_a_fuzz_case_keeps_the_contract(seed: int) -> None:
    outcome = run_case(case(seed), timeout=60)
    assert not outcome.failed, outcome
