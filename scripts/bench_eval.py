"""How many requests a second gen's IAM evaluator decides. Not a test.

    .venv/bin/python scripts/bench_eval.py [--cases N] [--seed S] [--rounds R]

A fixed seeded batch of N requests in the shapes gen renders and users write (the generator of
tests/iam_diff.py: identity, bucket, key, ECR, model package group and trust policies with
conditions), decided by `generator.iam.evaluator.authorize`. Prints evaluations per
second for the first round (every policy compiled on first use) and the best later round
(policies compiled, as in `gen verify`, which asks about the same documents many times).
Aim: 30,000/s. Then the same for the requests `gen verify` itself asks on the golden environments.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from iam_diff import REPO, Case, generate, verify_cases

from generator.iam.evaluator import Request, authorize

AIM = 30_000


def _rates(cases: list[Case], rounds: int) -> list[float]:
    batch = [
        (
            Request(
                c.principal,
                c.action,
                c.resource,
                c.principal_account,
                {k: tuple(v) for k, v in c.context.items()},
            ),
            c,
        )
        for c in cases
    ]
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        for request, c in batch:
            authorize(
                request,
                resource_account=c.resource_account,
                identity_policies=c.identity,
                resource_policy=c.resource_policy,
                kind=c.kind,
            )
        rates.append(len(batch) / (time.perf_counter() - started))
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    rates = _rates(generate(args.seed, args.cases), args.rounds)
    steady = max(rates[1:]) if len(rates) > 1 else rates[0]
    print(f"random requests: {args.cases} (seed {args.seed}), {args.rounds} rounds")
    print(f"  first round (compiling every policy): {rates[0]:>9,.0f} evaluations/s")
    print(f"  steady (policies compiled):           {steady:>9,.0f} evaluations/s  (aim {AIM:,})")
    envs = [REPO / "envs" / "reference", *sorted((REPO / "tests" / "envs").iterdir())]
    rendered = verify_cases([d for d in envs if (d / "topology.yaml").is_file()])
    rates = _rates(rendered, args.rounds)
    print(f"the requests `gen verify` asks on the golden environments: {len(rendered)}")
    print(f"  first round:                          {rates[0]:>9,.0f} evaluations/s")
    print(f"  steady:                               {max(rates[1:]):>9,.0f} evaluations/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
