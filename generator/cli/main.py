"""The `gen` command line: one Typer app, one module per command beside this one.

Command modules import only typer and their argument types at import time; what a command
needs (the topology model, the renderer, the IAM evaluator, boto3, checkov) is imported when
it runs, so `gen --help` stays fast. Nothing below `generator.cli` imports the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from generator import __version__
from generator.cli import (
    apply,
    bootstrap,
    ci,
    discover,
    explain,
    init,
    lint,
    render,
    schema,
    verify,
)
from generator.cli.help import GenCommand

app = typer.Typer(
    help="Render cross-account SageMaker environments from topology.yaml to Terraform.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, pwsh)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich is imported only by commands that print tables
    context_settings={"help_option_names": ["-h", "--help"]},
)

# One line each in `gen --help`, in the order a user meets them.
COMMANDS: list[tuple[str, Callable[..., Any], str]] = [
    ("init", init.init_command, "Write a commented starter topology.yaml."),
    ("render", render.render_command, "Render topology.yaml into a Terraform root."),
    ("lint", lint.lint_command, "Prove rendered roots valid (HCL, schema, checkov...)."),
    ("explain", explain.explain_command, "Show every access path and the policies behind it."),
    ("verify", verify.verify_command, "Prove the rendered policies allow and deny as intended."),
    ("discover", discover.discover_command, "Read what only AWS knows into topology.lock.json."),
    ("schema", schema.schema_command, "Print the JSON Schema of topology.yaml (for editors)."),
    ("bootstrap", bootstrap.bootstrap_command, "Write the StackSet that makes terraform_role."),
    ("ci", ci.ci_command, "Write the GitHub Actions workflow of an environment."),
    ("apply", apply.apply_command, "Run terraform init/plan/apply over the roots, in phases."),
]
for name, function, summary in COMMANDS:
    app.command(name, cls=GenCommand, short_help=summary)(function)


@app.command("version", cls=GenCommand, short_help="Print gen's version.")
def version_command() -> None:
    """Print gen's version."""
    typer.echo(f"gen {__version__}")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"gen {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Print gen's version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Render cross-account SageMaker environments from topology.yaml to Terraform."""


def main() -> None:
    app(prog_name="gen")


if __name__ == "__main__":  # pragma: no cover
    main()
