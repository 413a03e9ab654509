"""The one way gen makes a rich console.

Everything gen prints is plain text: a file name, a line number or a user's value must reach
the terminal as written. rich would otherwise turn `:100:` (as in `topology.yaml:100:5:`) into
an emoji and `[...]` into markup, so both are off here; the few places that want a style pass
`markup=True` for that one call, with every user value escaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def plain_console(*, stderr: bool = False, **options: Any) -> Console:
    """A console with no emoji codes, no markup and no highlighting (rich's are all on by
    default); `options` are passed on (width, record, file, soft_wrap, ...)."""
    from rich.console import Console

    options.setdefault("soft_wrap", True)
    return Console(stderr=stderr, emoji=False, markup=False, highlight=False, **options)


def counted(n: int, noun: str) -> str:
    """`1 root`, `2 roots`: a count and its noun (regular plurals only)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
