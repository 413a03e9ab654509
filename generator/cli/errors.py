"""The one place that turns gen's errors into exit codes and messages.

Exit codes: 0 ok; 1 stale output (`--check`) or findings; 2 invalid input (topology, policy
over its AWS limit, a file gen would overwrite, a local file it cannot read or write), one
located line per problem; 3 a tool or AWS failed; 70 a bug in gen (an unexpected exception:
one line, no traceback, a request to report it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer

from generator.errors import GenError, InputError, escape

if TYPE_CHECKING:
    from rich.console import Console

P = ParamSpec("P")
R = TypeVar("R")


def console(*, stderr: bool = False) -> Console:
    """A plain console: no emoji codes, no markup, no highlighting, long lines kept whole."""
    from generator.console import plain_console

    return plain_console(stderr=stderr)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Every GenError becomes its message on stderr and its exit code; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            err = console(stderr=True)
            for problem in exc.problems:
                err.print(str(problem), markup=False)
            n = len(exc.problems)
            err.print(f"{n} problem{'s' if n != 1 else ''}; nothing was written.", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except GenError as exc:
            lines = str(exc).splitlines() or [""]
            err = console(stderr=True)
            for i, line in enumerate(lines):
                err.print(f"error: {escape(line)}" if i == 0 else escape(line), markup=False)
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:
            # A local file gen cannot read or write: invalid input, located at the file.
            name = escape(str(exc.filename or "(file)"))
            err = console(stderr=True)
            err.print(f"{name}:1:1: (file): {escape(str(exc.strerror or exc))}", markup=False)
            err.print("1 problem; nothing was written.", markup=False)
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # typer's own exits and usage errors (typer.BadParameter, ...)
        except Exception as exc:  # a bug in gen: one line, never a traceback
            if type(exc).__module__.startswith("click."):
                raise  # click's usage errors, when typer uses click itself
            detail = escape(f"{type(exc).__name__}: {exc}")[:300]
            console(stderr=True).print(
                f"gen: internal error ({detail}); this is a bug in gen, please report it with "
                "the input that caused it",
                markup=False,
            )
            raise typer.Exit(70) from None

    return wrapper
