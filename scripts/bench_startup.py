"""Start-up time of `gen --help` against a bare `python -c "import typer"` (the floor any typer
CLI pays). Prints both medians and their ratio; the goal is a ratio within 1.5.

    .venv/bin/python scripts/bench_startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

GEN = Path(sys.executable).parent / "gen"


def _median_seconds(command: list[str], runs: int) -> float:
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    bare = _median_seconds([sys.executable, "-c", "import typer"], args.runs)
    helped = _median_seconds([str(GEN), "--help"], args.runs)
    rendered = _median_seconds([str(GEN), "render", "--check", "--quiet", "envs/reference"], 5)
    print(f"python -c 'import typer'     {bare * 1000:7.1f} ms (median of {args.runs})")
    print(f"gen --help                   {helped * 1000:7.1f} ms (median of {args.runs})")
    print(f"ratio                        {helped / bare:7.2f}   (goal: <= 1.50)")
    print(f"gen render --check reference {rendered * 1000:7.1f} ms (median of 5)")


if __name__ == "__main__":
    main()
