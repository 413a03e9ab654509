"""`gen render ENV_DIR`: topology.yaml -> a Terraform root in ENV_DIR."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from generator.cli.errors import console, reports_errors
from generator.cli.types import EnvDir, ModulesSource

if TYPE_CHECKING:
    from rich.console import Console

    from generator.render.files import Rendered


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
    from generator.errors import StaleOutputError
    from generator.render import output
    from generator.render.pipeline import render_directory

    rendered = render_directory(env_dir, modules_source)
    the_plan = output.plan(env_dir, rendered.files)
    out = console()
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
    _summary(out, rendered)


def _summary(out: Console, rendered: Rendered) -> None:
    from rich.table import Table

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
