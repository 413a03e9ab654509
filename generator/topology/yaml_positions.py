"""Read YAML keeping where every value stands, so errors can name file, line and column."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from generator.errors import Problem, TopologyError

Path = tuple[str | int, ...]

# libyaml's parser (same nodes, same marks) when PyYAML was built with it: the pure-Python
# scanner is most of the load time of a topology with hundreds of stages.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Located:
    """A YAML document as plain data plus the 1-based (line, column) of every path in it."""

    data: Any
    positions: Mapping[Path, tuple[int, int]]
    file: str

    def where(self, path: Path) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return (1, 1)

    def problem(self, path: Path, message: str) -> Problem:
        line, column = self.where(path)
        dotted = ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")
        return Problem(self.file, line, column, dotted or "(document)", message)


def load_located(text: str, file: str) -> Located:
    """Parse one YAML document with the safe loader; duplicate keys are errors."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise TopologyError([Problem(file, 1, 1, "(document)", "the file is empty")])
        positions: dict[Path, tuple[int, int]] = {}
        problems: list[Problem] = []
        _walk(node, (), positions, problems, file)
        if problems:
            raise TopologyError(problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "invalid YAML"
        raise TopologyError([Problem(file, line, column, "(yaml)", f"{reason}")]) from None
    finally:
        loader.dispose()
    return Located(data=data, positions=positions, file=file)


def _walk(
    node: yaml.Node,
    path: Path,
    positions: dict[Path, tuple[int, int]],
    problems: list[Problem],
    file: str,
) -> None:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Problem(
                        file,
                        line,
                        key_node.start_mark.column + 1,
                        ".".join(str(p) for p in (*path, key)),
                        f"duplicate key (first defined on line {seen[key]}); keep one",
                    )
                )
                continue
            seen[key] = line
            child = (*path, key)
            _walk(value_node, child, positions, problems, file)
            # Point errors about a key at the key itself, which is where a reader looks.
            positions[child] = (line, key_node.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), positions, problems, file)
