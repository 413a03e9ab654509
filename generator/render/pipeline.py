"""The render pipeline, file in to files out: read, validate, resolve, render.

`render_directory` reads; `render_environment` is the pure part the tests and other
commands share.
"""

from __future__ import annotations

import os
from pathlib import Path

from generator import release
from generator.errors import PoliciesTooLargeError, Problem, TopologyError
from generator.render.files import Rendered, installed, modules_dir, render
from generator.topology import textfile
from generator.topology.environment import Environment
from generator.topology.load import load_topology
from generator.topology.lockfile import LOCK_FILE, MAX_LOCK_BYTES, Lock, parse_lock
from generator.topology.yaml_positions import MAX_BYTES

TOPOLOGY_FILE = "topology.yaml"


def read_environment(directory: Path) -> Environment:
    topology_path = directory / TOPOLOGY_FILE
    display = _display(topology_path)
    if not textfile.exists(topology_path):
        raise TopologyError(
            [Problem(display, 1, 1, "(file)", "no topology.yaml in this directory")]
        )
    text = textfile.read_text(topology_path, display, MAX_BYTES)
    lock: Lock | None = None
    lock_path = directory / LOCK_FILE
    if textfile.exists(lock_path):
        shown = _display(lock_path)
        lock = parse_lock(textfile.read_text(lock_path, shown, MAX_LOCK_BYTES), shown)
    return Environment(load_topology(text, display, lock), lock)


def _display(path: Path) -> str:
    if path.is_absolute() and not os.path.relpath(path).startswith(".."):
        return os.path.relpath(path)
    return str(path)


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
    return render_located(env, modules_source or modules_source_for(directory), directory)


def render_located(env: Environment, modules_source: str, directory: Path) -> Rendered:
    """`render`, with a policy over its AWS size limit reported as a located problem of the
    topology (the file whose size it comes from)."""
    try:
        return render(env, modules_source)
    except PoliciesTooLargeError as exc:
        # The root module collects every overflow (render/root_module.py) and raises them
        # together: one located line each.
        raise TopologyError(exc.problems(_display(directory / TOPOLOGY_FILE))) from None
