"""`gen lint ENV_DIR...`: the checks themselves are in generator.checks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from generator.checks.catalog import DESCRIPTIONS, Check
from generator.cli.errors import console, reports_errors
from generator.cli.types import ModulesSource

if TYPE_CHECKING:
    from rich.console import Console

    from generator.checks.lint import LintReport

_STYLES = {
    "passed": "green",
    "failed": "bold red",
    "skipped": "yellow",
    "error": "bold magenta",
}


def report_json(report: LintReport) -> dict[str, Any]:
    """The report as plain JSON (``--format json``)."""
    return {
        "environments": report.env_dirs,
        "exit_code": report.exit_code,
        "seconds": round(report.seconds, 3),
        "unchecked_module_sources": report.unchecked_modules,
        "checks": [
            {
                "check": str(o.check),
                "description": DESCRIPTIONS[o.check],
                "status": str(o.status),
                "checked": o.checked,
                "note": o.note,
                "findings": len(o.findings),
                "seconds": round(o.seconds, 3),
            }
            for o in report.outcomes
        ],
        "findings": [
            {
                "file": f.file,
                "line": f.line,
                "check": f.check,
                "rule": f.rule,
                "path": f.path,
                "message": f.message,
                "related": [{"file": r.file, "line": r.line} for r in f.related],
            }
            for f in report.findings
        ],
        "warnings": [
            {
                "file": f.file,
                "line": f.line,
                "check": f.check,
                "rule": f.rule,
                "path": f.path,
                "message": f.message,
            }
            for f in report.warnings
        ],
    }


def print_report(report: LintReport, console: Console) -> None:
    """Every finding, one per line, then the summary table per check."""
    from rich.table import Table
    from rich.text import Text

    from generator.checks.lint import Status

    for finding in report.findings:
        console.print(str(finding), markup=False, highlight=False)
    for warning in report.warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False)
    if report.unchecked_modules:
        n = len(report.unchecked_modules)
        console.print(
            f"[bold yellow]warning: NOT CHECKED:[/] {n} module source{'s' if n != 1 else ''} "
            "gen lint cannot read; nothing in them was checked (schema, references, checkov). "
            "Local modules and gen's own release (an installed gen's default) are checked.",
            markup=True,
            highlight=False,
        )
        for source in report.unchecked_modules:
            console.print(f"  {source}", markup=False, highlight=False)
    table = Table(title=f"gen lint {' '.join(report.env_dirs)}")
    table.add_column("check")
    table.add_column("what")
    table.add_column("checked")
    table.add_column("findings", justify="right")
    table.add_column("result")
    table.add_column("time", justify="right")
    for o in report.outcomes:
        result = Text(str(o.status), style=_STYLES[o.status])
        checked = o.checked + (f" ({o.note})" if o.note else "")
        table.add_row(
            str(o.check),
            DESCRIPTIONS[o.check],
            checked,
            str(len(o.findings)),
            result,
            f"{o.seconds:.1f} s" if o.status is not Status.SKIPPED else "",
        )
    console.print(table)
    failed = sum(o.status is Status.FAILED for o in report.outcomes)
    errors = sum(o.status is Status.ERROR for o in report.outcomes)
    n = len(report.findings)
    summary = (
        f"{n} finding{'s' if n != 1 else ''}, {failed} failed check{'s' if failed != 1 else ''}"
        + (f", {errors} check{'s' if errors != 1 else ''} could not run" if errors else "")
        + (
            f", {len(report.warnings)} warning{'s' if len(report.warnings) != 1 else ''}"
            if report.warnings
            else ""
        )
        + f" in {report.seconds:.1f} s"
    )
    console.print(summary, markup=False, highlight=False)


@reports_errors
def lint_command(
    env_dirs: Annotated[
        list[Path],
        typer.Argument(
            metavar="ENV_DIR...",
            help="Environment directories (rendered Terraform roots, e.g. envs/prod).",
            exists=True,
            file_okay=False,
            dir_okay=True,
        ),
    ],
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="[text|json|sarif]",
            help="text (findings and a table), json, or sarif (SARIF 2.1.0, for CI).",
            case_sensitive=False,
        ),
    ] = "text",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the json or sarif document to this file (and print the text "
            "report); default: the document alone on stdout.",
            dir_okay=False,
        ),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip",
            metavar="CHECK",
            help=f"Leave a check out (repeatable): {', '.join(c.value for c in Check)}.",
        ),
    ] = None,
    modules_source: ModulesSource = None,
    provider: Annotated[
        str,
        typer.Option(
            "--provider",
            help="terraform check: offline (default; gen's stand-in provider serving the "
            "vendored schemas, no network or credentials) or real (your own terraform, "
            "CLI configuration, plugin cache and the real providers; needs network).",
            case_sensitive=False,
        ),
    ] = "offline",
) -> None:
    """Prove rendered environments valid: parse, terraform fmt, provider schema,
    references, checkov (with gen's own checks), render --check, and terraform (real
    Terraform init, validate and plan, with gen's offline provider by default).

    Exit code 0: every check passed; 1: findings; 3: a check could not run. Warnings
    (such as local state, without `state` in topology.yaml) are printed and never fail.
    """
    fmt = output_format.lower()
    if fmt not in ("text", "json", "sarif"):
        raise typer.BadParameter(
            f"{output_format!r}: choose text, json or sarif", param_hint="--format"
        )
    skipped = []
    for name in skip or []:
        try:
            skipped.append(Check(name.lower()))
        except ValueError:
            raise typer.BadParameter(
                f"{name!r}: not a check; choose from {', '.join(c.value for c in Check)}",
                param_hint="--skip",
            ) from None
    if provider.lower() not in ("offline", "real"):
        raise typer.BadParameter(f"{provider!r}: choose offline or real", param_hint="--provider")
    if output is not None and fmt == "text":
        raise typer.BadParameter("--output needs --format json or sarif", param_hint="--output")
    import json

    from generator.checks.lint import lint
    from generator.checks.sarif import to_sarif

    out = console()
    report = lint(env_dirs, skip=skipped, modules_source=modules_source, provider=provider.lower())
    document: dict[str, Any] | None = None
    if fmt == "json":
        document = report_json(report)
    elif fmt == "sarif":
        document = to_sarif(report)
    if document is None:
        print_report(report, out)
    elif output is None:
        typer.echo(json.dumps(document, indent=2))
    else:
        from generator.render.output import write_file

        # A file gen writes carries its mark, and gen replaces only a file that still has it.
        mark = {"generated_by": "gen lint"}
        if fmt == "sarif":  # a sarifLog takes a property bag, not unknown keys
            head: dict[str, Any] = {
                k: document.pop(k) for k in ("$schema", "version") if k in document
            }
            document = {**head, "properties": mark, **document}
        else:
            document = {**mark, **document}
        write_file(output, json.dumps(document, indent=2) + "\n")
        print_report(report, out)
        out.print(f"wrote {output}", markup=False, highlight=False)
    raise typer.Exit(report.exit_code)
