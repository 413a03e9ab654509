"""The checks of `gen lint`, by name: what `--skip` takes and what the report describes.

Kept apart from the checks themselves so that the CLI can list them without importing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Check(StrEnum):
    PARSE = "parse"
    FMT = "fmt"
    SCHEMA = "schema"
    REFERENCES = "references"
    CHECKOV = "checkov"
    RENDER = "render"
    TERRAFORM = "terraform"


DESCRIPTIONS: Mapping[Check, str] = {
    Check.PARSE: "HCL syntax (python-hcl2)",
    Check.FMT: "terraform fmt -check",
    Check.SCHEMA: "hashicorp/aws schema",
    Check.REFERENCES: "names resolve (validate)",
    Check.CHECKOV: "checkov + CKV_GEN_*",
    Check.RENDER: "gen render --check",
    Check.TERRAFORM: "terraform init/validate/plan",
}
