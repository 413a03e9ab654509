"""Read YAML keeping where every value stands, so errors can name file, line and column.

The loader is bounded and plain: a size cap, a nesting limit, no anchors or aliases (so no
alias bombs), no explicit tags (`!!int "abc"`), no merge keys, keys that are strings, finite
numbers of sane size, and no control, bidirectional or zero-width characters anywhere in the
text. Each refusal is a located problem; nothing the loader refuses reaches a traceback.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from generator.errors import Problem, TopologyError, format_path

Path = tuple[str | int, ...]

MAX_BYTES = 1_000_000  # a topology is a few KB; this is a hundred times the largest seen
MAX_DEPTH = 32  # the format nests 8 levels deep
MAX_NODES = 100_000
MAX_INT_DIGITS = 20  # beyond any count, version or size that AWS accepts

# C0 controls but tab, newline and carriage return; DEL and C1 controls; the bidirectional
# overrides and isolates (Trojan Source, CVE-2021-42574) and marks; zero-width characters and
# the byte-order mark (allowed only as the file's first character).
FORBIDDEN_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
# Not text at all: surrogates (only a decoder's error handler makes them), and the 66 Unicode
# noncharacters, U+FDD0..U+FDEF and the last two code points of each of the 17 planes
# (https://www.unicode.org/faq/private_use.html#noncharacters). YAML 1.1's printable set
# leaves U+FFFE and U+FFFF out, so PyYAML's reader would stop on them with a bare error.
NONCHARACTERS = re.compile(
    "[\ud800-\udfff\ufdd0-\ufdef"
    + "".join(
        f"{chr(plane * 0x10000 + 0xFFFE)}-{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
    )
    + "]"
)

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


@dataclass(frozen=True)
class Located:
    """A YAML document as plain data plus the 1-based (line, column) of every path in it,
    and the source text of every plain scalar (to quote back what the user wrote)."""

    data: Any
    positions: Mapping[Path, tuple[int, int]]
    file: str
    source: Mapping[Path, str] | None = None

    def where(self, path: Path) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return (1, 1)

    def written(self, path: Path) -> str | None:
        """The text of the plain scalar at `path` exactly as the file has it."""
        return (self.source or {}).get(path)

    def problem(self, path: Path, message: str) -> Problem:
        line, column = self.where(path)
        return Problem(self.file, line, column, format_path(path) or "(document)", message)


def check_characters(text: str, file: str) -> list[Problem]:
    """Every forbidden character of `text`, located (at most 20 reported)."""
    problems = []
    body = text[1:] if text.startswith("\ufeff") else text
    offset = len(text) - len(body)
    found = sorted(
        [(m.start(), m.group(), _HIDES) for m in FORBIDDEN_CHARS.finditer(body)]
        + [(m.start(), m.group(), _NOT_TEXT) for m in NONCHARACTERS.finditer(body)]
    )
    for index, char, why in found[:20]:
        start = index + offset
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        problems.append(
            Problem(
                file,
                line,
                column,
                "(yaml)",
                f"character {char!r} (U+{ord(char):04X}) is not allowed: {why}",
            )
        )
    return problems


_HIDES = "control, bidirectional and zero-width characters can hide what a file says"
_NOT_TEXT = "it is a Unicode noncharacter or a lone surrogate, not text"


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses aliases, anchors, tags and deep nesting."""

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file
        self.depth = 0
        self.nodes = 0

    def _refuse(self, mark: Any, message: str) -> TopologyError:
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return TopologyError([Problem(self.file, line, column, "(yaml)", message)])

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise self._refuse(
                event.start_mark,
                f"alias *{event.anchor} is not supported: anchors and aliases can expand "
                "without bound; write the value out",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise self._refuse(
                event.start_mark,
                f"anchor &{anchor} is not supported: write the value out where it is used",
            )
        tag = getattr(event, "tag", None)
        if tag is not None:
            raise self._refuse(
                event.start_mark,
                f"YAML tag {tag!r} is not supported: write the plain value (quoted for text)",
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._refuse(event.start_mark, f"more than {MAX_NODES:,} values")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self._refuse(event.start_mark, f"nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load_located(text: str, file: str) -> Located:
    """Parse one YAML document with the bounded safe loader; duplicate keys are errors."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_BYTES:
        raise TopologyError(
            [Problem(file, 1, 1, "(file)", f"{size:,} bytes, over the limit of {MAX_BYTES:,}")]
        )
    bad = check_characters(text, file)
    if bad:
        raise TopologyError(bad)
    loader = _BoundedLoader(text.removeprefix("\ufeff"), file)
    try:
        node = loader.get_single_node()
        if node is None:
            raise TopologyError([Problem(file, 1, 1, "(document)", "the file is empty")])
        positions: dict[Path, tuple[int, int]] = {}
        source: dict[Path, str] = {}
        problems: list[Problem] = []
        _walk(loader, node, (), positions, source, problems, file)
        if problems:
            raise TopologyError(problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "invalid YAML"
        raise TopologyError([Problem(file, line, column, "(yaml)", f"{reason}")]) from None
    except yaml.YAMLError as exc:
        raise TopologyError([Problem(file, 1, 1, "(yaml)", f"invalid YAML ({exc})")]) from None
    finally:
        loader.dispose()
    return Located(data=data, positions=positions, file=file, source=source)


def _scalar_problem(loader: _BoundedLoader, node: yaml.ScalarNode) -> str | None:
    """Why a scalar cannot be read as the plain value it looks like, if it cannot."""
    if node.tag == "tag:yaml.org,2002:int":
        digits = node.value.lstrip("+-").replace("_", "")
        if len(digits) > MAX_INT_DIGITS or ":" in digits:
            return f"the number {node.value!r} is out of range (quote it if it is text)"
    elif node.tag == "tag:yaml.org,2002:float":
        number = loader.construct_yaml_float(node)
        if not math.isfinite(number):
            return f"{node.value!r} is not a finite number"
    elif node.tag == "tag:yaml.org,2002:timestamp":
        try:
            loader.construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return f"{node.value!r} looks like a date but is not one; quote it"
    return None


def _walk(
    loader: _BoundedLoader,
    node: yaml.Node,
    path: Path,
    positions: dict[Path, tuple[int, int]],
    source: dict[Path, str],
    problems: list[Problem],
    file: str,
) -> None:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if node.tag not in _PLAIN_TAGS:
        problems.append(Problem(file, *positions[path], format_path(path), "unsupported value"))
        return
    if isinstance(node, yaml.ScalarNode):
        if node.style is None:
            source[path] = node.value
        reason = _scalar_problem(loader, node)
        if reason:
            problems.append(
                Problem(file, *positions[path], format_path(path) or "(document)", reason)
            )
    elif isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != (
                "tag:yaml.org,2002:str"
            ):
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "..."
                problems.append(
                    Problem(
                        file,
                        line,
                        column,
                        format_path(path) or "(document)",
                        f"key {shown!r} is not read as text by YAML; quote it",
                    )
                )
                continue
            key = str(key_node.value)
            if key in seen:
                problems.append(
                    Problem(
                        file,
                        line,
                        column,
                        format_path((*path, key)),
                        f"duplicate key (first defined on line {seen[key]}); keep one",
                    )
                )
                continue
            seen[key] = line
            child = (*path, key)
            _walk(loader, value_node, child, positions, source, problems, file)
            # Point errors about a key at the key itself, which is where a reader looks.
            positions[child] = (line, column)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(loader, item, (*path, index), positions, source, problems, file)
