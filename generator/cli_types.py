"""Argument types the commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EnvDir = Annotated[
    Path,
    typer.Argument(
        help="Environment directory holding topology.yaml (e.g. envs/prod).",
        exists=True,
        file_okay=False,
        dir_okay=True,
    ),
]
