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
    parser.addoption(
        "--slow",
        action="store_true",
        default=False,
        help="also run the slow tests (pre-commit hooks installed in a scratch repository)",
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: minutes, needs the package registries (make consumer-test runs it)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow (make consumer-test)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
