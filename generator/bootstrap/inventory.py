"""The rendered root -> what it manages in each account (pure).

Read from the blocks `render/root_module.py` built, so that what the bootstrap role may do
follows exactly what the root declares: the module calls, their provider (the account) and
their inputs (names, ARNs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator.render.hcl import Block, Expr
from generator.render.root_module import RootModule
from generator.topology.environment import Environment


@dataclass(frozen=True)
class Managed:
    """One module call of the root: its kind (module name), account, and inputs."""

    kind: str
    account: str
    name: str  # the module's name in the root
    inputs: Mapping[str, Any]

    def text(self, key: str) -> str:
        value = self.inputs[key]
        assert isinstance(value, str), (self.name, key)
        return value

    def flag(self, key: str, default: bool = True) -> bool:
        value = self.inputs.get(key, default)
        assert isinstance(value, bool), (self.name, key)
        return value

    def has(self, key: str) -> bool:
        """Whether the input is given (a literal or a reference to another module)."""
        return self.inputs.get(key) is not None


def _module(block: Block, accounts: Mapping[str, str]) -> Managed:
    head = dict(block.groups[0])
    kind = str(head["source"]).split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    provider = head["providers"]["aws"]
    assert isinstance(provider, Expr)
    account = accounts[provider.text.removeprefix("aws.")]
    inputs: dict[str, Any] = {}
    for group in block.groups[1:]:
        inputs.update(dict(group))
    return Managed(kind, account, block.labels[0], inputs)


def inventory(env: Environment, root: RootModule) -> list[Managed]:
    """Every module call of the root, in the root's order."""
    accounts = {env.provider_alias(a): a for a in env.account_ids()}
    return [_module(b, accounts) for b in root.blocks if b.type == "module"]


def by_account(env: Environment, items: list[Managed]) -> dict[str, list[Managed]]:
    """The items of each account of the topology (an account with none maps to [])."""
    out: dict[str, list[Managed]] = {a: [] for a in env.account_ids()}
    for item in items:
        out[item.account].append(item)
    return out
