"""The pre-commit hooks as another repository uses them (README, "Using gen from another
repository"): pre-commit installs gen from a scratch copy of this repository at a local tag,
and runs gen-render-check and gen-lint (checkov included) in a scratch consumer repository.

Slow (pre-commit installs gen and its dependencies from PyPI): `make consumer-test`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from generator import release

pytestmark = pytest.mark.slow
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=gen test", "-c", "user.email=gen@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _gen(*args: str) -> None:
    subprocess.run([Path(sys.executable).parent / "gen", *args], check=True, capture_output=True)


def _release_copy(target: Path) -> None:
    """This checkout's files (committed or not, as git sees them) in a fresh repository,
    tagged like a release."""
    listed = _git(REPO, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    _git(target, "init", "-q")
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "gen")
    _git(target, "tag", "-a", release.tag(), "-m", f"gen {release.tag()}")


def _run_hooks(consumer: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GEN_CHECKOV"}
    env["PRE_COMMIT_HOME"] = str(home)
    return subprocess.run(
        [str(PRE_COMMIT), "run", "--all-files", "--verbose"],
        cwd=consumer,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_hooks_from_another_repository(tmp_path: Path) -> None:
    source = tmp_path / "gen-src"
    source.mkdir()
    _release_copy(source)
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    _git(consumer, "init", "-q")
    env_dir = consumer / "envs" / "prod"
    _gen("init", str(env_dir))
    # What an installed gen renders by default: its own release's modules, at the tag.
    pinned = ["--modules-source", release.modules_source()]
    _gen("render", "-q", *pinned, str(env_dir))
    config = (REPO / "README.md").read_text().split("```yaml\n# .pre-commit-config.yaml")[1]
    config = config.split("```", 1)[0].replace(release.REPOSITORY, str(source))
    (consumer / ".pre-commit-config.yaml").write_text("# .pre-commit-config.yaml" + config)
    _git(consumer, "add", "-A")
    _git(consumer, "commit", "-q", "-m", "an environment")

    home = tmp_path / "pre-commit-home"
    result = _run_hooks(consumer, home)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "gen render --check" in output and "gen lint" in output
    assert "envs/prod: up to date" in output
    assert "NOT CHECKED" not in output
    assert "checkov" in output and "0 findings, 0 failed checks" in output

    # A topology changed without re-rendering: the render check fails and names the fix.
    topology = env_dir / "topology.yaml"
    topology.write_text(topology.read_text().replace("instance_count: 2", "instance_count: 3"))
    result = _run_hooks(consumer, home)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "the rendered files are stale; run `gen render envs/prod`" in output
