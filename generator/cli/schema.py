"""`gen schema`: the JSON Schema of topology.yaml, for editors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.cli.errors import reports_errors


@reports_errors
def schema_command(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE instead of stdout.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of topology.yaml (editor completion and checks)."""
    from generator.topology.schema import schema_text

    text = schema_text()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
