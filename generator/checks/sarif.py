"""A `gen lint` report as one SARIF 2.1.0 log (for GitHub code scanning and other CI).

One run, tool ``gen``, merging every check: a rule per (check, rule) pair, with ids like
``schema/unsupported-argument`` or ``checkov/CKV_AWS_70``. Locations are relative to the
``%SRCROOT%`` base (the directory ``gen lint`` ran from), which
``originalUriBaseIds`` anchors to an absolute ``file://`` URI. A check that could not run is
a ``toolExecutionNotifications`` entry with level ``error`` and makes the invocation
unsuccessful.

The output validates against the official OASIS schema, which the tests vendor as
``tests/lint_corpus/sarif-schema-2.1.0.json`` (provenance in ``tests/test_lint_sarif.py``).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from generator import __version__
from generator.checks.catalog import DESCRIPTIONS, Check
from generator.checks.lint import Finding, LintReport, Status

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"

_RULE_HELP: dict[str, str] = {
    Check.PARSE: "The file must parse as HCL; terraform would refuse it.",
    Check.FMT: "Run `terraform fmt` on the file.",
    Check.SCHEMA: "The argument or block is not what hashicorp/aws 6.69.1 accepts.",
    Check.REFERENCES: "The name does not resolve to a declaration; terraform validate fails.",
    Check.CHECKOV: "checkov policy; CKV_GEN_* are gen's own (generator/checks/checkov_checks).",
    Check.RENDER: "Run `gen render ENV_DIR`, or fix topology.yaml.",
}


def _rule_id(finding: Finding) -> str:
    return f"{finding.check}/{finding.rule}"


def _uri(display: str) -> tuple[str, bool]:
    """(URI, relative to %SRCROOT%?) for a display path."""
    path = PurePosixPath(display)
    if path.is_absolute():
        return Path(display).as_uri(), False
    return quote(path.as_posix()), True


def _location(file: str, line: int, message: str | None = None) -> dict[str, Any]:
    uri, relative = _uri(file)
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = SRCROOT
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line > 0:
        physical["region"] = {"startLine": line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if message:
        location["message"] = {"text": message}
    return location


def to_sarif(report: LintReport) -> dict[str, Any]:
    """The report as a SARIF log (a JSON-ready dict)."""
    findings = report.findings
    warnings = report.warnings
    levels = {_rule_id(f): "warning" for f in warnings} | {_rule_id(f): "error" for f in findings}
    rule_ids = sorted(levels)
    names = {(f.check, f.rule): f.message for f in findings if f.check == Check.CHECKOV}
    rules = []
    for rule_id in rule_ids:
        check, _, rule = rule_id.partition("/")
        short = names.get((check, rule)) or f"{DESCRIPTIONS[Check(check)]}: {rule}"
        rules.append(
            {
                "id": rule_id,
                "name": rule_id.replace("/", "_").replace("-", "_"),
                "shortDescription": {"text": short},
                "help": {"text": _RULE_HELP[check]},
                "defaultConfiguration": {"level": levels[rule_id]},
                "properties": {"check": check},
            }
        )
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = []
    leveled = [(f, "error") for f in findings] + [(w, "warning") for w in warnings]
    for finding, level in leveled:
        text = f"{finding.path}: {finding.message}" if finding.path else finding.message
        result: dict[str, Any] = {
            "ruleId": _rule_id(finding),
            "ruleIndex": index[_rule_id(finding)],
            "level": level,
            "message": {"text": text},
            "locations": [_location(finding.file, finding.line)],
            "properties": {"check": finding.check},
        }
        if finding.path:
            result["locations"][0]["logicalLocations"] = [{"fullyQualifiedName": finding.path}]
        if finding.related:
            result["relatedLocations"] = [
                {"id": i, **_location(r.file, r.line, "the resource in the called module")}
                for i, r in enumerate(finding.related)
            ]
        results.append(result)
    notifications = [
        {
            "level": "error" if o.status is Status.ERROR else "note",
            "message": {"text": f"{o.check}: {o.status}: {o.note}"},
            "descriptor": {"id": str(o.check)},
        }
        for o in report.outcomes
        if o.status in (Status.ERROR, Status.SKIPPED) or o.note
    ]
    invocation: dict[str, Any] = {
        "executionSuccessful": not any(o.status is Status.ERROR for o in report.outcomes),
        "exitCode": report.exit_code,
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "gen",
                        "fullName": "gen lint",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {
                    SRCROOT: {"uri": Path(report.base).as_uri().rstrip("/") + "/"}
                },
                "invocations": [invocation],
                "results": results,
                "properties": {
                    "environments": report.env_dirs,
                    "checks": {
                        str(o.check): {"status": str(o.status), "findings": len(o.findings)}
                        for o in report.outcomes
                    },
                },
            }
        ],
    }
