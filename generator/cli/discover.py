"""`gen discover`: read the facts that live only in AWS into ENV_DIR/topology.lock.json.

boto3 and the AWS layer are imported only when the command runs: `gen render` and the other
commands work without the `aws` extra.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from generator.cli.errors import console, reports_errors
from generator.cli.types import EnvDir
from generator.errors import GenError, StaleOutputError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from generator.aws.discover import Discovery
    from generator.topology.lockfile import Lock
    from generator.topology.yaml_positions import Located

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
    from rich.table import Table

    table = Table(title=title)
    for column in ("fact", "about", "value"):
        table.add_column(column, overflow="fold")
    for fact in lock.facts:
        table.add_row(fact.kind, fact.key, str(fact.value))
    return table


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
    from generator.aws.discover import discover, read_for_discovery
    from generator.aws.progress import account_progress
    from generator.aws.session import Aws, AwsSettings
    from generator.render import output
    from generator.topology import textfile
    from generator.topology.load import load_topology
    from generator.topology.lockfile import LOCK_FILE, MAX_LOCK_BYTES, lock_text, parse_lock

    out, err = console(), console(stderr=True)

    env, located, text = read_for_discovery(env_dir, display_path)
    aws = Aws(AwsSettings.from_environment(env.region, f"gen-{env.name}", profile, endpoint_url))
    with account_progress(err, len(env.account_ids()), "discovering") as step:
        found = discover(env, aws, progress=step)
    lock_path = env_dir / LOCK_FILE
    previous: Lock | None = None
    previous_text = None
    if lock_path.is_file():
        try:
            previous_text = textfile.read_text(lock_path, str(lock_path), MAX_LOCK_BYTES)
            previous = parse_lock(previous_text, str(lock_path))
        except GenError:
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
            from generator.topology.lockfile import changes

            lines = [f"  {line}" for line in changes(previous, lock)]
            raise StaleOutputError(
                f"{lock_path}: stale; run `gen discover {env_dir}`\n" + "\n".join(lines)
            )
        if not quiet:
            out.print(f"{lock_path}: up to date ({len(lock.facts)} facts)", markup=False)
        return
    unchanged = previous_text == new_text
    if not unchanged:
        output.write_file(lock_path, new_text)
    if quiet:
        return
    out.print(facts_table(lock, f"environment {env.name}: facts read from AWS"))
    verb = "unchanged" if unchanged else "wrote    "
    out.print(f"{verb} {lock_path}; next: gen render {env_dir}", markup=False)
