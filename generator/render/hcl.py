"""HCL values, written the way `terraform fmt` writes them. Every value that reaches a
rendered file goes through `value()`; strings are escaped only by `string()`."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
INDENT = "  "
MAX_INLINE = 100


@dataclass(frozen=True)
class Expr:
    """A Terraform expression written as is (a reference such as module.kms.key_arn).
    Built only by gen's own code from names it validated, never from user text."""

    text: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-\[\]\"()\*, ]*", self.text):
            raise ValueError(f"not a plain Terraform reference: {self.text!r}")


@dataclass(frozen=True)
class JsonEncode:
    """jsonencode(<value>): how policies are written, so they stay literal and reviewable."""

    value: Mapping[str, Any]


_PLAIN = re.compile(r"[^\\\"\x00-\x1f\x7f]*")


def string(text: str) -> str:
    """A quoted HCL string literal: the one escaping function."""
    if _PLAIN.fullmatch(text):  # nothing to escape but template sequences
        return '"' + text.replace("${", "$${").replace("%{", "%%{") + '"'
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    # Template sequences: a literal ${ or %{ must be doubled to stay literal.
    return '"' + "".join(out).replace("${", "$${").replace("%{", "%%{") + '"'


def key(name: str) -> str:
    return name if IDENT.match(name) else string(name)


def _scalar(v: Any) -> str | None:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"not a finite number: {v}")
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, Expr):
        return v.text
    return None


def lines(v: Any, indent: int) -> list[str]:
    """The value as lines; the first line continues the line it starts on (`k = <first>`)."""
    inline = _scalar(v)
    if inline is not None:
        return [inline]
    pad = INDENT * indent
    if isinstance(v, JsonEncode):
        inner = lines(v.value, indent)
        return ["jsonencode(" + inner[0], *inner[1:-1], inner[-1] + ")"]
    if isinstance(v, Mapping):
        if not v:
            return ["{}"]
        return ["{", *body(list(v.items()), indent + 1), pad + "}"]
    if isinstance(v, Sequence):
        items = [_scalar(x) for x in v]
        if all(i is not None for i in items):
            one = "[" + ", ".join(i for i in items if i is not None) + "]"
            if len(one) + len(pad) <= MAX_INLINE:
                return [one]
        out = ["["]
        for x in v:
            sub = lines(x, indent + 1)
            out.append(INDENT * (indent + 1) + sub[0])
            out.extend(sub[1:])
            out[-1] += ","
        return [*out, pad + "]"]
    raise TypeError(f"no HCL form for {type(v).__name__}")


def body(items: Sequence[tuple[str, Any]], indent: int) -> list[str]:
    """Attribute lines `k = v` at `indent`, aligned as terraform fmt aligns them: a run of
    single-line attributes shares one column; a multi-line value ends the run."""
    pad = INDENT * indent
    rendered = [(key(k), lines(v, indent)) for k, v in items]
    out: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(k) for k, _ in run), default=0)
        out.extend(f"{pad}{k.ljust(width)} = {v}" for k, v in run)
        run.clear()

    for k, value_lines in rendered:
        if len(value_lines) == 1:
            run.append((k, value_lines[0]))
            continue
        flush()
        out.append(f"{pad}{k} = {value_lines[0]}")
        out.extend(value_lines[1:])
    flush()
    return out


def attributes(items: Mapping[str, Any] | Sequence[tuple[str, Any]], indent: int = 1) -> str:
    """Jinja filter: a block's attributes, aligned."""
    pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
    return "\n".join(body(pairs, indent))


def value(v: Any, indent: int = 0) -> str:
    """Jinja filter: one value."""
    return "\n".join(lines(v, indent))


@dataclass(frozen=True)
class Block:
    """A block: `type "label" ... { attribute groups, nested blocks }`.
    Groups of attributes are separated by a blank line, as a person would write them."""

    type: str
    labels: tuple[str, ...] = ()
    groups: tuple[tuple[tuple[str, Any], ...], ...] = ()
    blocks: tuple[Block, ...] = ()
    comment: str = ""


def block(b: Block, indent: int = 0) -> str:
    """Jinja filter: one block, formatted as terraform fmt formats it."""
    pad = INDENT * indent
    head = " ".join([b.type, *(string(label) for label in b.labels)])
    out = [f"{pad}# {line}".rstrip() for line in b.comment.splitlines()]
    out.append(f"{pad}{head} {{")
    parts = [body(list(g), indent + 1) for g in b.groups if g]
    parts += [block(nested, indent + 1).split("\n") for nested in b.blocks]
    for i, part in enumerate(parts):
        if i:
            out.append("")
        out.extend(part)
    out.append(f"{pad}}}")
    return "\n".join(out)
