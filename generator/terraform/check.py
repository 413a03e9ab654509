"""``gen lint``'s terraform check: real ``init``, ``validate`` and ``plan`` on each root.

Per environment directory, in one child process (``generator.terraform.runner``):
``terraform init -backend=false``, ``terraform validate``, then ``terraform plan
-refresh=false`` against an empty state, all with ``-json``; every error diagnostic becomes a
:class:`Diagnostic` located by file and line (Terraform's own ``range``), with Terraform's
summary and detail. Nothing is written to the directory checked.

What this finds that no home-made check does: ``for_each``/``count`` over values known only
after apply, module calls missing a provider, values of the wrong type for variables and
arguments, dependency cycles, references to attributes a resource does not export.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.terraform.runner import (
    ProviderMode,
    StepResult,
    TerraformSession,
    init_step,
    plan_step,
    validate_step,
)


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: Path | None  # absolute; None when Terraform names no file
    line: int
    command: str  # init, validate or plan
    address: str
    summary: str
    detail: str


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _diagnostics_of(result: StepResult, root: Path) -> Iterator[Diagnostic]:
    command = result.command
    for raw in _raw_diagnostics(result):
        if raw.get("severity") != "error":
            continue
        where = raw.get("range") or {}
        filename = where.get("filename")
        file = (root / filename).resolve() if filename else None
        line = int((where.get("start") or {}).get("line") or 0)
        snippet = raw.get("snippet") or {}
        address = str(raw.get("address") or snippet.get("context") or "")
        yield Diagnostic(
            file,
            line,
            command,
            address,
            _clean(str(raw.get("summary", ""))),
            _clean(str(raw.get("detail", ""))),
        )


def _raw_diagnostics(result: StepResult) -> Iterator[dict[str, Any]]:
    text = result.stdout.strip()
    if result.command == "validate" and text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = {}
        yield from data.get("diagnostics") or []
        return
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("type") == "diagnostic" and isinstance(entry.get("diagnostic"), dict):
            yield entry["diagnostic"]


@dataclass
class RootResult:
    root: Path
    diagnostics: list[Diagnostic]
    commands: list[str]  # the commands that ran
    failure: str = ""  # a command failed without saying why (stderr tail)


def check_roots(roots: Sequence[Path], provider: ProviderMode = "offline") -> list[RootResult]:
    """init, validate and plan each root; stops at the first command that reports errors."""
    out = []
    with TerraformSession(provider) as tf:
        for index, root in enumerate(roots):
            data_dir = tf.home / f"data-{index}"
            state = tf.home / f"empty-{index}.tfstate"  # never written: plan only reads it
            results = tf.run(
                root,
                [init_step(provider), validate_step(), plan_step(state=state)],
                data_dir=data_dir,
            )
            diagnostics = sorted(
                {d for r in results for d in _diagnostics_of(r, root)},
                key=lambda d: (str(d.file or ""), d.line, d.command, d.summary, d.detail),
            )
            # A command that located its errors also prints a file-less summary of them
            # ("Terraform encountered problems during initialisation..."): keep the located.
            located = {d.command for d in diagnostics if d.file is not None}
            diagnostics = [d for d in diagnostics if d.file is not None or d.command not in located]
            failure = ""
            failed = [r for r in results if r.retcode != 0]
            if failed and not diagnostics:
                failure = (
                    f"terraform {failed[0].command} exited with {failed[0].retcode}: "
                    + _clean((failed[0].stderr or failed[0].stdout)[-600:])
                )
            out.append(RootResult(root, diagnostics, [r.command for r in results], failure))
    return out
