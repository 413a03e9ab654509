"""`gen verify ENV_DIR`: prove every access path allowed and every negative denied."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from generator.cli.errors import reports_errors
from generator.cli.explain import wide_console
from generator.cli.types import EnvDir
from generator.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from generator.proofs.verify import VerifyReport


class VerifyFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _print_verify(console: Console, env_dir: Path, report: VerifyReport, seconds: float) -> None:
    from rich.table import Table

    from generator.proofs.hcl_reader import display_path
    from generator.proofs.verify import NEGATIVE_CATEGORIES

    c = report.counts()
    console.print(
        f"gen verify {display_path(env_dir)}: {c['paths']} access paths, {c['negatives']} "
        f"negatives, {c['requests']:,} requests evaluated in {seconds:.2f} s",
        markup=False,
    )
    table = Table(show_lines=False)
    for column in ("path", "principal", "resource", "identity side", "resource side", "result"):
        table.add_column(column, overflow="fold")
    for proof in report.paths:
        p = proof.path
        table.add_row(
            p.sid,
            p.principal.label,
            p.resource_label,
            proof.identity.verdict,
            f"{proof.resource_side.name}: {proof.resource_side.verdict}",
            proof.status,
        )
    console.print(table)
    negatives = Table(title="negatives (each must be denied)")
    for column in ("category", "what", "checks", "denied", "failed"):
        negatives.add_column(column, overflow="fold")
    for category, what in NEGATIVE_CATEGORIES.items():
        mine = [n for n in report.negatives if n.category == category]
        if not mine:
            continue
        failed = sum(1 for n in mine if not n.ok)
        negatives.add_row(category, what, str(len(mine)), str(len(mine) - failed), str(failed))
    console.print(negatives)
    _print_summary(console, report)


def _print_summary(console: Console, report: VerifyReport) -> None:
    for line in report.summary_lines():
        console.print(line, markup=False)


@reports_errors
@reports_errors
def verify_command(
    env_dir: EnvDir,
    format: Annotated[
        VerifyFormat, typer.Option("--format", "-f", help="text (default) or json.")
    ] = VerifyFormat.TEXT,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the summary and failures.")
    ] = False,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Read every managed policy from AWS (assuming terraform_role in each "
            "account), print the drift from the rendered ones, then run the proofs on the "
            "live documents.",
        ),
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="With --live: the AWS profile that assumes terraform_role."),
    ] = None,
) -> None:
    """Prove the rendered policies of ENV_DIR: every access path is allowed on both sides,
    and every negative (writes by consumers, other prefixes and groups, roles and accounts
    outside the topology, foreign trust) is denied. Exit 1 on any failure."""
    if live:
        if format is VerifyFormat.JSON:
            raise UsageError("--format json is not available with --live yet")
        from generator.aws.live import run_live

        raise typer.Exit(run_live(env_dir, profile=profile, console=wide_console()))
    from generator.proofs.directory import verify_directory

    started = time.perf_counter()
    _, report = verify_directory(env_dir)
    seconds = time.perf_counter() - started
    if format is VerifyFormat.JSON:
        data = report.json_text()
        typer.echo(data, nl=False)
    else:
        console = wide_console()
        if quiet:
            _print_summary(console, report)
        else:
            _print_verify(console, env_dir, report, seconds)
    if not report.ok:
        raise typer.Exit(1)
