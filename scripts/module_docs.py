"""Write the Inputs/Outputs tables of each module README from its variables.tf and outputs.tf,
between terraform-docs' markers. `python scripts/module_docs.py --check` exits 1 when stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def _unquote(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return text.strip('"')


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def blocks(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    parsed = hcl2.loads(path.read_text())
    out = []
    for item in parsed.get(kind, []):
        for label, body in item.items():
            out.append((label.strip('"'), body))
    return out


def tables(module: Path) -> str:
    lines = [
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for name, body in sorted(blocks(module / "variables.tf", "variable")):
        has_default = "default" in body
        default = _unquote(body["default"]) if has_default else "n/a"
        if has_default and body["default"] is None:
            default = "null"
        lines.append(
            f"| `{name}` | {_cell(_unquote(body.get('description', '')))} | "
            f"`{_cell(_unquote(body.get('type', '')))}` | `{_cell(default)}` | "
            f"{'no' if has_default else 'yes'} |"
        )
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for name, body in sorted(blocks(module / "outputs.tf", "output")):
        lines.append(f"| `{name}` | {_cell(_unquote(body.get('description', '')))} |")
    return "\n".join(lines)


def updated(readme: str, module: Path) -> str:
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{tables(module)}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when a README is stale")
    args = parser.parse_args()
    stale = []
    for module in sorted((REPO / "modules").iterdir()):
        readme = module / "README.md"
        text = readme.read_text()
        if BEGIN not in text:
            print(f"{readme}: no {BEGIN} marker", file=sys.stderr)
            return 1
        new = updated(text, module)
        if new != text:
            stale.append(str(readme.relative_to(REPO)))
            if not args.check:
                readme.write_text(new)
    if args.check and stale:
        print("stale module READMEs (run python scripts/module_docs.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
