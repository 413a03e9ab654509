"""`gen explain` and `gen verify`: registered on the CLI by `register`."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from generator import explain
from generator.access import access_paths
from generator.cli_types import EnvDir
from generator.environment import Environment
from generator.errors import GenError, UsageError
from generator.hcl_reader import display_path, read_directory, read_hcl
from generator.pipeline import modules_source_for, read_environment
from generator.render import render
from generator.verify import NEGATIVE_CATEGORIES, VerifyReport, verify_documents


class ExplainFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MERMAID = "mermaid"


class VerifyFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class OutputFileError(GenError):
    exit_code = 2


def _console(stderr: bool = False) -> Console:
    width = shutil.get_terminal_size((200, 40)).columns
    return Console(highlight=False, soft_wrap=False, stderr=stderr, width=max(width, 160))


def explain_report(env_dir: Path) -> tuple[Environment, VerifyReport]:
    """The model and its proofs against the root as `gen render` renders it (in memory)."""
    env = read_environment(env_dir)
    rendered = render(env, modules_source_for(env_dir))
    shown = display_path(env_dir)
    files = {f"{shown}/{name}": text for name, text in rendered.files.items()}
    hcl = read_hcl(files, training_key_alias=env.topology.training.kms_key.alias)
    report = verify_documents(
        env, rendered.root.paths, hcl.documents, associations=hcl.associations
    )
    return env, report


def verify_directory(env_dir: Path) -> tuple[Environment, VerifyReport]:
    """The model and its proofs against the rendered files on disk."""
    env = read_environment(env_dir)
    hcl = read_directory(env_dir, training_key_alias=env.topology.training.kms_key.alias)
    report = verify_documents(env, access_paths(env), hcl.documents, associations=hcl.associations)
    rendered = render(env, modules_source_for(env_dir))
    stale = []
    for name, text in sorted(rendered.files.items()):
        path = env_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8", errors="replace") != text:
            stale.append(name)
    if stale:
        report.notes.append(
            f"{', '.join(stale)} differ from what topology.yaml renders (`gen render --check "
            f"{display_path(env_dir)}`): verified the files on disk"
        )
    return env, report


def _write(path: Path, text: str) -> None:
    """Atomic write: a failed write leaves the previous file."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputFileError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputFileError(f"{path}: cannot write ({exc.strerror})") from None


def _table(env: Environment, report: VerifyReport) -> Table:
    table = Table(
        title=f"environment {env.name}: {len(report.paths)} access paths",
        show_lines=True,
        expand=False,
    )
    for column, ratio in (
        ("principal", 2),
        ("actions", 2),
        ("resource", 2),
        ("why", 3),
        ("identity side", 3),
        ("resource side", 3),
    ):
        table.add_column(column, ratio=ratio, overflow="fold")
    for e in explain.entries(report):
        p = e.path
        who = p.principal.label
        if p.principal.account_id:
            who += f"\n{explain.account_text(env, p.principal.account_id)}"
        table.add_row(
            who,
            "\n".join(p.actions),
            f"{p.resource_label}\n{explain.account_text(env, p.resource_account)}",
            p.why,
            explain.side_text(e.proof.identity),
            explain.side_text(e.proof.resource_side),
        )
    return table


def _print_verify(console: Console, env_dir: Path, report: VerifyReport, seconds: float) -> None:
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


def register(app: typer.Typer) -> None:
    """Add `gen explain` and `gen verify` to `app`."""
    from generator.cli import reports_errors

    @app.command("explain")
    @reports_errors
    def explain_command(
        env_dir: EnvDir,
        format: Annotated[
            ExplainFormat,
            typer.Option("--format", "-f", help="table (default), json, or mermaid."),
        ] = ExplainFormat.TABLE,
        output: Annotated[
            Path | None,
            typer.Option(
                "--output",
                "-o",
                help="Write to this file instead of stdout. With --format mermaid, a .md file "
                "gets a Markdown page: the diagram in a mermaid block and the path table.",
                dir_okay=False,
            ),
        ] = None,
    ) -> None:
        """Show who can do what: every access path of ENV_DIR, its reason, and the two policies
        (identity side, resource side) that allow it, as `gen render` renders them."""
        env, report = explain_report(env_dir)
        if format is ExplainFormat.JSON:
            text = explain.json_text(env, report)
        elif format is ExplainFormat.MERMAID:
            if output is not None and output.suffix.lower() == ".md":
                text = explain.markdown(env, report, display_path(env_dir))
            else:
                text = explain.mermaid(env, report)
        else:
            if output is not None:
                console = Console(record=True, width=200, file=io.StringIO())
                console.print(_table(env, report))
                text = console.export_text()
            else:
                _console().print(_table(env, report))
                return
        if output is None:
            typer.echo(text, nl=False)
        else:
            _write(output, text)

    @app.command("verify")
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
            typer.Option(
                "--profile", help="With --live: the AWS profile that assumes terraform_role."
            ),
        ] = None,
    ) -> None:
        """Prove the rendered policies of ENV_DIR: every access path is allowed on both sides,
        and every negative (writes by consumers, other prefixes and groups, roles and accounts
        outside the topology, foreign trust) is denied. Exit 1 on any failure."""
        if live:
            if format is VerifyFormat.JSON:
                raise UsageError("--format json is not available with --live yet")
            from generator.live import run_live

            raise typer.Exit(run_live(env_dir, profile=profile, console=_console()))
        started = time.perf_counter()
        _, report = verify_directory(env_dir)
        seconds = time.perf_counter() - started
        if format is VerifyFormat.JSON:
            data = report.json_text()
            typer.echo(data, nl=False)
        else:
            console = _console()
            if quiet:
                _print_summary(console, report)
            else:
                _print_verify(console, env_dir, report, seconds)
        if not report.ok:
            raise typer.Exit(1)
