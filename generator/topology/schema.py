"""The JSON Schema of topology.yaml, exported from the model (for editors: completion and
checks as you type). gen itself validates with the model, which also checks the rules
across fields that a schema cannot express (docs/topology.md)."""

from __future__ import annotations

import json
from typing import Any

from generator.topology.model import Topology

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def topology_schema() -> dict[str, Any]:
    schema = Topology.model_json_schema()
    return {
        "$schema": DIALECT,
        **schema,
        "title": "gen topology.yaml",
        "description": "One environment of cross-account SageMaker, rendered to Terraform by "
        "`gen render`. Field reference: docs/topology.md in gen's repository.",
    }


def schema_text() -> str:
    return json.dumps(topology_schema(), indent=2, ensure_ascii=False) + "\n"
