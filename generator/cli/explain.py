"""`gen explain ENV_DIR`: every access path, why it exists, and the two policies that allow it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from generator.cli.errors import reports_errors
from generator.cli.types import EnvDir
from generator.errors import GenError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from generator.proofs.verify import VerifyReport
    from generator.topology.environment import Environment


class ExplainFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MERMAID = "mermaid"


class OutputFileError(GenError):
    exit_code = 2


def wide_console(stderr: bool = False) -> Console:
    """Tables of paths are wide: at least 160 columns, more on a wider terminal."""
    import shutil

    from rich.console import Console

    width = shutil.get_terminal_size((200, 40)).columns
    return Console(highlight=False, soft_wrap=False, stderr=stderr, width=max(width, 160))


def _write(path: Path, text: str) -> None:
    """Atomic write: a failed write leaves the previous file."""
    import os
    import tempfile

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
    from rich.table import Table

    from generator.proofs import explain

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
            explain.side_text(e.proof.resource_side)
            + (f"\nadmits {p.admission()} (organization)" if p.admitted_by_org else ""),
        )
    return table


@reports_errors
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
    from generator.proofs import explain
    from generator.proofs.directory import explain_report
    from generator.proofs.hcl_reader import display_path

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
            import io

            from rich.console import Console

            console = Console(record=True, width=200, file=io.StringIO())
            console.print(_table(env, report))
            text = console.export_text()
        else:
            out = wide_console()
            out.print(_table(env, report))
            for note in report.notes:
                if note.startswith("organisation admission"):
                    out.print(f"note: {note}", markup=False)
            return
    if output is None:
        typer.echo(text, nl=False)
    else:
        _write(output, text)
