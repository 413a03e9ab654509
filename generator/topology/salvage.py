"""All problems in one pass: the valid parts of a topology with shape errors, for the
cross-field checks.

When pydantic refuses parts of a topology, the rules across fields (references that must
resolve, one role per job, ...) can still run on the rest: each refused part is set aside (a
list item, an entry of a named map, an optional field) or, for a few required scalars, stood
in for by a placeholder; the remainder is validated again. Findings on the set-aside parts,
or naming them, are dropped (they would only repeat the shape error), and list indices are
mapped back to the file's. When nothing can be set aside, only the shape errors are reported.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from generator.topology.model import Topology

Path = tuple[str | int, ...]
Remap = Callable[[Path], Path]


class _Gone:
    """Marks a set-aside item, so indices of the original file stay known."""


GONE = _Gone()
NAMED_MAPS = {"accounts", "models", "endpoints", "tags"}
OPTIONAL = {
    "jumpstart",
    "network",
    "tags",
    "image_repositories",
    "existing_role",
    "existing",
    "arn",
    "prefix",
    "weight",
    "portfolio_id",
    "model_data",
    "model_package",
    "image",
}
PLACEHOLDERS: dict[str, Any] = {
    "version": 1,
    "environment": "gen-placeholder",
    "region": "us-east-1",
    "terraform_role": "GenPlaceholderTerraform",
}
# Refused values that other rules depend on, stood in for by a valid value of the same kind
# (an invalid digest must not hide that a private registry image needs `network`).
VALUE_PLACEHOLDERS: dict[str, str] = {
    "uri": "gen-placeholder.invalid/gen/placeholder@sha256:" + "0" * 64,
    "digest": "sha256:" + "0" * 64,
}
VALUE_STANDINS = set(VALUE_PLACEHOLDERS.values())
ROLE_FIELDS = {"role", "execution_role"}
MAX_ROUNDS = 8


def _compact(marked: Any) -> Any:
    if isinstance(marked, dict):
        return {k: _compact(v) for k, v in marked.items() if v is not GONE}
    if isinstance(marked, list):
        return [_compact(v) for v in marked if v is not GONE]
    return marked


def _remap(marked: Any) -> Remap:
    """Compacted path -> the path in the file."""

    def remap(path: Path) -> Path:
        out: list[str | int] = []
        node = marked
        for step in path:
            if isinstance(node, list) and isinstance(step, int):
                alive = [i for i, v in enumerate(node) if v is not GONE]
                if step >= len(alive):
                    out.append(step)
                    node = None
                    continue
                out.append(alive[step])
                node = node[alive[step]]
            else:
                out.append(step)
                node = node.get(step) if isinstance(node, dict) else None
        return tuple(out)

    return remap


def _get(node: Any, path: Path) -> Any:
    for step in path:
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    return node


def _set_aside(marked: Any, path: Path, kind: str, placeholders: list[str]) -> Path | None:
    """Set aside the innermost removable part holding `path`; return its path, or None."""
    for end in range(len(path), 0, -1):
        prefix, step = path[:end], path[end - 1]
        parent = _get(marked, prefix[:-1])
        if isinstance(parent, list) and isinstance(step, int) and 0 <= step < len(parent):
            parent[step] = GONE
            return prefix
        if not isinstance(parent, dict) or not isinstance(step, str):
            continue
        present = step in parent
        named = len(prefix) >= 2 and prefix[-2] in NAMED_MAPS
        if present and (
            named or step in OPTIONAL or (kind == "extra_forbidden" and end == len(path))
        ):
            parent[step] = GONE
            return prefix
        standin = VALUE_PLACEHOLDERS.get(step) if present and end == len(path) else None
        if standin is not None and parent[step] != standin:
            parent[step] = standin
            placeholders.append(standin)
            return prefix
        if end == 1 and step in PLACEHOLDERS:
            parent[step] = PLACEHOLDERS[step]
            placeholders.append(str(PLACEHOLDERS[step]))
            return prefix
        if step in ROLE_FIELDS:
            parent[step] = f"GenPlaceholder{len(placeholders)}"
            placeholders.append(parent[step])
            return prefix
    return None


def salvage(
    data: Any, located_path: Callable[[tuple[Any, ...], Any], Path]
) -> tuple[Topology, Remap, list[Path], list[str]] | None:
    """The valid remainder of `data` as a Topology, the map of its paths back to the file's,
    the set-aside paths (in the file) and the placeholder values; None when there is none.
    `located_path` turns a pydantic error location into a path into the data."""
    if not isinstance(data, dict):
        return None
    marked = copy.deepcopy(data)
    aside: list[Path] = []
    placeholders: list[str] = []
    for _ in range(MAX_ROUNDS):
        clean = _compact(marked)
        remap = _remap(marked)
        try:
            return Topology.model_validate(clean), remap, aside, placeholders
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        progress = False
        for error in errors:
            path = remap(located_path(tuple(error["loc"]), clean))
            stood_in = len(placeholders)
            done = _set_aside(marked, path, error["type"], placeholders)
            if done is not None:
                # A value stood in for stays in the topology: findings at its path are kept
                # unless they name the placeholder (named_in), e.g. "needs a network".
                if not (len(placeholders) > stood_in and placeholders[-1] in VALUE_STANDINS):
                    aside.append(done)
                progress = True
        if not progress:
            return None
    return None


def named_in(message: str, data: Any, aside: list[Path], placeholders: list[str]) -> bool:
    """True when a finding's message names a set-aside part or a placeholder."""
    names = set(placeholders)
    for path in aside:
        if path and isinstance(path[-1], str):
            names.add(path[-1])
        value = _get(data, path)
        if isinstance(value, str):
            names.add(value)
    return any(f"'{name}'" in message or f" {name} " in message for name in names if name)
