"""`gen ci ENV_DIR`: the GitHub Actions workflow that plans on pull requests and applies on
main, assuming terraform_principal by OIDC."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from generator.cli.errors import console, reports_errors
from generator.cli.types import EnvDir

if TYPE_CHECKING:
    from generator.terraform.apply_plan import Phase


def _apply_order_phases(env_dir: Path) -> list[Phase]:
    """The phases of a rendered per-account environment (its apply-order.json), each name a
    job id and each root a plain `<phase>/<account>` directory."""
    import json
    import re

    from generator.errors import UsageError
    from generator.render.output import APPLY_ORDER, root_directories
    from generator.terraform.apply_plan import ApplyOrderError, phases

    path = env_dir / APPLY_ORDER
    if not path.is_file():
        raise UsageError(
            f"{path}: not found; layout: per-account lists its roots from it: run "
            f"`gen render {env_dir}` first"
        )
    root_directories(env_dir)  # every root a plain <phase>/<account> path, else a located error
    try:
        the_phases = phases(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, RecursionError) as exc:  # ApplyOrderError is a ValueError
        detail = exc if isinstance(exc, ApplyOrderError) else "not JSON"
        raise UsageError(f"{path}: {detail}; run `gen render {env_dir}`") from None
    for phase in the_phases:
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,40}", phase.name):
            raise UsageError(f"{path}: phase {phase.name!r} is not a phase gen writes")
    return the_phases


def _repository_root(start: Path) -> Path:
    """The nearest directory at or above `start` with a .git entry; else the current one."""
    for candidate in (start.resolve(), *start.resolve().parents):
        if (candidate / ".git").exists():
            return candidate
    return Path.cwd().resolve()


@reports_errors
def ci_command(
    env_dir: EnvDir,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the workflow here (default: .github/workflows/gen-<environment>.yml "
            "in the repository that holds ENV_DIR).",
            dir_okay=False,
        ),
    ] = None,
    to_stdout: Annotated[
        bool, typer.Option("--print", help="Print the workflow instead of writing it.")
    ] = False,
) -> None:
    """Write the CI workflow of ENV_DIR: on a pull request gen render --check, gen lint,
    gen verify and terraform plan (posted as a comment); on main terraform apply. It assumes
    terraform_principal by GitHub's OIDC provider. With layout: per-account, each phase of
    apply-order.json (render first) is a job over its roots as a matrix."""
    import os
    from pathlib import PurePosixPath

    from generator import __version__
    from generator.bootstrap.template import BootstrapInputError
    from generator.bootstrap.workflow import workflow_path, workflow_yaml
    from generator.render.pipeline import read_environment

    env = read_environment(env_dir)
    if env.topology.terraform_principal is None:
        raise BootstrapInputError(
            "topology.yaml: terraform_principal is not set; the workflow assumes it by OIDC "
            "(the CI role that runs Terraform)"
        )
    root = _repository_root(env_dir)
    relative = PurePosixPath(Path(os.path.relpath(env_dir.resolve(), root)).as_posix())
    the_phases = _apply_order_phases(env_dir) if env.topology.layout == "per-account" else None
    text = workflow_yaml(env, relative, __version__, the_phases)
    if to_stdout:
        typer.echo(text, nl=False)
        return
    target = output or root / workflow_path(env)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    console().print(f"wrote {target}", markup=False, highlight=False)
