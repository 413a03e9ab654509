"""`gen discover`: read the facts that live only in AWS into ENV_DIR/topology.lock.json.

boto3 and the AWS layer are imported only when the command runs: `gen render` and the other
commands work without the `aws` extra.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from generator.cli_types import EnvDir
from generator.errors import GenError, StaleOutputError

if TYPE_CHECKING:
    from generator.discover import Discovery
    from generator.lockfile import Lock
    from generator.yaml_positions import Located

ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="AWS profile of the credentials that assume terraform_role (default: the "
        "default credential chain, AWS_PROFILE included).",
    ),
]
EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        envvar="GEN_AWS_ENDPOINT_URL",
        hidden=True,
        help="Send every AWS call to this endpoint (a local emulator, for tests).",
    ),
]


class FindingsError(GenError):
    """AWS disagrees with the topology: the findings were printed before this."""

    exit_code = 1


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


def display_path(path: Path) -> str:
    if path.is_absolute():
        relative = os.path.relpath(path)
        return path.as_posix() if relative.startswith("..") else relative
    return str(path)


def print_findings(console: Console, discovery: Discovery, located: Located) -> None:
    for finding in discovery.findings:
        problem = located.problem(finding.path, f"{finding.severity}: {finding.message}")
        console.print(str(problem), markup=False)


def facts_table(lock: Lock, title: str) -> Table:
    table = Table(title=title)
    for column in ("fact", "about", "value"):
        table.add_column(column, overflow="fold")
    for fact in lock.facts:
        table.add_row(fact.kind, fact.key, str(fact.value))
    return table


def register(app: typer.Typer) -> None:
    """Add `gen discover` to `app`."""
    from generator.cli import err, out, reports_errors

    @app.command("discover")
    @reports_errors
    def discover_command(
        env_dir: EnvDir,
        check: Annotated[
            bool,
            typer.Option("--check", help="Write nothing; exit 1 when the lock file is stale."),
        ] = False,
        profile: ProfileOption = None,
        endpoint_url: EndpointOption = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
    ) -> None:
        """Read from AWS what only AWS knows (latest approved versions, the JumpStart
        portfolio, key ARNs, image digests, account IDs, existing roles) into
        ENV_DIR/topology.lock.json, which `gen render` reads."""
        from generator import output
        from generator.aws_session import Aws, AwsSettings
        from generator.discover import discover, read_for_discovery
        from generator.load import load_topology
        from generator.lockfile import LOCK_FILE, lock_text, parse_lock

        env, located, text = read_for_discovery(env_dir, display_path)
        aws = Aws(
            AwsSettings.from_environment(env.region, f"gen-{env.name}", profile, endpoint_url)
        )
        with account_progress(err, len(env.account_ids()), "discovering") as step:
            found = discover(env, aws, progress=step)
        lock_path = env_dir / LOCK_FILE
        previous: Lock | None = None
        if lock_path.is_file():
            try:
                previous = parse_lock(lock_path.read_text(encoding="utf-8"), str(lock_path))
            except (GenError, UnicodeDecodeError):
                previous = None  # rewritten below; stale for --check
        lock = found.lock().keeping_times_of(previous)
        print_findings(err, found, located)
        n = len(found.errors)
        if n:
            kept = "" if check else f"; {lock_path} was not written"
            raise FindingsError(
                f"{n} problem{'s' if n != 1 else ''} found in AWS{kept}: fix the topology or "
                "the accounts, then run `gen discover` again"
            )
        # The lock must resolve every `latest-approved` and the JumpStart portfolio.
        load_topology(text, located.file, lock)
        new_text = lock_text(lock)
        if check:
            if previous is None or not previous.same_facts(lock):
                from generator.lockfile import changes

                lines = [f"  {line}" for line in changes(previous, lock)]
                raise StaleOutputError(
                    f"{lock_path}: stale; run `gen discover {env_dir}`\n" + "\n".join(lines)
                )
            if not quiet:
                out.print(f"{lock_path}: up to date ({len(lock.facts)} facts)", markup=False)
            return
        unchanged = lock_path.is_file() and lock_path.read_text(encoding="utf-8") == new_text
        if not unchanged:
            output.apply(env_dir, output.Plan(write={LOCK_FILE: new_text}, unchanged=[], delete=[]))
        if quiet:
            return
        out.print(facts_table(lock, f"environment {env.name}: facts read from AWS"))
        verb = "unchanged" if unchanged else "wrote    "
        out.print(f"{verb} {lock_path}; next: gen render {env_dir}", markup=False)
