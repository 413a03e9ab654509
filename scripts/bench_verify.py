"""Time `gen verify` on every golden environment: reading the HCL, and the proofs.

    .venv/bin/python scripts/bench_verify.py [--repeat N] [ENV_DIR ...]

Prints, per environment, the paths, negatives and requests, and the median time of each phase.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.access.paths import AccessPath, access_paths  # noqa: E402
from generator.proofs.hcl_reader import HclPolicies, read_directory  # noqa: E402
from generator.proofs.verify import VerifyReport, verify_documents  # noqa: E402
from generator.render.pipeline import read_environment  # noqa: E402
from generator.topology.environment import Environment  # noqa: E402

T = TypeVar("T")


def timed(repeat: int, fn: Callable[[], T]) -> tuple[T, float]:
    times = []
    result = fn()
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("env_dirs", nargs="*", type=Path)
    args = parser.parse_args()
    dirs = args.env_dirs or [
        REPO / "envs" / "reference",
        *sorted(p.parent for p in (REPO / "tests" / "envs").glob("*/topology.yaml")),
    ]
    print(
        f"{'environment':<40} {'paths':>5} {'negatives':>9} {'requests':>8} "
        f"{'read HCL':>9} {'verify':>8}"
    )
    for env_dir in dirs:
        env = read_environment(env_dir)
        paths = access_paths(env)
        alias = env.topology.training.kms_key.alias

        def read(d: Path = env_dir, a: str = alias) -> HclPolicies:
            return read_directory(d, training_key_alias=a)

        hcl, read_s = timed(args.repeat, read)

        def prove(
            h: HclPolicies = hcl, e: Environment = env, p: list[AccessPath] = paths
        ) -> VerifyReport:
            return verify_documents(e, p, h.documents, associations=h.associations)

        report, verify_s = timed(args.repeat, prove)
        c = report.counts()
        name = str(env_dir.relative_to(REPO)) if env_dir.is_relative_to(REPO) else str(env_dir)
        print(
            f"{name:<40} {c['paths']:>5} {c['negatives']:>9} {c['requests']:>8} "
            f"{read_s * 1000:>7.1f}ms {verify_s * 1000:>6.1f}ms" + ("" if report.ok else "  FAILED")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
