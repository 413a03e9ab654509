from __future__ import annotations

import pytest

from generator.terraform.fmt import TerraformToolError, format_hcl, format_many, unformatted

MISALIGNED = """resource "aws_s3_bucket" "this" {
  bucket = "models"
  force_destroy = false
}
"""

ALIGNED = """resource "aws_s3_bucket" "this" {
  bucket        = "models"
  force_destroy = false
}
"""

BROKEN = """resource "aws_s3_bucket" "this" {
  bucket = "models"
  force_destroy =
}
"""


def test_format_hcl_aligns_equals_signs() -> None:
    assert format_hcl(MISALIGNED) == ALIGNED


def test_format_hcl_keeps_canonical_text() -> None:
    assert format_hcl(ALIGNED) == ALIGNED


def test_unformatted_reports_only_misaligned_files() -> None:
    files = {"envs/dev/main.tf": MISALIGNED, "modules/s3/main.tf": ALIGNED}
    assert unformatted(files) == ["envs/dev/main.tf"]


def test_format_many_formats_each_file_and_keeps_names() -> None:
    files = {
        "a.tf": MISALIGNED,
        "b.tf": ALIGNED,
        "dev.tfvars": 'region = "eu-west-1"\nname  = "x"\n',
    }
    formatted = format_many(files)
    assert formatted == {
        "a.tf": ALIGNED,
        "b.tf": ALIGNED,
        "dev.tfvars": 'region = "eu-west-1"\nname   = "x"\n',
    }


def test_format_many_of_nothing_is_empty() -> None:
    assert format_many({}) == {}


def test_syntax_error_raises_with_file_and_line() -> None:
    with pytest.raises(TerraformToolError) as info:
        format_many({"ok.tf": ALIGNED, "envs/dev/main.tf": BROKEN})
    message = str(info.value)
    assert "on envs/dev/main.tf line 3" in message
    assert "Error:" in message
    assert "gen_fmt_" not in message


def test_format_hcl_error_uses_given_name() -> None:
    with pytest.raises(TerraformToolError, match=r"on kms\.tf line 3"):
        format_hcl(BROKEN, name="kms.tf")
