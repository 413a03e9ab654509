from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.checks.checkov import (
    CHECKOV_VERSION,
    CheckovError,
    CheckovReport,
    checkov_env,
    checkov_executable,
    parse_checkov_output,
    run_checkov,
)

BUCKET_MODULE = """variable "bucket" {
  type = string
}

variable "policy" {
  type = string
}

resource "aws_s3_bucket_policy" "this" {
  # checkov:skip=CKV_AWS_93:test skip reason
  bucket = var.bucket
  policy = var.policy
}
"""

KMS_MODULE = """variable "policy" {
  type = string
}

resource "aws_kms_key" "this" {
  description         = "models"
  enable_key_rotation = true
  policy              = var.policy
}
"""

WILDCARD_ROOT = """module "bucket" {
  source = "../../modules/bucket_policy"
  bucket = "models"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Action    = "s3:*"
      Resource  = "arn:aws:s3:::models/*"
    }]
  })
}

module "kms" {
  source = "../../modules/kms"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}
"""

CLEAN_ROOT = """module "bucket" {
  source = "../../modules/bucket_policy"
  bucket = "models"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:root" }
      Action    = "s3:GetObject"
      Resource  = "arn:aws:s3:::models/*"
    }]
  })
}

module "kms" {
  source = "../../modules/kms"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:root" }
      Action    = "kms:Decrypt"
      Resource  = "*"
    }]
  })
}
"""


def _checkov_or_skip() -> Path:
    """Skip only when the default checkov venv is absent; a wrong GEN_CHECKOV is an error."""
    if os.environ.get("GEN_CHECKOV"):
        return checkov_executable()
    try:
        return checkov_executable()
    except CheckovError as exc:
        pytest.skip(f"checkov venv missing (run `make install`): {exc}")


def _layout(root: Path, root_main: str) -> Path:
    (root / "modules" / "bucket_policy").mkdir(parents=True)
    (root / "modules" / "bucket_policy" / "main.tf").write_text(BUCKET_MODULE)
    (root / "modules" / "kms").mkdir(parents=True)
    (root / "modules" / "kms" / "main.tf").write_text(KMS_MODULE)
    env_dir = root / "envs" / "dev"
    env_dir.mkdir(parents=True)
    (env_dir / "main.tf").write_text(root_main)
    return env_dir


@pytest.fixture(scope="module")
def wildcard_report(tmp_path_factory: pytest.TempPathFactory) -> CheckovReport:
    _checkov_or_skip()
    env_dir = _layout(tmp_path_factory.mktemp("wildcard"), WILDCARD_ROOT)
    return run_checkov(env_dir)


def test_wildcard_principal_policies_in_modules_fail(wildcard_report: CheckovReport) -> None:
    failed = {(c.check_id, c.resource) for c in wildcard_report.failed_checks}
    assert ("CKV_AWS_70", "module.bucket.aws_s3_bucket_policy.this") in failed
    assert ("CKV_AWS_33", "module.kms.aws_kms_key.this") in failed
    assert wildcard_report.failed == len(wildcard_report.failed_checks) == 2
    assert not wildcard_report.ok


def test_module_findings_point_at_module_file_and_caller(wildcard_report: CheckovReport) -> None:
    directory = wildcard_report.directory
    (check,) = [c for c in wildcard_report.failed_checks if c.check_id == "CKV_AWS_70"]
    assert check.file_path == directory.parent.parent / "modules" / "bucket_policy" / "main.tf"
    assert check.line_range == (9, 13)
    assert check.caller_file_path == directory / "main.tf"
    assert check.caller_line_range == (1, 13)
    assert "Principal" in check.check_name


def test_inline_skip_comment_is_reported_with_reason(wildcard_report: CheckovReport) -> None:
    (skipped,) = wildcard_report.skipped_checks
    assert skipped.check_id == "CKV_AWS_93"
    assert skipped.resource == "module.bucket.aws_s3_bucket_policy.this"
    assert skipped.suppress_comment == "test skip reason"


def test_report_counts_and_version(wildcard_report: CheckovReport) -> None:
    assert wildcard_report.passed == len(wildcard_report.passed_checks) > 0
    assert wildcard_report.resource_count == 2
    assert wildcard_report.parsing_errors == ()
    if not os.environ.get("GEN_CHECKOV"):
        assert wildcard_report.checkov_version == CHECKOV_VERSION


def test_clean_root_has_no_failures(tmp_path: Path) -> None:
    _checkov_or_skip()
    report = run_checkov(_layout(tmp_path, CLEAN_ROOT))
    assert report.failed_checks == (), [str(c) for c in report.failed_checks]
    assert report.ok
    passed = {(c.check_id, c.resource) for c in report.passed_checks}
    assert ("CKV_AWS_70", "module.bucket.aws_s3_bucket_policy.this") in passed
    assert ("CKV_AWS_33", "module.kms.aws_kms_key.this") in passed


def test_syntax_error_is_a_parsing_error_not_a_crash(tmp_path: Path) -> None:
    _checkov_or_skip()
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "x" {\n  bucket =\n')
    report = run_checkov(tmp_path)
    assert report.parsing_errors == (str(tmp_path.resolve() / "main.tf"),)
    assert not report.ok


def test_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(CheckovError, match="not a directory"):
        run_checkov(tmp_path / "nope")


def test_gen_checkov_override_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEN_CHECKOV", str(tmp_path / "missing-checkov"))
    with pytest.raises(CheckovError, match="GEN_CHECKOV"):
        checkov_executable()


def test_env_drops_api_keys_and_disables_network() -> None:
    env = checkov_env({"PATH": "/bin", "BC_API_KEY": "secret", "CKV_CHECK": "CKV_AWS_1"})
    assert "BC_API_KEY" not in env
    assert "CKV_CHECK" not in env
    assert env["PATH"] == "/bin"
    assert env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] == "true"
    assert env["DOWNLOAD_EXTERNAL_MODULES"] == "false"


def test_parse_summary_only_output() -> None:
    data = {
        "passed": 0,
        "failed": 0,
        "skipped": 0,
        "parsing_errors": 0,
        "resource_count": 0,
        "checkov_version": "3.3.30",
    }
    report = parse_checkov_output(data, directory=Path("/x"))
    assert report.passed == 0
    assert report.failed_checks == ()
    assert report.checkov_version == "3.3.30"
    assert report.ok


# Trimmed from real checkov 3.3.30 output (-o json --compact) for a root calling a module.
_FAILED = {
    "check_id": "CKV_AWS_70",
    "bc_check_id": None,
    "check_name": "Ensure S3 bucket does not allow an action with any Principal",
    "check_result": {"result": "FAILED", "evaluated_keys": ["policy"]},
    "code_block": None,
    "file_path": "/../../modules/bucketpol/main.tf",
    "file_abs_path": "/tmp/ck/modules/bucketpol/main.tf",
    "repo_file_path": "/modules/bucketpol/main.tf",
    "file_line_range": [14, 17],
    "resource": "module.bucket.aws_s3_bucket_policy.this",
    "caller_file_path": "/main.tf",
    "caller_file_line_range": [1, 8],
    "resource_address": None,
}
_SKIPPED = {
    "check_id": "CKV_AWS_18",
    "check_name": "Ensure the S3 bucket has access logging enabled",
    "check_result": {
        "result": "SKIPPED",
        "suppress_comment": "access logging handled centrally",
    },
    "file_path": "/../../modules/bucketpol/main.tf",
    "file_abs_path": "/tmp/ck/modules/bucketpol/main.tf",
    "file_line_range": [9, 12],
    "resource": "module.bucket.aws_s3_bucket.this",
    "caller_file_path": None,
    "caller_file_line_range": None,
    "resource_address": None,
}


def test_parse_list_output_merges_frameworks() -> None:
    one = {
        "check_type": "terraform",
        "results": {
            "passed_checks": [],
            "failed_checks": [_FAILED],
            "skipped_checks": [_SKIPPED],
            "parsing_errors": [],
        },
        "summary": {
            "passed": 13,
            "failed": 1,
            "skipped": 1,
            "parsing_errors": 0,
            "resource_count": 5,
            "checkov_version": "3.3.30",
        },
    }
    two = {"check_type": "secrets", "results": {}, "summary": {"passed": 2, "resource_count": 1}}
    report = parse_checkov_output([one, two], directory=Path("/tmp/ck/envs/dev"))
    assert report.passed == 15
    assert report.resource_count == 6
    (failed,) = report.failed_checks
    assert failed.check_id == "CKV_AWS_70"
    assert failed.resource == "module.bucket.aws_s3_bucket_policy.this"
    assert failed.file_path == Path("/tmp/ck/modules/bucketpol/main.tf")
    assert failed.line_range == (14, 17)
    assert failed.caller_file_path == Path("/tmp/ck/envs/dev/main.tf")
    assert failed.caller_line_range == (1, 8)
    (skipped,) = report.skipped_checks
    assert skipped.suppress_comment == "access logging handled centrally"
    assert skipped.caller_file_path is None
    assert report.failed_ids == frozenset({"CKV_AWS_70"})
