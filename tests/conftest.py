"""Shared fixtures. `pytest --update-goldens` rewrites the golden Terraform roots."""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import pytest
from filelock import FileLock

from generator.checks.catalog import Check
from generator.checks.checkov import CheckovError, checkov_executable
from generator.checks.lint import LintReport, lint

T = TypeVar("T")
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


# --- gen lint runs shared by several test files: each runs once per test run, whichever
# xdist worker asks first (the others wait for it and read its pickled report). -------------


def _shared(name: str, factory: pytest.TempPathFactory, compute: Callable[[], T]) -> T:
    """`compute()` once across every xdist worker of this run (the recipe of pytest-xdist's
    docs: a file lock in the run's shared temporary directory)."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return compute()
    shared = factory.getbasetemp().parent
    cache = shared / f"{name}.pickle"
    with FileLock(str(cache) + ".lock"):
        if cache.is_file():
            return cast(T, pickle.loads(cache.read_bytes()))
        value = compute()
        cache.write_bytes(pickle.dumps(value))
        return value


LINT_CORPUS = REPO / "tests" / "lint_corpus"


def require_checkov() -> None:
    try:
        checkov_executable()
    except CheckovError as exc:
        pytest.fail(f"checkov is needed for gen lint (make install): {exc}")


@pytest.fixture(scope="session")
def corpus_report(tmp_path_factory: pytest.TempPathFactory) -> LintReport:
    """`gen lint` on every root of the bad-root corpus, in one run."""
    require_checkov()
    # the home-made checks' corpus: the terraform check has its own (tests/terraform_corpus)
    cases = sorted(p for p in LINT_CORPUS.iterdir() if p.is_dir())
    return _shared(
        "corpus_report", tmp_path_factory, lambda: lint(cases, base=REPO, skip=[Check.TERRAFORM])
    )


@pytest.fixture(scope="session")
def reference_report(tmp_path_factory: pytest.TempPathFactory) -> LintReport:
    """`gen lint envs/reference`."""
    require_checkov()
    return _shared(
        "reference_report",
        tmp_path_factory,
        lambda: lint([REPO / "envs" / "reference"], base=REPO),
    )


@pytest.fixture(scope="session")
def goldens_report(tmp_path_factory: pytest.TempPathFactory) -> LintReport:
    """`gen lint` on every golden environment in one run, as the pre-commit hook runs it:
    checkov (with gen's own checks) runs once per golden."""
    require_checkov()
    return _shared("goldens_report", tmp_path_factory, lambda: lint(GOLDEN_DIRS, base=REPO))
