"""Writing a rendered root to disk: the manifest, stale files, atomic replacement.

The only module besides the CLI that touches files. A file is gen's when the manifest of the
previous render lists it; gen never rewrites or deletes any other file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.errors import OutputConflictError

MANIFEST = ".gen-manifest.json"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def manifest_text(files: Mapping[str, str]) -> str:
    data = {
        "generator": "gen",
        "note": "files gen rendered here; `gen render` replaces or deletes only these",
        "files": {name: _digest(text) for name, text in sorted(files.items())},
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def previous_files(directory: Path) -> dict[str, str]:
    path = directory / MANIFEST
    if not path.is_file():
        return {}
    try:
        files = json.loads(path.read_text())["files"]
    except (ValueError, KeyError, TypeError):
        raise OutputConflictError(
            f"{path}: not a gen manifest; remove it only if gen made the files next to it"
        ) from None
    return {str(k): str(v) for k, v in files.items()}


@dataclass(frozen=True)
class Plan:
    write: dict[str, str]  # changed or new files (with the manifest)
    unchanged: list[str]
    delete: list[str]  # gen's files of the previous render that this one no longer makes

    @property
    def stale(self) -> bool:
        return bool(self.write or self.delete)


def plan(directory: Path, files: Mapping[str, str]) -> Plan:
    """Compare what the topology renders with what is on disk; refuse to touch other files."""
    ours = previous_files(directory)
    wanted = {**files, MANIFEST: manifest_text(files)}
    conflicts = [name for name in sorted(files) if (directory / name).exists() and name not in ours]
    if conflicts:
        raise OutputConflictError(
            f"{directory}: gen would overwrite {', '.join(conflicts)}, which it did not "
            "generate (not in .gen-manifest.json); move them away or rename them"
        )
    write, unchanged = {}, []
    for name, text in sorted(wanted.items()):
        path = directory / name
        if path.is_file() and path.read_text() == text:
            unchanged.append(name)
        else:
            write[name] = text
    delete = sorted(n for n in ours if n not in files and (directory / n).is_file())
    return Plan(write, unchanged, delete)


def apply(directory: Path, the_plan: Plan) -> None:
    """Write every file to a temporary name first, then rename them all into place: a
    failure before the renames leaves the previous output exactly as it was."""
    staged: list[tuple[Path, Path]] = []
    try:
        for name, text in the_plan.write.items():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            os.chmod(tmp_name, 0o666 & ~_umask())
            staged.append((Path(tmp_name), target))
    except OSError:
        for staged_tmp, _ in staged:
            staged_tmp.unlink(missing_ok=True)
        raise
    # The manifest goes last: until it is replaced, the old one still describes the files.
    staged.sort(key=lambda pair: pair[1].name == MANIFEST)
    for tmp, target in staged:
        os.replace(tmp, target)
    for name in the_plan.delete:
        (directory / name).unlink()


APPLY_ORDER = "apply-order.json"


def root_directories(directory: Path) -> list[Path]:
    """The Terraform roots of an environment: the directory itself, or with the per-account
    layout (an apply-order.json) every root it lists."""
    order = directory / APPLY_ORDER
    if not order.is_file():
        return [directory]
    try:
        phases = json.loads(order.read_text(encoding="utf-8"))["phases"]
        return [directory / str(r) for phase in phases for r in phase["roots"]]
    except (ValueError, KeyError, TypeError):
        raise OutputConflictError(
            f"{order}: not an apply order written by gen; run `gen render`"
        ) from None
