"""Argument types the commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ModulesSource = Annotated[
    str | None,
    typer.Option(
        "--modules-source",
        envvar="GEN_MODULES_SOURCE",
        metavar="SOURCE",
        help="Where module calls point (default: the relative path to gen's modules/), "
        "e.g. git::https://example.com/gen.git//modules?ref=v0.1.0",
    ),
]

EnvDir = Annotated[
    Path,
    typer.Argument(
        metavar="ENV_DIR",
        help="Environment directory holding topology.yaml (e.g. envs/prod).",
        exists=True,
        file_okay=False,
        dir_okay=True,
    ),
]
