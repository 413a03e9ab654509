"""How gen scales with the number of serving accounts. Not a test: it prints figures.

    .venv/bin/python scripts/bench_scale.py [--stages 10,100,1000] [--layouts single,per-account]
                                            [--skip verify,lint,explain]

For each number of stages and each layout it writes a topology from
`scripts/scale_topology.py` (every stage in its own account, a registry model version and an
ECR image model; with `organization.workload_ou_paths`, so that the resource policies stay
one statement at any scale) into a temporary directory and runs the real commands, each in a
fresh process: `gen render` (wall time, CPU time (user + system, the figure the aim is
checked on, as the wall time depends on the machine's load) and the peak resident memory of
that process), then
`gen lint --skip checkov --skip terraform` (Terraform over every root is what
`gen apply --offline --plan-only` measures), `gen explain --format json` and
`gen verify --quiet`. It prints the largest policy against its AWS limit, the number of
roots and of provider configurations per root. Aims at 1,000 stages: render under 5 s and 300 MB.

A last row renders the largest size without an organisation, to show every overflow
reported at once.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from scale_topology import scale_topology  # noqa: E402

RENDER_AIM_SECONDS = 5.0
RENDER_AIM_MB = 300.0
LAST_CPU = [0.0]


def run(command: list[str]) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS in MB, exit code, output) of one command in a fresh process;
    the CPU seconds (user + system) of the last run are kept in LAST_CPU."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    LAST_CPU[0] = usage.ru_utime + usage.ru_stime
    return elapsed, usage.ru_maxrss / 1024, proc.returncode, output


def largest_policy(env_dir: Path) -> str:
    """The policy closest to its AWS limit, from the sizes gen checked while rendering."""
    code = (
        "import sys; from pathlib import Path;"
        "from generator.render.pipeline import render_directory;"
        "r = render_directory(Path(sys.argv[1]));"
        "name, (size, limit, unit) = max(r.root.sizes.items(), key=lambda kv: kv[1][0] / kv[1][1]);"
        "print(f'{name}: {size:,} / {limit:,} {unit} ({100 * size / limit:.0f}%)')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(env_dir)], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() or proc.stderr.strip().splitlines()[-1]


def roots_of(env_dir: Path) -> list[Path]:
    order = env_dir / "apply-order.json"
    if not order.is_file():
        return [env_dir]
    phases = json.loads(order.read_text())["phases"]
    return [env_dir / r for phase in phases for r in phase["roots"]]


def providers_per_root(roots: list[Path]) -> str:
    counts = [
        sum(len(re.findall(r'^provider "aws"', f.read_text(), re.M)) for f in r.glob("*.tf"))
        for r in roots
    ]
    return str(counts[0]) if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", default="10,100,1000")
    parser.add_argument("--layouts", default="single,per-account")
    parser.add_argument("--skip", default="", help="comma-separated: lint, explain, verify")
    args = parser.parse_args(argv)
    gen = str(Path(sys.executable).parent / "gen")
    skip = set(filter(None, args.skip.split(",")))
    sizes = [int(n) for n in args.stages.split(",")]
    header = (
        f"{'stages':>6} {'layout':<11} {'render':>8} {'cpu':>7} {'peak MB':>8} {'roots':>6} "
        f"{'aws/root':>8} {'lint':>7} {'explain':>8} {'verify':>8}  largest policy"
    )
    print(header)
    print("-" * len(header))
    ok = True
    with tempfile.TemporaryDirectory(prefix="gen-bench-scale-") as tmp:
        for n in sizes:
            for layout in args.layouts.split(","):
                env_dir = Path(tmp) / f"{layout}-{n}"
                env_dir.mkdir()
                (env_dir / "topology.yaml").write_text(
                    scale_topology(n, layout=layout, organization=True)
                )
                seconds, mb, code, output = run([gen, "render", "--quiet", str(env_dir)])
                if code != 0:
                    print(f"{n:>6} {layout:<11} render failed (exit {code}):\n{output}")
                    ok = False
                    continue
                cpu = LAST_CPU[0]
                roots = roots_of(env_dir)
                timings = {}
                for name, command in (
                    (
                        "lint",
                        [gen, "lint", "--skip", "checkov", "--skip", "terraform", str(env_dir)],
                    ),
                    ("explain", [gen, "explain", "--format", "json", str(env_dir)]),
                    ("verify", [gen, "verify", "--quiet", str(env_dir)]),
                ):
                    if name in skip:
                        timings[name] = "-"
                        continue
                    t, _, c, out = run(command)
                    timings[name] = f"{t:.1f} s" if c == 0 else f"exit {c}"
                    if c != 0:
                        ok = False
                        print(out[-2000:], file=sys.stderr)
                if n == max(sizes) and (cpu > RENDER_AIM_SECONDS or mb > RENDER_AIM_MB):
                    ok = False
                print(
                    f"{n:>6} {layout:<11} {seconds:>6.2f} s {cpu:>5.2f} s {mb:>8.0f} "
                    f"{len(roots):>6} {providers_per_root(roots):>8} {timings['lint']:>7} "
                    f"{timings['explain']:>8} {timings['verify']:>8}  {largest_policy(env_dir)}",
                    flush=True,
                )
        n = max(sizes)
        env_dir = Path(tmp) / f"no-org-{n}"
        env_dir.mkdir()
        (env_dir / "topology.yaml").write_text(scale_topology(n))
        seconds, mb, code, output = run([gen, "render", "--quiet", str(env_dir)])
        print(f"\nwithout organization, {n} stages: exit {code} in {seconds:.2f} s, {mb:.0f} MB")
        print(" ".join(output.split()) if code else "(rendered)")
    print(
        f"\naim at {max(sizes)} stages: render < {RENDER_AIM_SECONDS:.0f} s and "
        f"< {RENDER_AIM_MB:.0f} MB: {'met' if ok else 'NOT met (or a command failed)'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
