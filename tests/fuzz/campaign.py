"""`make fuzz`: a long seeded campaign over the golden topologies; prints outcome classes.

    python tests/fuzz/campaign.py [--cases N] [--start SEED] [--jobs J] [--timeout S]

Each case runs in-process in a worker (CliRunner; a SIGALRM deadline and an address-space
limit bound time and memory). Exits 1 when any case breaks the contract; a failing case is
reproduced with `--start SEED --cases 1`.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fuzz_cases import case
from fuzz_harness import FAILURES, OK, Outcome, run_case

MEMORY_LIMIT = 4 * 1024**3  # bytes of address space per worker


def _init_worker() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _one(args: tuple[int, float]) -> Outcome:
    seed, timeout = args
    return run_case(case(seed), timeout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    seeds = [(s, args.timeout) for s in range(args.start, args.start + args.cases)]
    started = time.monotonic()
    outcomes: list[Outcome] = []
    with multiprocessing.get_context("fork").Pool(
        args.jobs, initializer=_init_worker, maxtasksperchild=500
    ) as pool:
        for n, outcome in enumerate(pool.imap_unordered(_one, seeds, chunksize=4), 1):
            outcomes.append(outcome)
            if outcome.failed:
                print(
                    f"FAIL seed {outcome.seed} [{outcome.golden}] {outcome.operator}: "
                    f"{outcome.outcome}: {outcome.detail!r}",
                    flush=True,
                )
            if n % 500 == 0:
                print(f"... {n} cases, {time.monotonic() - started:.0f} s", flush=True)
    elapsed = time.monotonic() - started
    by_class = collections.Counter(o.outcome for o in outcomes)
    by_operator: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for o in outcomes:
        by_operator[o.operator.split(":")[0]][o.outcome] += 1
    slowest = max(outcomes, key=lambda o: o.seconds)
    width = max(len(c) for c in (*OK, *FAILURES))
    print()
    print(f"gen fuzz campaign: {len(outcomes)} cases (seeds {args.start}..", end="")
    print(f"{args.start + args.cases - 1}), {args.jobs} jobs, {elapsed:.0f} s")
    print(f"{'outcome class':<{width}}  cases")
    print(f"{'-' * width}  -----")
    for cls in (*OK, *FAILURES):
        print(f"{cls:<{width}}  {by_class.get(cls, 0):>5}")
    print(f"{'-' * width}  -----")
    print(f"{'total':<{width}}  {len(outcomes):>5}")
    print()
    print("by kind of mutation (cases: exit 0 / exit 1 / exit 2 / failures):")
    for op, counts in sorted(by_operator.items()):
        failures = sum(v for k, v in counts.items() if k not in OK)
        print(
            f"  {op:<10} {counts[OK[0]]:>5} / {counts[OK[2]]:>5} / {counts[OK[1]]:>5} / "
            f"{failures:>3}"
        )
    print(f"slowest case: seed {slowest.seed} ({slowest.operator}) {slowest.seconds:.2f} s")
    failed = [o for o in outcomes if o.failed]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
