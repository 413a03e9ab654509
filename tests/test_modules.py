"""The Terraform modules, as terraform-aws-modules writes them."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import hcl2
import pytest
from conftest import REPO

MODULES = sorted(p for p in (REPO / "modules").iterdir() if p.is_dir())


def _module_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "module_docs", REPO / "scripts" / "module_docs.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_are_modules() -> None:
    assert len(MODULES) == 9


@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_module_layout_types_and_descriptions(module: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (module / name).is_file(), f"{module.name}/{name} is missing"
    variables = hcl2.loads((module / "variables.tf").read_text()).get("variable", [])
    assert variables
    for item in variables:
        for name, body in item.items():
            assert body.get("type"), f"{module.name}: variable {name} has no type"
            assert body.get("description"), f"{module.name}: variable {name} has no description"
    outputs = hcl2.loads((module / "outputs.tf").read_text()).get("output", [])
    assert outputs
    for item in outputs:
        for name, body in item.items():
            assert body.get("description"), f"{module.name}: output {name} has no description"
    versions = hcl2.loads((module / "versions.tf").read_text())
    terraform = versions["terraform"][0]
    assert terraform["required_version"].strip('"').startswith(">=")
    aws = terraform["required_providers"][0]["aws"]
    assert aws["source"].strip('"') == "hashicorp/aws"
    assert aws["version"].strip('"').startswith(">= 6")


@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_module_readme_tables_are_current(module: Path) -> None:
    docs = _module_docs()
    readme = (module / "README.md").read_text()
    assert docs.updated(readme, module) == readme, "run python scripts/module_docs.py"
    assert "| Name | Description | Type | Default | Required |" in readme
