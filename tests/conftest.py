"""Shared fixtures. `pytest --update-goldens` rewrites the golden Terraform roots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GOLDEN_DIRS = sorted(
    [
        REPO / "envs" / "reference",
        *(p.parent for p in (REPO / "tests" / "envs").glob("*/topology.yaml")),
    ]
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the rendered files of every golden environment instead of comparing",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture
def reference_env(tmp_path: Path) -> Path:
    """A scratch copy of the reference environment's topology, for CLI tests to break."""
    target = tmp_path / "env"
    target.mkdir()
    shutil.copy(REPO / "envs" / "reference" / "topology.yaml", target / "topology.yaml")
    return target
