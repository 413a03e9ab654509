"""Where gen is published, and what an installed gen points at by default.

Change `REPOSITORY` when the repository moves (a fork, a company mirror): module sources,
the schema URL and the release procedure in CHANGELOG.md all follow from it.
"""

from __future__ import annotations

from generator import __version__

# The Git repository gen's releases are tagged in (v<version>).
REPOSITORY = "https://github.com/gen-sagemaker/gen"


def tag(version: str = __version__) -> str:
    return f"v{version}"


def modules_source(version: str = __version__) -> str:
    """The module source an installed gen pins its module calls to: the modules/ directory
    of this repository at the release tag (a Terraform generic git source)."""
    return f"git::{REPOSITORY}.git//modules?ref={tag(version)}"


def schema_url(version: str = __version__) -> str:
    """The committed schema/topology.schema.json at the release tag, as a raw file URL."""
    raw = REPOSITORY.replace("https://github.com/", "https://raw.githubusercontent.com/", 1)
    return f"{raw}/{tag(version)}/schema/topology.schema.json"
