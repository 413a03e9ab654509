"""A progress bar across the accounts, for the commands that call AWS in each of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn


@contextmanager
def account_progress(console: Console, total: int, verb: str) -> Iterator[Callable[[str], None]]:
    """A progress bar across the accounts (drawn only on a terminal). Yields the callback
    each account calls before its checks run."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(verb, total=total)
        started = [0]

        def step(label: str) -> None:
            if started[0]:
                bar.advance(task)
            started[0] += 1
            bar.update(task, description=f"{verb} {label}")

        yield step
        bar.update(task, completed=total)
