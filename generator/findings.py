"""A finding of a static check on Terraform files, located by file, line and path."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Finding:
    """``path`` is the block address then the argument; ``code`` a stable identifier of the
    kind of finding."""

    file: str
    line: int
    path: str
    message: str
    code: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"
