"""`gen init ENV_DIR`: a commented starter topology.yaml that renders as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.cli.errors import console, reports_errors
from generator.errors import GenError


class InitError(GenError):
    exit_code = 2


@reports_errors
def init_command(
    env_dir: Annotated[
        Path,
        typer.Argument(
            metavar="ENV_DIR",
            help="Directory to create the environment in (created when missing).",
            file_okay=False,
        ),
    ],
    environment: Annotated[
        str | None,
        typer.Option(
            "--environment",
            "-e",
            metavar="NAME",
            help="Environment name (default: the directory's name).",
        ),
    ] = None,
    region: Annotated[
        str, typer.Option("--region", metavar="REGION", help="AWS region.")
    ] = "us-east-1",
) -> None:
    """Write a commented starter ENV_DIR/topology.yaml."""
    import re

    from generator import release
    from generator.render.pipeline import TOPOLOGY_FILE
    from generator.topology.load import load_topology
    from generator.topology.starter import starter_topology

    target = env_dir / TOPOLOGY_FILE
    if target.exists():
        raise InitError(f"{target} exists already; gen init never overwrites a topology")
    name = environment if environment is not None else env_dir.resolve().name
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,23}", name):
        hint = "" if environment is not None else " (from the directory name)"
        raise InitError(
            f"environment name {name!r}{hint} is not valid: a lowercase letter, then lowercase "
            "letters, digits or -, at most 24; pass --environment NAME"
        )
    text = starter_topology(
        environment=name,
        region=region,
        env_dir=str(env_dir),
        schema_url=release.schema_url(),
        repository=release.REPOSITORY,
    )
    load_topology(text, str(target), None)  # a bad --region is reported, nothing written
    env_dir.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as handle:
        handle.write(text)
    console().print(
        f"wrote {target}\nnext: replace the placeholder account IDs and names, then "
        f"`gen render {env_dir}`",
        markup=False,
    )
