"""The `gen` command line: one Typer app, one module per command beside this one.

Command modules import only typer and their argument types at import time; what a command
needs (the topology model, the renderer, the IAM evaluator, boto3, checkov) is imported when
it runs, so `gen --help` stays fast. Nothing below `generator.cli` imports the CLI.
"""

from __future__ import annotations

import typer

from generator import __version__
from generator.cli import apply, discover, explain, lint, render, verify

app = typer.Typer(
    help="Render cross-account SageMaker environments from topology.yaml to Terraform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich is imported only by commands that print tables
)

app.command("render")(render.render_command)
app.command("lint")(lint.lint_command)
app.command("explain")(explain.explain_command)
app.command("verify")(verify.verify_command)
app.command("discover")(discover.discover_command)
app.command("apply")(apply.apply_command)


@app.command("version")
def version_command() -> None:
    """Print gen's version."""
    typer.echo(f"gen {__version__}")


def main() -> None:
    app(prog_name="gen")


if __name__ == "__main__":  # pragma: no cover
    main()
