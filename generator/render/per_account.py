"""`layout: per-account`: the blocks of the single root split into one root per (phase, account).

Terraform starts one provider process per provider configuration, and one root holds one
state and one lock: a root with an aliased `aws` provider per account does not scale to
hundreds of accounts. Here every root has exactly one `aws` provider and its own state, and
the roots are applied in phases:

1. `identities`: the roles (their trust and inline policies);
2. `resource-policies`: the key, bucket, repository and group policies that name those roles
   (and the JumpStart associations of existing roles);
3. `serving`: models, endpoint configurations and endpoints (with the stage's volume key and
   registry credentials), after a wait for IAM propagation.

A value one root needs from another is written as a literal: gen knows every ARN, so no root
reads another's state (`terraform_remote_state`). Dependencies across roots are the phase
order, written to `apply-order.json`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from generator.render.hcl import Block, Expr, JsonEncode
from generator.render.root_module import IAM_PROPAGATION, RootModule
from generator.topology.environment import Environment

APPLY_ORDER = "apply-order.json"
PHASES = ("identities", "resource-policies", "serving")
# The module a block calls -> its phase.
_PHASE_OF_MODULE = {
    "iam_role": "identities",
    "artifact_bucket": "resource-policies",
    "ecr_repository_policy": "resource-policies",
    "model_package_group": "resource-policies",
    "jumpstart": "resource-policies",
    "registry_credentials": "serving",
    "sagemaker_model": "serving",
    "sagemaker_endpoint": "serving",
}
_MODULE_REF = re.compile(r"^module\.([A-Za-z0-9_]+)")


@dataclass
class AccountRoot:
    """One root of the per-account layout."""

    phase: str
    account_name: str
    account_id: str
    blocks: list[Block] = field(default_factory=list)
    uses_archive: bool = False
    uses_time: bool = False

    @property
    def directory(self) -> str:
        return f"{self.phase}/{self.account_name}"


def nested_modules_source(modules_source: str) -> str:
    """Module sources for roots two directories below the environment: a relative local
    path gets `../../` in front; a remote source (git::, https://, a registry) stays."""
    if modules_source.startswith("."):
        return f"../../{modules_source}"
    return modules_source


def _module_kind(block: Block) -> str:
    source = dict(block.groups[0]).get("source") if block.groups else None
    return str(source).split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] if source else ""


def _phase(block: Block) -> str:
    if block.type != "module":
        return "serving"  # time_sleep.iam_propagation
    kind = _module_kind(block)
    if kind == "kms_key":
        # The training output key's policy names roles; a stage's volume key serves endpoints.
        return "resource-policies" if block.labels[0] == "kms_training_output" else "serving"
    return _PHASE_OF_MODULE[kind]


def _account_alias(block: Block) -> str:
    providers = dict(block.groups[0]).get("providers", {})
    aws = providers.get("aws")
    assert isinstance(aws, Expr)
    return aws.text.split(".", 1)[1]


def _rewrite(value: Any, local: set[str], literals: Mapping[str, Any]) -> Any:
    """A value with every reference to a module of another root replaced by its literal."""
    if isinstance(value, Expr):
        m = _MODULE_REF.match(value.text)
        if m and m.group(1) not in local:
            if value.text not in literals:
                raise ValueError(f"no literal for {value.text} outside its root")
            return literals[value.text]
        return value
    if isinstance(value, JsonEncode):
        return value
    if isinstance(value, Mapping):
        return {k: _rewrite(v, local, literals) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, local, literals) for v in value]
    return value


def split_roots(env: Environment, root: RootModule) -> list[AccountRoot]:
    """The per-account roots of an environment, in phase order, then account order."""
    names = {env.provider_alias(a): (env.account_names(a)[0], a) for a in env.account_ids()}
    placed: list[tuple[Block, str, str]] = []  # block, phase, alias
    stage_aliases = {env.provider_alias(env.stage_account(s)) for s in env.topology.stages}
    for block in root.blocks:
        if block.type == "module":
            placed.append((block, _phase(block), _account_alias(block)))
    roots: dict[tuple[str, str], AccountRoot] = {}
    for block, phase, alias in placed:
        account_name, account_id = names[alias]
        roots.setdefault(
            (phase, alias), AccountRoot(phase, account_name, account_id)
        ).blocks.append(block)
    local_names = {key: {b.labels[0] for b in r.blocks} for key, r in roots.items()}
    literals = {
        "module.kms_training_output.key_arn": training_key_literal(env),
    }
    out: list[AccountRoot] = []
    for (phase, alias), r in sorted(roots.items(), key=lambda kv: _order(kv[0], names)):
        local = local_names[(phase, alias)]
        blocks = []
        has_models = any(_module_kind(b) == "sagemaker_model" for b in r.blocks)
        if has_models and alias in stage_aliases:
            r.uses_time = True
            blocks.append(
                Block(
                    "resource",
                    ("time_sleep", "iam_propagation"),
                    ((("create_duration", IAM_PROPAGATION),),),
                    comment="IAM and resource policies (phases identities and resource-policies) "
                    "are eventually\nconsistent: CreateModel validates the role's access at "
                    "once, so models wait for them to propagate.",
                )
            )
            local.add("iam_propagation")
        for block in r.blocks:
            blocks.append(_localise(block, local, literals))
            if _module_kind(block) == "registry_credentials":
                r.uses_archive = True
        r.blocks = blocks
        out.append(r)
    return out


def _order(key: tuple[str, str], names: Mapping[str, tuple[str, str]]) -> tuple[int, str]:
    phase, alias = key
    return PHASES.index(phase), names[alias][0]


def _localise(block: Block, local: set[str], literals: Mapping[str, Any]) -> Block:
    """One block in its own root: the default provider, references to other roots as
    literals, dependencies on other roots left to the phase order."""
    groups = []
    for group in block.groups:
        items: list[tuple[str, Any]] = []
        for key, value in group:
            if key == "providers":
                rest = {k: v for k, v in value.items() if k != "aws"}
                if rest:
                    items.append((key, rest))
                continue
            if key == "depends_on":
                deps = [d for d in value if _depends_locally(d, local)]
                if deps:
                    items.append((key, deps))
                continue
            items.append((key, _rewrite(value, local, literals)))
        if items:
            groups.append(tuple(items))
    return replace(block, groups=tuple(groups))


def _depends_locally(dep: Expr, local: set[str]) -> bool:
    text = dep.text
    if text.startswith("module."):
        return text.split(".")[1] in local
    if text.startswith("time_sleep."):
        return "iam_propagation" in local
    return True


def training_key_literal(env: Environment) -> str:
    """The training output key as another root names it: its ARN when known (given in the
    topology, or pinned by `gen discover` in topology.lock.json); before the key exists, its
    alias ARN (re-render after `gen discover` to pin the key ARN)."""
    known = env.key_arn_in_policies
    if not known.endswith("/*"):
        return known
    alias = env.topology.training.kms_key.alias
    return f"arn:aws:kms:{env.region}:{env.training_account}:alias/{alias}"


def apply_order(roots: list[AccountRoot]) -> str:
    phases = [
        {"phase": phase, "roots": [r.directory for r in roots if r.phase == phase]}
        for phase in PHASES
    ]
    data = {
        "generated_by": "gen render: do not edit by hand",
        "note": "apply the phases in order; the roots of one phase are independent "
        "(`gen apply` runs them in parallel)",
        "phases": [p for p in phases if p["roots"]],
    }
    return json.dumps(data, indent=2) + "\n"
