"""The vendored hashicorp/aws schema and the offline check of rendered HCL against it."""

from __future__ import annotations

import gzip
import json
import textwrap

import pytest

from generator.terraform.provider_schema import (
    SCHEMA_PATH,
    SchemaFinding,
    check_hcl_files,
    data_source_types,
    load_schema,
    resource_types,
)


def check(text: str) -> list[SchemaFinding]:
    return check_hcl_files({"main.tf": textwrap.dedent(text).lstrip("\n")})


def only(findings: list[SchemaFinding]) -> SchemaFinding:
    assert len(findings) == 1, findings
    return findings[0]


# ---------------------------------------------------------------------------- schema


def test_vendored_schema_is_hashicorp_aws_6_69_1() -> None:
    schema = load_schema()
    assert (schema.provider, schema.version) == ("hashicorp/aws", "6.69.1")
    with gzip.open(SCHEMA_PATH, "rb") as fh:
        raw = json.load(fh)
    assert raw["source"] == {"wheel": "cdktn-provider-aws", "wheel_version": "25.8.1"}
    # all of them: the lint must be able to call any type it does not know unknown
    assert len(resource_types()) > 1500
    assert len(data_source_types()) > 600
    assert {"aws_s3_bucket", "aws_kms_key", "aws_sagemaker_model"} <= resource_types()
    assert "aws_iam_policy_document" in data_source_types()
    assert "aws_iam_policy_document" not in resource_types()


def test_vendored_file_is_deterministic_gzip() -> None:
    header = SCHEMA_PATH.read_bytes()[:10]
    assert header[:3] == b"\x1f\x8b\x08"
    assert header[3] == 0  # no file name, comment or extra field
    assert header[4:8] == b"\x00\x00\x00\x00"  # mtime 0


def test_sagemaker_model_primary_container_is_a_single_block() -> None:
    model = load_schema().resources["aws_sagemaker_model"]
    assert model.attributes["execution_role_arn"].required
    assert not model.attributes["arn"].configurable
    primary = model.blocks["primary_container"]
    assert (primary.nesting, primary.min_items, primary.max_items) == ("list", 0, 1)
    image_config = primary.body.blocks["image_config"]
    assert image_config.max_items == 1
    assert image_config.body.attributes["repository_access_mode"].required
    assert "environment" in primary.body.attributes  # a map attribute, not a block
    assert model.blocks["container"].max_items is None


def test_attributes_and_blocks_are_told_apart() -> None:
    schema = load_schema()
    bucket = schema.resources["aws_s3_bucket"]
    assert "tags" in bucket.attributes and "tags" not in bucket.blocks
    assert bucket.attributes["bucket"].optional and bucket.attributes["bucket"].computed
    assert bucket.blocks["timeouts"].nesting == "single"
    # ConfigModeAttr: written with blocks in old docs but an attribute in the schema
    assert "ingress" in schema.resources["aws_security_group"].attributes
    sse = schema.resources["aws_s3_bucket_server_side_encryption_configuration"]
    assert (sse.blocks["rule"].nesting, sse.blocks["rule"].min_items) == ("set", 1)
    assert "assume_role" in schema.provider_config.blocks
    assert "region" in schema.provider_config.attributes


def test_kms_key_has_enable_key_rotation() -> None:
    kms = load_schema().resources["aws_kms_key"]
    flags = kms.attributes["enable_key_rotation"]
    assert flags.optional and not flags.required


def test_recursive_blocks_resolve_to_their_ancestor() -> None:
    schema = load_schema()
    rule = schema.resources["aws_wafv2_web_acl_rule"]
    statement = rule.blocks["statement"]
    inner = statement.body.blocks["and_statement"].body.blocks["statement"]
    assert inner.ref == ("statement",)
    assert schema.body_of(inner, rule) is statement.body


# ----------------------------------------------------------------------------- check

GOOD = """
resource "aws_kms_key" "this" {
  count                   = var.enabled ? 1 : 0
  description             = "key for ${var.env}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "kms:*", Resource = "*" }]
  })
  tags = {
    Name = "x"
  }
  depends_on = [aws_iam_role.r]
  lifecycle {
    prevent_destroy = true
  }
  timeouts {
    create = "5m"
  }
}

resource "aws_sagemaker_model" "this" {
  provider           = aws.tooling
  name               = "m"
  execution_role_arn = aws_iam_role.r.arn
  primary_container {
    image       = "123.dkr.ecr.eu-west-1.amazonaws.com/x:1"
    environment = { A = "b" }
    image_config {
      repository_access_mode = "Platform"
    }
  }
  dynamic "vpc_config" {
    for_each = var.vpc == null ? [] : [var.vpc]
    content {
      subnets            = vpc_config.value.subnets
      security_group_ids = vpc_config.value.security_group_ids
    }
  }
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  name = "c"
  production_variants {
    variant_name           = "v"
    model_name             = aws_sagemaker_model.this.name
    initial_instance_count = 1
    instance_type          = "ml.m5.large"
  }
}

data "aws_iam_policy_document" "assume" {
  for_each = toset(["a", "b"])
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
  }
}

data "archive_file" "zip" {
  type       = "zip"
  whatever   = 1
}

resource "time_sleep" "wait" {
  create_duration = "30s"
}

provider "aws" {
  alias  = "tooling"
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/x"
  }
}

module "m" {
  source  = "./modules/x"
  unknown = true
}
"""


def test_correct_configuration_has_no_finding() -> None:
    assert check(GOOD) == []


def test_unknown_resource_type() -> None:
    finding = only(
        check("""
        resource "aws_s3_bucket" "ok" {}

        resource "aws_sagemaker_modle" "typo" {
          name = "x"
        }
        """)
    )
    assert (finding.file, finding.line, finding.code) == ("main.tf", 3, "unknown-resource-type")
    assert finding.path == "aws_sagemaker_modle.typo"
    assert "aws_sagemaker_modle" in finding.message and "6.69.1" in finding.message


def test_unknown_data_source_type() -> None:
    finding = only(check('data "aws_nope" "x" {}\n'))
    assert (finding.line, finding.path, finding.code) == (
        1,
        "data.aws_nope.x",
        "unknown-data-type",
    )


def test_unknown_attribute() -> None:
    finding = only(
        check("""
        resource "aws_kms_key" "this" {
          description         = "k"
          enable_key_rotaton  = true
        }
        """)
    )
    assert (finding.line, finding.path, finding.code) == (
        3,
        "aws_kms_key.this.enable_key_rotaton",
        "unsupported-argument",
    )


def test_unknown_attribute_in_nested_block_has_full_path() -> None:
    finding = only(
        check("""
        resource "aws_sagemaker_model" "this" {
          execution_role_arn = "arn"
          primary_container {
            image = "i"
            image_config {
              repository_access_mode = "Platform"
              foo                    = 1
            }
          }
        }
        """)
    )
    assert (finding.line, finding.code) == (7, "unsupported-argument")
    assert finding.path == "aws_sagemaker_model.this.primary_container[0].image_config[0].foo"


def test_missing_required_argument() -> None:
    finding = only(
        check("""
        resource "aws_sagemaker_endpoint" "this" {
          name = "e"
        }
        """)
    )
    assert (finding.line, finding.path, finding.code) == (
        1,
        "aws_sagemaker_endpoint.this.endpoint_config_name",
        "missing-argument",
    )


def test_missing_required_argument_in_nested_block() -> None:
    finding = only(
        check("""
        resource "aws_sagemaker_model" "this" {
          execution_role_arn = "arn"
          primary_container {
            image_config {}
          }
        }
        """)
    )
    assert (finding.line, finding.code) == (4, "missing-argument")
    assert finding.path == (
        "aws_sagemaker_model.this.primary_container[0].image_config[0].repository_access_mode"
    )


def test_two_primary_container_blocks() -> None:
    finding = only(
        check("""
        resource "aws_sagemaker_model" "this" {
          execution_role_arn = "arn"
          primary_container {
            image = "a"
          }
          primary_container {
            image = "b"
          }
        }
        """)
    )
    assert (finding.line, finding.path, finding.code) == (
        6,
        "aws_sagemaker_model.this.primary_container[1]",
        "too-many-blocks",
    )


def test_missing_required_block() -> None:
    schema = load_schema().resources["aws_sagemaker_endpoint_configuration"]
    assert schema.blocks["production_variants"].min_items == 1
    finding = only(
        check("""
        resource "aws_sagemaker_endpoint_configuration" "this" {
          name = "c"
        }
        """)
    )
    assert (finding.line, finding.path, finding.code) == (
        1,
        "aws_sagemaker_endpoint_configuration.this.production_variants",
        "insufficient-blocks",
    )


def test_dynamic_block_content_is_checked_against_its_block() -> None:
    finding = only(
        check("""
        resource "aws_sagemaker_model" "this" {
          execution_role_arn = "arn"
          dynamic "container" {
            for_each = var.containers
            content {
              image     = container.value.image
              imagee    = container.value.image
            }
          }
        }
        """)
    )
    assert (finding.line, finding.path, finding.code) == (
        7,
        "aws_sagemaker_model.this.dynamic.container.content.imagee",
        "unsupported-argument",
    )


def test_dynamic_block_suspends_the_block_count_check() -> None:
    text = """
    resource "aws_sagemaker_endpoint_configuration" "this" {
      dynamic "production_variants" {
        for_each = var.variants
        content {
          variant_name = production_variants.key
          model_name   = production_variants.value
        }
      }
    }
    """
    assert check(text) == []


def test_dynamic_block_of_unknown_type() -> None:
    finding = only(
        check("""
        resource "aws_kms_key" "this" {
          dynamic "tags" {
            for_each = {}
            content {}
          }
        }
        """)
    )
    assert (finding.line, finding.code) == (2, "attribute-as-block")


def test_computed_only_attribute_cannot_be_set() -> None:
    finding = only(
        check("""
        resource "aws_kms_key" "this" {
          arn = "arn:aws:kms:eu-west-1:111111111111:key/x"
        }
        """)
    )
    assert (finding.line, finding.path, finding.code) == (
        2,
        "aws_kms_key.this.arn",
        "unconfigurable-attribute",
    )


def test_attribute_written_as_block_and_block_written_as_attribute() -> None:
    findings = check("""
    resource "aws_sagemaker_model" "this" {
      execution_role_arn = "arn"
      tags {
        Name = "x"
      }
      primary_container = {
        image = "a"
      }
    }
    """)
    assert [(f.line, f.path, f.code) for f in findings] == [
        (3, "aws_sagemaker_model.this.tags", "attribute-as-block"),
        (6, "aws_sagemaker_model.this.primary_container", "block-as-attribute"),
    ]


def test_unknown_block_and_unsupported_timeouts() -> None:
    findings = check("""
    resource "aws_iam_role" "r" {
      assume_role_policy = "{}"
      timeouts {
        create = "1m"
      }
      inline_policy {
        name   = "p"
        policy = "{}"
      }
      inline_polcy {}
    }
    """)
    assert [(f.line, f.path, f.code) for f in findings] == [
        (3, "aws_iam_role.r.timeouts", "unsupported-block"),
        (10, "aws_iam_role.r.inline_polcy", "unsupported-block"),
    ]


def test_meta_arguments_only_at_top_level() -> None:
    finding = only(
        check("""
        resource "aws_sagemaker_model" "this" {
          execution_role_arn = "arn"
          primary_container {
            count = 2
          }
        }
        """)
    )
    assert (finding.line, finding.code) == (4, "unsupported-argument")


def test_data_source_has_no_provisioner() -> None:
    finding = only(
        check("""
        data "aws_caller_identity" "me" {
          provisioner "local-exec" {
            command = "true"
          }
        }
        """)
    )
    assert (finding.path, finding.code) == (
        "data.aws_caller_identity.me.provisioner",
        "unsupported-block",
    )


def test_provider_block_is_checked() -> None:
    finding = only(check('provider "aws" {\n  regoin = "eu-west-1"\n}\n'))
    assert (finding.line, finding.path) == (2, "provider.aws.regoin")


def test_recursive_block_is_checked_through_its_reference() -> None:
    finding = only(
        check("""
        resource "aws_wafv2_web_acl_rule" "r" {
          name        = "r"
          priority    = 1
          web_acl_arn = "arn"
          statement {
            and_statement {
              statement {
                bogus = 1
              }
            }
          }
        }
        """)
    )
    assert finding.line == 8
    assert (
        finding.path == "aws_wafv2_web_acl_rule.r.statement[0].and_statement[0].statement[0].bogus"
    )


def test_parse_error_is_a_finding() -> None:
    finding = only(check('resource "aws_kms_key" "k" {\n  description = \n}\n'))
    assert (finding.line, finding.code) == (2, "parse-error")


def test_findings_span_files_and_are_sorted() -> None:
    findings = check_hcl_files(
        {
            "b.tf": 'resource "aws_kms_key" "k" {\n  nope = 1\n}\n',
            "a.tf": 'resource "aws_nope" "k" {}\n',
        }
    )
    assert [(f.file, f.line) for f in findings] == [("a.tf", 1), ("b.tf", 2)]
    assert str(findings[1]) == "b.tf:2: aws_kms_key.k.nope: unsupported argument 'nope'"


@pytest.mark.parametrize("text", ['resource "time_sleep" "x" { nope = 1 }\n', "locals {}\n", ""])
def test_other_providers_and_empty_files_are_skipped(text: str) -> None:
    assert check(text) == []
