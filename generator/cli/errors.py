"""The one place that turns gen's errors into exit codes and messages.

Exit codes: 0 ok; 1 stale output (`--check`) or findings; 2 invalid input (topology, policy
over its AWS limit, a file gen would overwrite, a local file it cannot read or write); 3 a
tool or AWS failed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer

from generator.errors import GenError, TopologyError

if TYPE_CHECKING:
    from rich.console import Console

P = ParamSpec("P")
R = TypeVar("R")


def console(*, stderr: bool = False) -> Console:
    """A plain console: no highlighting, no markup surprises, long lines kept whole."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Every GenError becomes its message on stderr and its exit code; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except TopologyError as exc:
            err = console(stderr=True)
            for problem in exc.problems:
                err.print(str(problem), markup=False)
            n = len(exc.problems)
            err.print(f"{n} problem{'s' if n != 1 else ''}; nothing was written.", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except GenError as exc:
            console(stderr=True).print(f"error: {exc}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:
            console(stderr=True).print(
                f"error: {exc.filename or ''}: {exc.strerror or exc}", markup=False
            )
            raise typer.Exit(3) from None

    return wrapper
