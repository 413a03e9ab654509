"""generator.checks.references: scoping and the checks terraform validate would make."""

from __future__ import annotations

from pathlib import Path

import hcl2

from generator.checks.references import ModuleDeclarations, check_module, collect_declarations

CHILD = """
variable "name" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

output "arn" {
  value = "arn:${var.name}"
}
"""


def _check(root: str, child: str | None = CHILD) -> list[tuple[int, str, str]]:
    trees = {"main.tf": hcl2.parses(root)}
    decls = collect_declarations(Path("/root"), trees)
    children: dict[str, ModuleDeclarations | None] = {}
    for name, call in decls.calls.items():
        if child is not None and call.source.startswith("./"):
            children[name] = collect_declarations(Path("/child"), {"c.tf": hcl2.parses(child)})
        else:
            children[name] = None
    return [(f.line, f.code, f.path) for f in check_module(decls, trees, children)]


def test_bound_names_are_not_references() -> None:
    root = """
variable "items" {
  type = list(string)
}

locals {
  upper = [for item in var.items : upper(item)]
  pairs = { for k, v in local.upper : k => v if v != "" }
  text  = "%{for x in var.items}${x}%{endfor}"
  heredoc = <<EOT
${local.pairs}
EOT
}

resource "aws_s3_bucket" "b" {
  for_each = toset(var.items)
  bucket   = each.value
  tags     = { Name = path.module, Workspace = terraform.workspace }

  dynamic "logging" {
    for_each = var.items
    iterator = target
    content {
      target_bucket = target.value
    }
  }

  lifecycle {
    ignore_changes = [tags]
  }
}
"""
    assert _check(root) == []


def test_undeclared_names_and_heredoc_lines() -> None:
    root = """
locals {
  a = var.missing
  b = <<EOT
first
${local.nope}
EOT
  c = aws_s3_bucket.none.arn
  d = data.aws_region.here.name
  e = bare
}
"""
    assert _check(root) == [
        (3, "undeclared-variable", "locals.a"),
        (6, "undeclared-local", "locals.b"),
        (8, "undeclared-resource", "locals.c"),
        (9, "undeclared-data", "locals.d"),
        (10, "invalid-reference", "locals.e"),
    ]


def test_instance_keys_and_attributes() -> None:
    root = """
resource "aws_kms_key" "counted" {
  count = 1
}

resource "aws_kms_key" "single" {
}

output "a" {
  value = aws_kms_key.counted.arn
}

output "b" {
  value = aws_kms_key.single[0].arn
}

output "c" {
  value = [aws_kms_key.counted[0].arn, aws_kms_key.single.key_id, aws_kms_key.counted[*].arn]
}

output "d" {
  value = aws_kms_key.single.no_such_attribute
}
"""
    assert _check(root) == [
        (10, "missing-instance-key", "output.a.value"),
        (14, "unexpected-instance-key", "output.b.value"),
        (22, "unsupported-attribute", "output.d.value"),
    ]


def test_module_calls_and_providers() -> None:
    root = """
provider "aws" {
  alias = "east"
}

module "m" {
  source = "./child"
  providers = {
    aws = aws.west
  }
  nam = "x"
}

module "remote" {
  source = "git::https://example.com/m.git"
  anything = module.m.arn
}

output "o" {
  value = [module.m.arn, module.m.nope, module.remote.whatever, module.gone.x]
}
"""
    assert _check(root) == [
        (6, "missing-module-argument", "module.m.name"),
        (9, "undeclared-provider", "module.m.providers"),
        (11, "unsupported-module-argument", "module.m.nam"),
        (20, "unknown-module-output", "output.o.value"),
        (20, "undeclared-module", "output.o.value"),
    ]


def test_remote_modules_are_not_looked_into() -> None:
    root = """
module "remote" {
  source = "git::https://example.com/m.git"
  x      = 1
}

output "o" {
  value = module.remote.anything
}
"""
    assert _check(root, child=None) == []
