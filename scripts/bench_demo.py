"""`make demo` on a fresh machine, as near as one machine allows: this checkout's files in an
empty directory, an empty uv cache (every package downloaded), no virtualenv. Prints the
seconds (the target: under 30) and what the demo installed.

    python scripts/bench_demo.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    with tempfile.TemporaryDirectory(prefix="gen-demo-") as tmp:
        work = Path(tmp) / "gen"
        for name in filter(None, listed):
            if (REPO / name).is_file():
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / name, work / name)
        env = {**os.environ, "UV_CACHE_DIR": str(Path(tmp) / "uv-cache")}
        started = time.perf_counter()
        done = subprocess.run(["make", "demo"], cwd=work, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"make demo failed:\n{done.stdout}\n{done.stderr}")
        installed = sorted(p.name for p in work.iterdir() if p.name.startswith(".venv"))
        mermaid = (work / "tools" / "mermaid" / "node_modules").exists()
        print(f"make demo: {seconds:.1f} s (target < 30 s)")
        print(f"virtualenvs: {', '.join(installed)}; npm packages installed: {mermaid}")


if __name__ == "__main__":
    main()
