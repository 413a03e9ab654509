"""`gen ci ENV_DIR`: the GitHub Actions workflow that plans on pull requests and applies on
main, assuming terraform_principal by OIDC."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.cli.errors import console, reports_errors
from generator.cli.types import EnvDir


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
    terraform_principal by GitHub's OIDC provider."""
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
    text = workflow_yaml(env, relative, __version__)
    if to_stdout:
        typer.echo(text, nl=False)
        return
    target = output or root / workflow_path(env)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    console().print(f"wrote {target}", markup=False, highlight=False)
