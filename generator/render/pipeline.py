"""The render pipeline, file in to files out: read, validate, resolve, render.

`render_directory` reads; `render_environment` is the pure part the tests and other
commands share.
"""

from __future__ import annotations

import os
from pathlib import Path

from generator import release
from generator.errors import Problem, TopologyError
from generator.render.files import Rendered, installed, modules_dir, render
from generator.topology.environment import Environment
from generator.topology.load import load_topology
from generator.topology.lockfile import LOCK_FILE, Lock, parse_lock

TOPOLOGY_FILE = "topology.yaml"


def read_environment(directory: Path) -> Environment:
    topology_path = directory / TOPOLOGY_FILE
    if not topology_path.is_file():
        raise TopologyError(
            [Problem(str(topology_path), 0, 0, "", "no topology.yaml in this directory")]
        )
    lock: Lock | None = None
    lock_path = directory / LOCK_FILE
    if lock_path.is_file():
        lock = parse_lock(lock_path.read_text(), str(lock_path))
    display = str(topology_path)
    if topology_path.is_absolute() and not os.path.relpath(topology_path).startswith(".."):
        display = os.path.relpath(topology_path)
    try:
        text = topology_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TopologyError(
            [Problem(display, 1, 1, "", f"not UTF-8 text ({exc.reason})")]
        ) from None
    return Environment(load_topology(text, display, lock), lock)


def modules_source_for(directory: Path) -> str:
    """Where module calls point by default: in a checkout of gen, the relative path to its
    modules/; from an installed gen (a wheel, a pre-commit hook's environment), this
    release's modules in gen's repository, at its tag (`release.modules_source`): a path
    into site-packages would differ on every machine."""
    if installed():
        return release.modules_source()
    return Path(os.path.relpath(modules_dir(), directory.resolve())).as_posix()


def render_directory(directory: Path, modules_source: str | None = None) -> Rendered:
    """Render an environment directory. `modules_source` is where module calls point; by
    default `modules_source_for(directory)`."""
    env = read_environment(directory)
    return render(env, modules_source or modules_source_for(directory))
