"""How long `gen lint` takes on an environment (default: envs/reference). Not a test.

    .venv/bin/python scripts/bench_lint.py [ENV_DIR] [--runs N]

Runs the real command (`gen lint ENV_DIR --format json`, a fresh process each time, as CI and
pre-commit run it) N times and prints each wall time, the best and the median, and the
per-check times of the last run (terraform included). The aim is under 15 s on a 2-core
machine (it was 10 s before the terraform check, which runs concurrently with checkov).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AIM_SECONDS = 15.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_dir", nargs="?", default="envs/reference")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    gen = Path(sys.executable).parent / "gen"
    command = [str(gen), "lint", args.env_dir, "--format", "json"]
    times: list[float] = []
    report: dict[str, object] = {}
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        if proc.returncode not in (0, 1):
            print(f"run {run}: gen lint exited {proc.returncode}\n{proc.stderr}", file=sys.stderr)
            return proc.returncode
        report = json.loads(proc.stdout)
        print(f"run {run}: {elapsed:.2f} s (exit {proc.returncode})")
    best, median = min(times), statistics.median(times)
    verdict = "within" if median < AIM_SECONDS else "OVER"
    print(
        f"gen lint {args.env_dir}: best {best:.2f} s, median {median:.2f} s "
        f"({verdict} the {AIM_SECONDS:.0f} s aim)"
    )
    checks = report.get("checks", [])
    if isinstance(checks, list):
        for check in checks:
            if isinstance(check, dict):
                print(f"  {check['check']:<11} {check['seconds']:>6.2f} s  {check['status']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
