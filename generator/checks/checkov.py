"""Run checkov (in its own virtualenv) on a Terraform directory and parse its JSON report.

checkov pins ``bc-python-hcl2``, which installs the same ``hcl2`` module as python-hcl2, so it
cannot share the project's venv. It lives in ``<repo>/.venv-checkov``::

    uv venv .venv-checkov && uv pip install -p .venv-checkov --compile-bytecode checkov==3.3.30

Facts measured with checkov 3.3.30 (``-d ROOT --framework terraform --skip-download -o json
--compact``), root module ``envs/dev/main.tf`` calling local modules
``source = "../../modules/x"``:

* Module variables are resolved. A policy built in the root with ``jsonencode({...})`` (also
  via a ``local``) and passed as ``var.policy`` into a module resource is evaluated with the
  caller's value, per module instance:

  - ``aws_s3_bucket_policy`` with ``Principal = { AWS = "*" }`` (or ``Principal = "*"``):
    CKV_AWS_70 "Ensure S3 bucket does not allow an action with any Principal" fails.
  - ``aws_iam_role_policy`` with ``Action = "*", Resource = "*"``: CKV_AWS_62, CKV_AWS_63,
    CKV_AWS_286, CKV_AWS_287, CKV_AWS_288, CKV_AWS_289, CKV_AWS_290, CKV_AWS_355 and
    CKV2_AWS_40 fail.
  - ``aws_kms_key`` policy with ``Principal = { AWS = "*" }``: CKV_AWS_33 "Ensure KMS key
    policy does not contain wildcard (*) principal" fails.
  - Two instances of one module, one with a safe policy: only the bad instance fails
    (``module.bad...``), the other passes (``module.good...``).
  - Nested modules (``module.outer.module.inner...``) and ``for_each`` module instances
    (``module.each["one"]...``) are resolved the same way.

* Scanning the root dir alone is enough: checkov follows local ``source`` paths outside the
  scanned dir. Scanning a parent holding both ``envs/`` and ``modules/`` gives the same
  findings (called modules are not reported a second time as standalone roots). Scanning a
  module dir alone reports its resources without the ``module.`` prefix and does not
  evaluate var-dependent policy checks (CKV_AWS_70 is then neither passed nor failed).

* ``# checkov:skip=CKV_AWS_18:reason`` inside a resource block in the module's file works for
  every instance of that module: the check is listed under ``skipped_checks`` with
  ``check_result.suppress_comment == "reason"`` and counted in ``summary.skipped``.

* Addressing of module resources: ``resource`` is the full address
  (``module.bucket.aws_s3_bucket_policy.this``; the ``resource_address`` field is null);
  ``file_abs_path`` is the module's file (``/abs/modules/bucketpol/main.tf``);
  ``file_path`` is that path relative to the scanned dir with a leading slash
  (``/../../modules/bucketpol/main.tf``); ``file_line_range`` is the resource block in the
  module file; for failed/passed checks, ``caller_file_path`` (``/main.tf``, relative to
  the scanned dir) and ``caller_file_line_range`` point at the ``module`` block that
  instantiates it (null for skipped checks and root resources).

* Output shape: one framework gives a dict ``{"check_type", "results", "summary", "url"}``,
  several give a list of those, and nothing to scan gives a bare summary dict
  ``{"passed": 0, "failed": 0, ...}``. ``--quiet`` drops ``passed_checks`` AND
  ``skipped_checks`` from the JSON (summary counts remain), so it is not used. ``--compact``
  nulls ``code_block``. HCL syntax errors do not fail the run: exit code 0 with the file in
  ``results.parsing_errors``. Exit code is 1 when any check failed, else 0.

* Network: with ``--skip-download`` and no API key, strace shows no AF_INET connect (without
  ``--skip-download`` it does DNS look-ups). The environment below additionally turns off the
  PyPI update check, platform mapping, external module download and GitHub/GitLab fetches.

* Time: 1.7-2.1 s wall for a root with three small modules, 1.35 s for an empty dir
  (mostly checkov start-up).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import ToolError

__all__ = [
    "CHECKOV_VERSION",
    "CheckResult",
    "CheckovError",
    "CheckovReport",
    "checkov_command",
    "checkov_env",
    "checkov_executable",
    "checkov_launcher",
    "parse_checkov_output",
    "run_checkov",
]

CHECKOV_VERSION = "3.3.30"
"""The exact checkov version ``make install`` puts in ``<repo>/.venv-checkov``."""

CHECKOV_ENV_VAR = "GEN_CHECKOV"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TIMEOUT_SECONDS = 600.0

# Variables that would make checkov talk to a platform or change what it checks.
_DROPPED_ENV_PREFIXES = ("BC_", "CKV_", "CHECKOV_", "PRISMA_")
_DROPPED_ENV_VARS = frozenset(
    {"DOWNLOAD_EXTERNAL_MODULES", "EXTERNAL_MODULES_DIR", "LOG_LEVEL", "VCS_TOKEN"}
)
_OFFLINE_ENV = {
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",  # no PyPI version check
    "BC_SKIP_MAPPING": "TRUE",  # same as --skip-download for the platform mapping
    "DOWNLOAD_EXTERNAL_MODULES": "false",  # never fetch registry/git modules
    "CKV_GITHUB_CONFIG_FETCH_DATA": "false",
    "CKV_GITLAB_CONFIG_FETCH_DATA": "false",
    "CKV_VALIDATE_SECRETS": "false",
    "LOG_LEVEL": "WARNING",
    "PYTHONUTF8": "1",
}


class CheckovError(ToolError):
    """checkov is missing, failed to run, or produced output that could not be parsed."""


@dataclass(frozen=True)
class CheckResult:
    """One check on one resource (module resources carry their full ``module.`` address)."""

    check_id: str
    check_name: str
    resource: str
    """Resource address, e.g. ``module.bucket.aws_s3_bucket_policy.this``."""
    file_path: Path
    """Absolute path of the file holding the resource block (a module file for modules)."""
    line_range: tuple[int, int]
    caller_file_path: Path | None = None
    """For resources in modules: absolute path of the file with the calling ``module`` block."""
    caller_line_range: tuple[int, int] | None = None
    suppress_comment: str | None = None
    """For skipped checks: the reason after ``# checkov:skip=ID:``."""

    def __str__(self) -> str:
        where = f"{self.file_path}:{self.line_range[0]}-{self.line_range[1]}"
        return f"{self.check_id} {self.resource} ({where}): {self.check_name}"


@dataclass(frozen=True)
class CheckovReport:
    """Parsed result of one checkov run (all frameworks merged)."""

    directory: Path
    checkov_version: str
    passed: int
    """Number of passed checks (from checkov's summary)."""
    failed_checks: tuple[CheckResult, ...]
    skipped_checks: tuple[CheckResult, ...]
    passed_checks: tuple[CheckResult, ...]
    parsing_errors: tuple[str, ...]
    """Files checkov could not parse (checkov does not fail the run for these)."""
    resource_count: int
    duration_seconds: float = 0.0

    @property
    def failed(self) -> int:
        return len(self.failed_checks)

    @property
    def skipped(self) -> int:
        return len(self.skipped_checks)

    @property
    def failed_ids(self) -> frozenset[str]:
        return frozenset(c.check_id for c in self.failed_checks)

    @property
    def ok(self) -> bool:
        """No failed check and no parsing error."""
        return not self.failed_checks and not self.parsing_errors


def checkov_executable() -> Path:
    """The checkov to run: ``$GEN_CHECKOV`` if set, else ``<repo>/.venv-checkov/bin/checkov``
    (a checkout after ``make install``), else ``checkov`` on PATH."""
    override = os.environ.get(CHECKOV_ENV_VAR)
    if override:
        path = Path(override)
        if not path.is_file():
            raise CheckovError(f"{CHECKOV_ENV_VAR}={override} does not name an existing file")
        return path
    path = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
    if path.is_file():
        return path
    on_path = shutil.which("checkov")
    if on_path is not None:
        return Path(on_path)
    raise CheckovError(
        f"checkov is not installed at {path} nor on PATH; `make install` installs it "
        f"(checkov=={CHECKOV_VERSION} in {REPO_ROOT / '.venv-checkov'}), "
        f"or set {CHECKOV_ENV_VAR} to a checkov executable"
    )


def _uv() -> str | None:
    """uv, when installed beside gen (the gen-lint hook brings it) or on PATH."""
    beside = Path(sys.executable).parent / "uv"
    if beside.is_file():
        return str(beside)
    return shutil.which("uv")


def checkov_launcher() -> list[str]:
    """The command that starts checkov: an installed checkov (`checkov_executable`), else
    checkov==CHECKOV_VERSION through `uv tool run`, which keeps it in an environment of its
    own (checkov pins bc-python-hcl2, which cannot share gen's environment)."""
    try:
        return [str(checkov_executable())]
    except CheckovError as missing:
        if os.environ.get(CHECKOV_ENV_VAR):
            raise  # the one the user named is missing: never a different checkov
        uv = _uv()
        if uv is None:
            raise CheckovError(
                f"{missing}; or install uv (pip install uv) and gen runs checkov=="
                f"{CHECKOV_VERSION} through `uv tool run`"
            ) from None
        return [uv, "tool", "run", "--quiet", "--from", f"checkov=={CHECKOV_VERSION}", "checkov"]


def checkov_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for an offline, reproducible checkov run (no API key, no downloads)."""
    source = os.environ if base is None else base
    env = {
        key: value
        for key, value in source.items()
        if not key.startswith(_DROPPED_ENV_PREFIXES) and key not in _DROPPED_ENV_VARS
    }
    env.update(_OFFLINE_ENV)
    return env


def checkov_command(
    executable: Path | Sequence[str],
    directory: Path,
    *,
    external_checks_dir: Path | None = None,
    extra_args: Sequence[str] = (),
) -> list[str]:
    launcher = [str(executable)] if isinstance(executable, Path) else list(executable)
    command = [
        *launcher,
        "--directory",
        str(directory),
        "--framework",
        "terraform",
        "--skip-download",
        "--output",
        "json",
        "--compact",
    ]
    if external_checks_dir is not None:
        command += ["--external-checks-dir", str(external_checks_dir)]
    command += list(extra_args)
    return command


def run_checkov(
    directory: Path,
    *,
    external_checks_dir: Path | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> CheckovReport:
    """Run checkov on ``directory`` (a Terraform root; local modules it calls are followed).

    Raises:
        CheckovError: checkov is missing, crashed, timed out or printed no JSON report.
    """
    directory = directory.resolve()
    if not directory.is_dir():
        raise CheckovError(f"not a directory: {directory}")
    if external_checks_dir is not None:
        external_checks_dir = external_checks_dir.resolve()
        if not external_checks_dir.is_dir():
            raise CheckovError(f"external checks dir is not a directory: {external_checks_dir}")
    command = checkov_command(
        checkov_launcher(),
        directory,
        external_checks_dir=external_checks_dir,
        extra_args=extra_args,
    )
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            command,
            cwd=directory,
            env=checkov_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CheckovError(f"checkov did not finish within {timeout:.0f} s: {command}") from exc
    except OSError as exc:
        raise CheckovError(f"cannot run checkov ({command[0]}): {exc}") from exc
    duration = time.perf_counter() - started
    stdout = proc.stdout.decode("utf-8", errors="replace")
    stderr = proc.stderr.decode("utf-8", errors="replace")
    if proc.returncode not in (0, 1):
        raise CheckovError(
            f"checkov exited with code {proc.returncode}: {' '.join(command)}\n"
            f"{stderr.strip()}\n{stdout.strip()}".rstrip()
        )
    try:
        data: object = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise CheckovError(
            f"checkov printed no JSON report ({exc}): {' '.join(command)}\n"
            f"stderr:\n{stderr.strip()}\nstdout:\n{stdout[:2000]}"
        ) from None
    return parse_checkov_output(data, directory=directory, duration_seconds=duration)


def parse_checkov_output(
    data: object, *, directory: Path, duration_seconds: float = 0.0
) -> CheckovReport:
    """Parse checkov's ``-o json`` output (dict, list of dicts, or bare summary dict).

    ``directory`` is the scanned dir; relative paths in the report are resolved against it.
    """
    reports: list[Any]
    if isinstance(data, list):
        reports = data
    elif isinstance(data, dict):
        reports = [data]
    else:
        raise CheckovError(f"unexpected checkov output type: {type(data).__name__}")

    version = ""
    passed = 0
    resource_count = 0
    failed: list[CheckResult] = []
    skipped: list[CheckResult] = []
    passed_checks: list[CheckResult] = []
    parsing_errors: list[str] = []
    for report in reports:
        if not isinstance(report, dict):
            raise CheckovError(f"unexpected checkov report entry: {report!r:.200}")
        # A bare summary ({"passed": 0, "failed": 0, ...}) when nothing was scanned.
        summary = report.get("summary", report)
        if not isinstance(summary, dict):
            raise CheckovError(f"unexpected checkov summary: {summary!r:.200}")
        version = version or str(summary.get("checkov_version", ""))
        passed += int(summary.get("passed", 0))
        resource_count += int(summary.get("resource_count", 0))
        results = report.get("results", {})
        if not isinstance(results, dict):
            raise CheckovError(f"unexpected checkov results: {results!r:.200}")
        failed += [_check(item, directory) for item in results.get("failed_checks", [])]
        skipped += [_check(item, directory) for item in results.get("skipped_checks", [])]
        passed_checks += [_check(item, directory) for item in results.get("passed_checks", [])]
        parsing_errors += [str(p) for p in results.get("parsing_errors", [])]
    return CheckovReport(
        directory=directory,
        checkov_version=version,
        passed=passed,
        failed_checks=tuple(failed),
        skipped_checks=tuple(skipped),
        passed_checks=tuple(passed_checks),
        parsing_errors=tuple(parsing_errors),
        resource_count=resource_count,
        duration_seconds=duration_seconds,
    )


def _resolve(directory: Path, report_path: object) -> Path:
    """checkov's relative paths start with '/' and are relative to the scanned dir."""
    return Path(os.path.normpath(directory / str(report_path).lstrip("/")))


def _line_range(value: object) -> tuple[int, int] | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        return int(value[0]), int(value[1])
    return None


def _check(item: object, directory: Path) -> CheckResult:
    if not isinstance(item, dict):
        raise CheckovError(f"unexpected checkov check entry: {item!r:.200}")
    abs_path = item.get("file_abs_path")
    file_path = (
        Path(os.path.normpath(abs_path))
        if isinstance(abs_path, str) and abs_path
        else _resolve(directory, item.get("file_path", ""))
    )
    caller = item.get("caller_file_path")
    result = item.get("check_result")
    suppress = result.get("suppress_comment") if isinstance(result, dict) else None
    return CheckResult(
        check_id=str(item.get("check_id", "")),
        check_name=str(item.get("check_name", "")),
        resource=str(item.get("resource_address") or item.get("resource", "")),
        file_path=file_path,
        line_range=_line_range(item.get("file_line_range")) or (0, 0),
        caller_file_path=_resolve(directory, caller) if isinstance(caller, str) else None,
        caller_line_range=_line_range(item.get("caller_file_line_range")),
        suppress_comment=str(suppress) if suppress is not None else None,
    )
