"""The `gen` command line. The only place that turns errors into exit codes.

Exit codes: 0 ok; 1 stale output (`--check`) or findings; 2 invalid input (topology, policy
over its AWS limit, a file gen would overwrite); 3 a tool or AWS failed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from generator import __version__, output
from generator.cli_types import EnvDir, ModulesSource
from generator.errors import GenError, StaleOutputError, TopologyError
from generator.pipeline import render_directory
from generator.render import Rendered

app = typer.Typer(
    help="Render cross-account SageMaker environments from topology.yaml to Terraform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Every GenError becomes its message on stderr and its exit code; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except TopologyError as exc:
            for problem in exc.problems:
                err.print(str(problem), markup=False)
            n = len(exc.problems)
            err.print(f"{n} problem{'s' if n != 1 else ''}; nothing was written.", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except GenError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:
            err.print(f"error: {exc.filename or ''}: {exc.strerror or exc}", markup=False)
            raise typer.Exit(3) from None

    return wrapper


@app.command("render")
@reports_errors
def render_command(
    env_dir: EnvDir,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when the output is stale.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
    modules_source: ModulesSource = None,
) -> None:
    """Render ENV_DIR/topology.yaml into a Terraform root in ENV_DIR."""
    rendered = render_directory(env_dir, modules_source)
    the_plan = output.plan(env_dir, rendered.files)
    if check:
        if the_plan.stale:
            lines = [f"  would write {n}" for n in the_plan.write]
            lines += [f"  would delete {n}" for n in the_plan.delete]
            raise StaleOutputError(
                f"{env_dir}: the rendered files are stale; run `gen render {env_dir}`\n"
                + "\n".join(lines)
            )
        if not quiet:
            out.print(f"{env_dir}: up to date ({len(the_plan.unchanged)} files)", markup=False)
        return
    output.apply(env_dir, the_plan)
    if quiet:
        return
    for name in the_plan.write:
        out.print(f"wrote     {env_dir / name}", markup=False)
    for name in the_plan.delete:
        out.print(f"deleted   {env_dir / name}", markup=False)
    for name in the_plan.unchanged:
        out.print(f"unchanged {env_dir / name}", markup=False)
    _summary(rendered)


def _summary(rendered: Rendered) -> None:
    root = rendered.root
    modules: dict[str, int] = {}
    for block in root.blocks:
        source = dict(block.groups[0]).get("source") if block.type == "module" else None
        kind = str(source).rsplit("/", 1)[-1] if source else block.labels[0]
        modules[kind] = modules.get(kind, 0) + 1
    table = Table(title=f"environment {rendered.env.name}: {len(root.paths)} access paths")
    table.add_column("module")
    table.add_column("calls", justify="right")
    for kind, count in sorted(modules.items()):
        table.add_row(kind, str(count))
    out.print(table)
    sizes = Table(title="policy sizes against their AWS quotas")
    sizes.add_column("policy")
    sizes.add_column("size", justify="right")
    sizes.add_column("quota", justify="right")
    for name, (size, limit, unit) in sorted(root.sizes.items()):
        sizes.add_row(name, f"{size:,}", f"{limit:,} {unit}")
    out.print(sizes)


def _register_commands() -> None:
    from generator import discover_cli, lint_cli, verify_cli

    for module in (lint_cli, verify_cli, discover_cli):
        module.register(app)


@app.command("version")
def version_command() -> None:
    """Print gen's version."""
    out.print(f"gen {__version__}", markup=False)


_register_commands()


def main() -> None:
    app(prog_name="gen")


if __name__ == "__main__":  # pragma: no cover
    main()
