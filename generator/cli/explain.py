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


def wide_console(stderr: bool = False, *, wide: bool = True) -> Console:
    """Tables of paths are wide: at least 160 columns, more on a wider terminal; with
    `wide=False`, exactly the terminal's width (columns fold their text)."""
    import shutil

    from rich.console import Console

    width = shutil.get_terminal_size((200, 40)).columns
    return Console(
        highlight=False, soft_wrap=False, stderr=stderr, width=max(width, 160) if wide else width
    )


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
            explain.side_text(e.proof.resource_side),
        )
    return table


def _stacked(env: Environment, report: VerifyReport) -> list[Table]:
    """The same rows for a narrow terminal: one block per path, a label and a value a line."""
    from rich.table import Table

    from generator.proofs import explain

    blocks = []
    for n, e in enumerate(explain.entries(report), start=1):
        p = e.path
        who = p.principal.label
        if p.principal.account_id:
            who += f", {explain.account_text(env, p.principal.account_id)}"
        block = Table.grid(padding=(0, 2))
        block.add_column(style="bold", no_wrap=True)
        block.add_column(overflow="fold")
        block.add_row(f"{n}.", who)
        block.add_row("may", ", ".join(p.actions))
        block.add_row("on", f"{p.resource_label}, {explain.account_text(env, p.resource_account)}")
        block.add_row("why", p.why)
        block.add_row("identity", explain.side_text(e.proof.identity))
        block.add_row("resource", explain.side_text(e.proof.resource_side))
        blocks.append(block)
    return blocks


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
    diagram: Annotated[
        str,
        typer.Option(
            "--diagram",
            "-d",
            metavar="NAME",
            help="With --format mermaid to stdout or a non-.md file: overview (accounts and "
            "what flows between them), platform (training, registry, deployment), or a "
            "stage's name.",
        ),
    ] = "overview",
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            help="Print the table at least 160 columns wide instead of the terminal's width.",
        ),
    ] = False,
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
            text = explain.mermaid(env, report, diagram)
    else:
        if output is not None:
            import io

            from rich.console import Console

            console = Console(record=True, width=200, file=io.StringIO())
            console.print(_table(env, report))
            text = console.export_text()
        else:
            out = wide_console(wide=wide)
            if out.width >= 160:
                out.print(_table(env, report))
            else:
                out.print(f"environment {env.name}: {len(report.paths)} access paths\n")
                for block in _stacked(env, report):
                    out.print(block)
                    out.print()
            return
    if output is None:
        typer.echo(text, nl=False)
    else:
        _write(output, text)
