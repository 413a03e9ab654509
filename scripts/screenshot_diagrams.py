"""Screenshots of `gen explain --format mermaid` as a person sees them: each diagram of an
ACCESS.md page drawn by mermaid (tools/mermaid) in headless Chromium, one PNG per diagram.

    python scripts/screenshot_diagrams.py envs/reference/ACCESS.md OUT_DIR [--width 1000]

Needs Debian's chromium (`apt-get install chromium`) and `npm ci --prefix tools/mermaid`.
Prints each PNG with the diagram's drawn size (at its natural size, before it is scaled to
the page width the way GitHub scales it).
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MERMAID_JS = REPO / "tools" / "mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
FENCE = re.compile(r"^```mermaid\n(.*?)^```$", re.M | re.S)

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>body {{ margin: 16px; font-family: sans-serif; background: #fff; width: {width}px; }}</style>
<script src="{script}"></script></head><body>
<pre class="mermaid">{diagram}</pre>
<script>
mermaid.initialize({{ startOnLoad: false, securityLevel: "strict", theme: "default" }});
mermaid.run().then(() => {{
  const svg = document.querySelector("svg");
  const box = svg.viewBox.baseVal;
  document.title = Math.round(box.width) + "x" + Math.round(box.height);
}});
</script></body></html>
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("page", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1000, help="page width in CSS pixels")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    diagrams = FENCE.findall(args.page.read_text())
    with tempfile.TemporaryDirectory() as profile:
        for i, diagram in enumerate(diagrams, start=1):
            page = args.out / f"diagram-{i}.html"
            page.write_text(
                PAGE.format(
                    width=args.width, script=MERMAID_JS.as_uri(), diagram=html.escape(diagram)
                )
            )
            png = args.out / f"diagram-{i}.png"
            flags = [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=8000",
            ]
            subprocess.run(
                [
                    chromium,
                    *flags,
                    f"--window-size={args.width + 32},1400",
                    f"--screenshot={png}",
                    page.as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            title = subprocess.run(
                [chromium, *flags, "--dump-dom", page.as_uri()],
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout
            size = re.search(r"<title>([0-9]+x[0-9]+)</title>", title)
            print(f"{png}: drawn {size.group(1) if size else '?'} px")


if __name__ == "__main__":
    main()
