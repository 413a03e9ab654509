"""Module sources lint can read although they are not local paths.

An installed gen renders module calls pinned to its own release (`release.modules_source`,
a git source at the tag). Those modules are the ones bundled with this very gen, so lint
reads them from the installation instead of fetching anything; any other remote source is
reported as not checked.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator import release
from generator.render.files import modules_dir

_SOURCE = re.compile(r'^(\s*source\s*=\s*)"([^"]+)"', re.M)


def own_release_module(source: str) -> Path | None:
    """The bundled directory of `source` when it is this gen's own release of a module
    (`git::<repository>.git//modules/<name>?ref=v<this version>`); None otherwise."""
    base, _, query = source.partition("?")
    prefix, _, _ = release.modules_source().partition("?")
    if query != f"ref={release.tag()}" or not base.startswith(prefix + "/"):
        return None
    name = base[len(prefix) + 1 :]
    directory = modules_dir() / name
    if "/" in name or not name or not directory.is_dir():
        return None
    return directory


@dataclass(frozen=True)
class ModuleSources:
    resolved: dict[str, Path]  # source -> bundled directory
    unresolved: list[str]  # remote sources lint cannot read


_MODULE_BLOCK = re.compile(r'^module\s+"[^"]*"\s*\{(.*?)^\}', re.M | re.S)


def module_sources(env_dir: Path) -> ModuleSources:
    """The non-local module sources that the root's module blocks name.

    Read from the text (a formatted root: blocks close at the start of a line), not with
    python-hcl2, whose serializer shares state between calls: this runs beside lint's own
    parsing, in checkov's worker threads.
    """
    resolved: dict[str, Path] = {}
    unresolved: list[str] = []
    calls: list[str] = []
    for path in sorted(env_dir.glob("*.tf")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the parse check reports it
        for block in _MODULE_BLOCK.finditer(text):
            calls += [m.group(2) for m in _SOURCE.finditer(block.group(1))]
    for source in calls:
        if source.startswith(("./", "../", "/")) or source in (".", ".."):
            continue
        local = own_release_module(source)
        if local is not None:
            resolved[source] = local
        elif source not in unresolved:
            unresolved.append(source)
    return ModuleSources(resolved, unresolved)


def local_copy(env_dir: Path, target: Path, resolved: dict[str, Path]) -> None:
    """Copy the root's *.tf files into `target` with each resolved source replaced by the
    relative path of its bundled module (for checkov, which reads local modules only)."""
    for path in sorted(env_dir.glob("*.tf")):
        text = path.read_text(encoding="utf-8")

        def local(match: re.Match[str]) -> str:
            source = match.group(2)
            directory = resolved.get(source)
            if source.startswith(("./", "../")):
                directory = (env_dir / source).resolve()
            if directory is None:
                return match.group(0)
            relative = Path(os.path.relpath(directory, target)).as_posix()
            return f'{match.group(1)}"{relative}"'

        (target / path.name).write_text(_SOURCE.sub(local, text), encoding="utf-8")
    for extra in (".terraform.lock.hcl",):
        if (env_dir / extra).is_file():
            shutil.copy(env_dir / extra, target / extra)


def with_bundled_modules(env_dir: Path, scratch: Path, resolved: dict[str, Path]) -> Path:
    """The root a tool should read: `env_dir` itself, or, when its module calls name gen's own
    release (`resolved`), a copy under `scratch` whose calls point at the bundled modules."""
    if not resolved:
        return env_dir
    copy = scratch / env_dir.name
    copy.mkdir(parents=True)
    local_copy(env_dir, copy, resolved)
    return copy


def back_to(path: Path, copy: Path, env_dir: Path) -> Path:
    """A path a tool reported inside `copy` (from `with_bundled_modules`), as the same path in
    `env_dir`; any other path unchanged."""
    if path == copy or copy in path.parents:
        return env_dir / path.relative_to(copy)
    return path


def describe(sources: Iterable[str]) -> str:
    found = sorted(set(sources))
    return ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
