"""Every resource of a stage is tagged Stage=<stage> beside Environment; resources shared by
the environment (key, bucket, registry, training and deployment roles) carry no Stage tag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
import pytest
from conftest import GOLDEN_DIRS, REPO

from generator.render.pipeline import read_environment


def _modules(env_dir: Path) -> dict[str, dict[str, Any]]:
    parsed = hcl2.loads((env_dir / "main.tf").read_text())
    return {k.strip('"'): v for item in parsed["module"] for k, v in item.items()}


def _owner(module: str, stages: list[str], env: str) -> str | None:
    for stage in stages:
        creds_role = f"role_{env}_{stage}_creds_".replace("-", "_")
        if module.startswith(creds_role):
            return stage
        prefixes = ("kms_", "model_", "endpoint_", "registry_credentials_", "role_")
        ident = stage.replace("-", "_")
        if any(module.startswith(f"{p}{ident}_") or module == f"{p}{ident}" for p in prefixes):
            return stage
    return None


@pytest.mark.parametrize("env_dir", GOLDEN_DIRS, ids=[d.name for d in GOLDEN_DIRS])
def test_stage_resources_carry_the_stage_tag(env_dir: Path) -> None:
    env = read_environment(env_dir)
    stages = [s.name for s in env.topology.stages]
    tagged = 0
    for name, body in _modules(env_dir).items():
        raw = body.get("tags")
        if not raw:
            continue
        tags = {k: str(v).strip('"') for k, v in raw.items()}
        assert tags["Environment"] == env.name
        owner = _owner(name, stages, env.name)
        if owner is None:
            assert "Stage" not in tags, f"{name} is not a stage's resource: {tags}"
        elif "Stage" in tags:
            assert tags["Stage"] == owner, name
            tagged += 1
        else:
            # Only a role that two stages share (two stages, one account and role name).
            assert name.startswith("role_"), f"{name} of stage {owner} has no Stage tag"
    assert tagged >= len(stages)


def test_reference_tags_each_stage() -> None:
    modules = _modules(REPO / "envs" / "reference")
    assert modules["endpoint_qa_churn_qa"]["tags"]["Stage"] == '"qa"'
    assert modules["endpoint_prod_churn_prod"]["tags"]["Stage"] == '"prod"'
    assert modules["role_prod_execution"]["tags"]["Stage"] == '"prod"'
    assert "Stage" not in modules["artifact_bucket"]["tags"]
