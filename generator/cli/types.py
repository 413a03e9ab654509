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
        help="Where module calls point. Default: from a checkout of gen, the relative path "
        "to its modules/; from an installed gen, its own release in gen's repository "
        "(git::<repository>.git//modules?ref=v<version>).",
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
