"""What `gen apply` runs, as data (pure: no Terraform, no files).

An environment is applied phase by phase (`apply-order.json` of the per-account layout; a
single root is one phase of one root). In each root: `terraform init`, `plan -out`, then
`apply` of that saved plan. The roots of one phase are independent and run in parallel; a
phase starts only when every root of the one before it has applied. `--plan-only` runs init
and plan everywhere and applies nothing (the phases no longer wait for each other's state:
cross-root values are literals).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PLAN_FILE = "gen.tfplan"  # the plan's file name, in a temporary directory of gen apply's own


class ApplyOrderError(ValueError):
    """apply-order.json is not what gen writes."""


@dataclass(frozen=True)
class Phase:
    name: str
    roots: tuple[str, ...]  # root directories relative to the environment ("." for one root)


@dataclass(frozen=True)
class Command:
    """One Terraform command in one root (argv without the program name)."""

    step: str  # init | plan | apply
    argv: tuple[str, ...]


def phases(order: Mapping[str, Any] | None) -> list[Phase]:
    """The phases of an environment: those of its apply-order.json, or one phase of the
    environment's own root when it has none (`layout: single`)."""
    if order is None:
        return [Phase("main", (".",))]
    raw = order.get("phases")
    if not isinstance(raw, list) or not raw:
        raise ApplyOrderError("expected a non-empty list under 'phases'")
    out = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise ApplyOrderError(f"phases[{i}]: expected an object with 'phase' and 'roots'")
        name, roots = item.get("phase"), item.get("roots")
        if not isinstance(name, str) or not isinstance(roots, list) or not roots:
            raise ApplyOrderError(f"phases[{i}]: expected a name and a non-empty list of roots")
        for root in roots:
            if not isinstance(root, str) or root.startswith("/") or ".." in root.split("/"):
                raise ApplyOrderError(
                    f"phases[{i}]: {root!r} is not a directory below the environment"
                )
            if root in seen:
                raise ApplyOrderError(f"phases[{i}]: root {root} is listed twice")
            seen.add(root)
        out.append(Phase(name, tuple(roots)))
    return out


def commands(
    *, plan_only: bool, plan_file: str = PLAN_FILE, lock_timeout: str = "60s"
) -> list[Command]:
    """The commands each root runs, in order; the saved plan goes to `plan_file` (gen apply
    gives each root a path outside the environment, so no plan file is left beside the
    topology: a saved plan holds every value of the configuration in clear)."""
    common = ("-input=false", "-no-color")
    steps = [
        Command("init", ("init", *common)),
        Command("plan", ("plan", *common, f"-lock-timeout={lock_timeout}", f"-out={plan_file}")),
    ]
    if not plan_only:
        steps.append(
            Command("apply", ("apply", *common, f"-lock-timeout={lock_timeout}", plan_file))
        )
    return steps


def terraform_message(stdout: str, stderr: str, limit: int = 30) -> str:
    """Terraform's own account of a failure: its `Error:` diagnostics (the last lines of its
    output when it printed none)."""
    text = stderr.strip() or stdout.strip()
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "Error:" in line), None)
    chosen = lines[start:] if start is not None else lines[-limit:]
    chosen = [line.strip("│╷╵ ").rstrip() for line in chosen]
    return "\n".join(line for line in chosen[:limit] if line)
