"""`gen verify`: registered on the CLI by `register` (work in progress, see issue tracker)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
