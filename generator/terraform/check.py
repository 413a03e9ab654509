"""``gen lint``'s terraform check: real ``init``, ``validate`` and ``plan`` on each root.

Per environment directory, in one child process (``generator.terraform.runner``):
``terraform init -backend=false``, ``terraform validate``, then ``terraform plan
-refresh=false`` against an empty state, all with ``-json``; every error diagnostic becomes a
:class:`Diagnostic` located by file and line (Terraform's own ``range``), with Terraform's
summary and detail. Nothing is written to the directory checked.

What this finds that no home-made check does: ``for_each``/``count`` over values known only
after apply, module calls missing a provider, values of the wrong type for variables and
arguments, dependency cycles, references to attributes a resource does not export.

Terraform runs on a shadow copy: the root's and its local modules' ``.tf`` files copied into
the session's temporary directory with their relative layout, so module sources resolve and
nothing of the user's directory (a ``terraform.tfstate``, a ``.terraform`` folder, a lock
file) changes what is checked or is changed by it. Locations are mapped back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
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


_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.M)


def local_module_dirs(root: Path) -> list[Path]:
    """``root`` and every local module directory it calls, recursively (resolved)."""
    seen: list[Path] = []
    todo = [root.resolve()]
    while todo:
        directory = todo.pop()
        if directory in seen or not directory.is_dir():
            continue
        seen.append(directory)
        for path in sorted(directory.glob("*.tf")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            todo += [(directory / source).resolve() for source in _LOCAL_SOURCE.findall(text)]
    return seen


def shadow_copy(root: Path, target: Path, keep_lock: bool = False) -> tuple[Path, Path]:
    """Copy ``root`` and its local modules (whole directories, for ``file()`` and friends;
    not ``.terraform`` or state files, nor the lock file unless ``keep_lock``: the real
    providers keep to it) under ``target``, keeping their layout relative to their common
    ancestor. Returns (the copy of root, the ancestor)."""
    skipped = [".terraform", "terraform.tfstate*"] + ([] if keep_lock else [".terraform.lock.hcl"])
    dirs = local_module_dirs(root)
    base = Path(os.path.commonpath([str(d) for d in dirs]))
    for directory in dirs:
        shutil.copytree(
            directory,
            target / directory.relative_to(base),
            ignore=shutil.ignore_patterns(*skipped),
            dirs_exist_ok=True,
        )
    return target / root.resolve().relative_to(base), base


_BACKEND = re.compile(r'^\s*backend\s+"', re.M)
OFFLINE_BACKEND_OVERRIDE = "zz_gen_lint_backend_override.tf"


def local_backend_override(copy: Path) -> bool:
    """The check plans against an empty local state (``init -backend=false``): a root's remote
    backend (``state`` in the topology) would make plan ask for backend initialisation. An
    override file (Terraform merges ``*_override.tf`` last, and a backend there replaces the
    root's) puts the shadow copy on the local backend; the user's files are not touched.
    https://developer.hashicorp.com/terraform/language/files/override"""
    if not any(_BACKEND.search(f.read_text(encoding="utf-8")) for f in copy.glob("*.tf")):
        return False
    (copy / OFFLINE_BACKEND_OVERRIDE).write_text(
        'terraform {\n  backend "local" {}\n}\n', encoding="utf-8"
    )
    return True


def _unshadow(diagnostic: Diagnostic, shadow: Path, base: Path) -> Diagnostic:
    if diagnostic.file is None:
        return diagnostic
    try:
        relative = diagnostic.file.relative_to(shadow)
    except ValueError:
        return diagnostic
    return Diagnostic(
        base / relative,
        diagnostic.line,
        diagnostic.command,
        diagnostic.address,
        diagnostic.summary,
        diagnostic.detail,
    )


def check_roots(roots: Sequence[Path], provider: ProviderMode = "offline") -> list[RootResult]:
    """init, validate and plan each root; stops at the first command that reports errors."""
    out = []
    with TerraformSession(provider) as tf:
        for index, root in enumerate(roots):
            data_dir = tf.home / f"data-{index}"
            state = tf.home / f"empty-{index}.tfstate"  # never written: plan only reads it
            shadow = (tf.home / f"root-{index}").resolve()
            copy, base = shadow_copy(root, shadow, keep_lock=provider == "real")
            local_backend = local_backend_override(copy)
            results = tf.run(
                copy,
                [
                    init_step(provider, local_backend=local_backend),
                    validate_step(),
                    plan_step(state=state),
                ],
                data_dir=data_dir,
            )
            diagnostics = sorted(
                {_unshadow(d, shadow, base) for r in results for d in _diagnostics_of(r, copy)},
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
