"""gen's IAM evaluator against @cloud-copilot/iam-simulate on a large seeded batch. Not a test.

    .venv/bin/python scripts/diff_eval.py [--cases N] [--seed S] [--show K]

Generates N random requests (tests/iam_diff.py), asks both evaluators and prints a table of
agreement and disagreement classes; then the same for every request `gen verify` asks on
envs/reference and tests/envs/* (the documents gen renders). Exits 1 when any disagreement is
unexplained (not a class of tests/iam_cases/diff_allowlist.yaml), printing the first K.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from iam_diff import REPO, Result, generate, load_allowlist, run, table, verify_cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--show", type=int, default=5)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run(generate(args.seed, args.cases))
    elapsed = time.perf_counter() - started
    print(f"random requests: {len(results)}, seed {args.seed}, {elapsed:.1f} s\n")
    print(table(results))
    env_dirs = [
        REPO / "envs" / "reference",
        *sorted(p for p in (REPO / "tests" / "envs").iterdir()),
    ]
    rendered = run(verify_cases([d for d in env_dirs if (d / "topology.yaml").is_file()]))
    print(f"\nthe requests `gen verify` asks on envs/reference and tests/envs/*: {len(rendered)}\n")
    print(table(rendered))
    _refusals(results)
    allowlist = load_allowlist()
    every = [*results, *rendered]
    known = sorted({r.klass[len("known:") :] for r in every if r.klass.startswith("known:")})
    for name in known:
        print(f"\nknown:{name}: {allowlist[name]['source']}")
    unexplained = [r for r in every if r.klass.startswith("unexplained")]
    _show(unexplained[: args.show])
    print(f"\nunexplained disagreements: {len(unexplained)}")
    return 1 if unexplained else 0


def _refusals(results: list[Result]) -> None:
    """Why gen refused to decide, by kind of reason (the quoted parts left out)."""
    reasons = Counter(
        re.sub(r"'[^']*'|\S+:\s", "", r.gen.reason.rsplit(": ", 1)[-1])
        for r in results
        if r.klass.startswith("gen-refuses")
    )
    if reasons:
        print("\nwhy gen refused (random requests):")
        for reason, n in reasons.most_common(8):
            print(f"  {n:>6}  {reason}")


def _show(results: list[Result]) -> None:
    for r in results:
        print(f"\n{r.klass}: gen {r.gen.outcome} ({r.gen.reason}); oracle {r.oracle}")
        print(f"  {r.oracle_errors}" if r.oracle_errors else "", end="")
        print(json.dumps(r.case.as_json()))


if __name__ == "__main__":
    sys.exit(main())
