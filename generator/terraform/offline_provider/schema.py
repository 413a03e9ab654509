"""The vendored provider schemas, typed, as the offline provider serves them.

Reads ``generator/data/<name>_provider_schema.json.gz`` (written by
``scripts/extract_provider_schema.py``): every attribute has ``required`` / ``optional`` /
``computed`` and either a cty ``type`` (JSON form: ``"string"``, ``["list", "string"]``...)
or ``nested`` (a nested attribute: its nesting mode and attributes); every block has its
nesting mode and, for the recursive blocks the source folds, a ``ref`` to the enclosing
block it repeats. Where the source could not tell a type the data says ``"untyped": true``
and the type is ``"dynamic"``, which Terraform accepts for any value.

No gRPC here: :func:`to_proto` takes the generated protobuf module as an argument.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
PROVIDERS = ("aws", "time", "archive")
# ``alias`` is a Terraform meta-argument the cdktn bindings list among provider arguments.
_PROVIDER_META = frozenset({"alias"})
# Recursive blocks (wafv2 ``statement``) are served expanded this many levels deep.
_MAX_REF_DEPTH = 3

CtyType = Any  # JSON form of a cty type


@dataclass(frozen=True)
class Attribute:
    name: str
    required: bool
    optional: bool
    computed: bool
    type: CtyType = "dynamic"
    nesting: str | None = None  # set for a nested attribute ("single", "list", "set", "map")
    nested: Body | None = None

    @property
    def cty(self) -> CtyType:
        if self.nested is None:
            return self.type
        return _wrap(self.nesting or "single", self.nested.cty)


@dataclass(frozen=True)
class Block:
    name: str
    nesting: str  # "single", "list", "set", "map", "group"
    min_items: int
    max_items: int  # 0: unbounded
    body: Body

    @property
    def cty(self) -> CtyType:
        return _wrap(self.nesting, self.body.cty)


@dataclass(frozen=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: dict[str, Block] = field(default_factory=dict)

    @property
    def cty(self) -> CtyType:
        types = {name: a.cty for name, a in self.attributes.items()}
        types.update({name: b.cty for name, b in self.blocks.items()})
        return ["object", types]


@dataclass(frozen=True)
class Provider:
    name: str
    version: str
    config: Body
    resources: dict[str, Body]
    data_sources: dict[str, Body]


def _wrap(nesting: str, element: CtyType) -> CtyType:
    if nesting in ("single", "group"):
        return element
    return [nesting, element]


def _attribute(name: str, raw: dict[str, Any]) -> Attribute:
    nested = raw.get("nested")
    return Attribute(
        name=name,
        required=bool(raw.get("required")),
        optional=bool(raw.get("optional")),
        computed=bool(raw.get("computed")),
        type=raw.get("type", "dynamic"),
        nesting=nested["nesting"] if nested else None,
        nested=Body({k: _attribute(k, v) for k, v in sorted(nested["attributes"].items())})
        if nested
        else None,
    )


def _body(raw: dict[str, Any], root: dict[str, Any], depth: int = 0) -> Body:
    attributes = {k: _attribute(k, v) for k, v in sorted((raw.get("attributes") or {}).items())}
    blocks: dict[str, Block] = {}
    for name, b in sorted((raw.get("blocks") or {}).items()):
        target: dict[str, Any] = b
        if b.get("ref") is not None:
            if depth >= _MAX_REF_DEPTH:
                continue  # the real provider stops the recursion at some depth too
            target = root
            for step in b["ref"]:
                target = target["blocks"][step]
        nesting = b["nesting"]
        max_items = b.get("max_items")
        single = nesting == "single"
        blocks[name] = Block(
            name=name,
            nesting=nesting,
            min_items=0 if single else int(b.get("min_items") or 0),
            max_items=0 if single or max_items is None else int(max_items),
            body=_body(target, root, depth + (1 if b.get("ref") is not None else 0)),
        )
    return Body(attributes, blocks)


@cache
def load(name: str) -> Provider:
    """The vendored schema of hashicorp/``name`` (``aws``, ``time`` or ``archive``)."""
    if name not in PROVIDERS:
        raise ValueError(f"no vendored schema for provider {name!r}")
    with gzip.open(DATA_DIR / f"{name}_provider_schema.json.gz", "rb") as fh:
        raw = json.load(fh)
    config_raw = dict(raw.get("provider_config") or {})
    config_raw["attributes"] = {
        k: v for k, v in (config_raw.get("attributes") or {}).items() if k not in _PROVIDER_META
    }
    return Provider(
        name=name,
        version=str(raw["version"]),
        config=_body(config_raw, config_raw),
        resources={k: _body(v, v) for k, v in raw.get("resources", {}).items()},
        data_sources={k: _body(v, v) for k, v in raw.get("data_sources", {}).items()},
    )


# ---------------------------------------------------------------------------- protobuf

_NESTING = {"single": "SINGLE", "list": "LIST", "set": "SET", "map": "MAP", "group": "GROUP"}


def to_proto(pb: Any, body: Body) -> Any:
    """A ``tfplugin6.Schema`` (version 0) for ``body``; ``pb`` is the tfplugin6 pb2 module."""
    return pb.Schema(version=0, block=_block_proto(pb, body))


def _block_proto(pb: Any, body: Body) -> Any:
    return pb.Schema.Block(
        attributes=[_attribute_proto(pb, a) for a in body.attributes.values()],
        block_types=[
            pb.Schema.NestedBlock(
                type_name=b.name,
                block=_block_proto(pb, b.body),
                nesting=getattr(pb.Schema.NestedBlock.NestingMode, _NESTING[b.nesting]),
                min_items=b.min_items,
                max_items=b.max_items,
            )
            for b in body.blocks.values()
        ],
    )


def _attribute_proto(pb: Any, a: Attribute) -> Any:
    common = {
        "name": a.name,
        "required": a.required,
        "optional": a.optional,
        "computed": a.computed,
    }
    if a.nested is not None:
        nesting = getattr(pb.Schema.Object.NestingMode, _NESTING[a.nesting or "single"])
        return pb.Schema.Attribute(
            nested_type=pb.Schema.Object(
                attributes=[_attribute_proto(pb, x) for x in a.nested.attributes.values()],
                nesting=nesting,
            ),
            **common,
        )
    return pb.Schema.Attribute(type=json.dumps(a.type).encode(), **common)


def schema_response_bytes(pb: Any, name: str) -> bytes:
    """The serialized ``GetProviderSchema.Response`` of provider ``name`` (~1 s for aws)."""
    provider = load(name)
    response = pb.GetProviderSchema.Response(
        provider=to_proto(pb, provider.config),
        server_capabilities=pb.ServerCapabilities(
            plan_destroy=True, get_provider_schema_optional=True
        ),
    )
    for type_name, body in provider.resources.items():
        response.resource_schemas[type_name].CopyFrom(to_proto(pb, body))
    for type_name, body in provider.data_sources.items():
        response.data_source_schemas[type_name].CopyFrom(to_proto(pb, body))
    return bytes(response.SerializeToString())


def cached_schema_bytes(pb: Any, name: str, cache_dir: Path | None) -> bytes:
    """:func:`schema_response_bytes`, kept in ``cache_dir`` under a name that changes with
    the vendored file, so every provider process after the first only reads it."""
    if cache_dir is None:
        return schema_response_bytes(pb, name)
    source = DATA_DIR / f"{name}_provider_schema.json.gz"
    stat = source.stat()
    path = cache_dir / f"{name}-{stat.st_size}-{int(stat.st_mtime)}.schema.pb"
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = schema_response_bytes(pb, name)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError:
        pass  # a read-only cache only costs time
    return data


_NESTING_NAMES = {1: "single", 2: "list", 3: "set", 4: "map", 5: "group"}


def body_from_proto(block: Any) -> Body:
    """The :class:`Body` of a ``tfplugin6.Schema.Block`` (the form the provider plans with)."""
    return Body(
        {a.name: _attribute_from_proto(a) for a in block.attributes},
        {
            b.type_name: Block(
                name=b.type_name,
                nesting=_NESTING_NAMES.get(int(b.nesting), "list"),
                min_items=int(b.min_items),
                max_items=int(b.max_items),
                body=body_from_proto(b.block),
            )
            for b in block.block_types
        },
    )


def _attribute_from_proto(a: Any) -> Attribute:
    common = {
        "name": a.name,
        "required": a.required,
        "optional": a.optional,
        "computed": a.computed,
    }
    if a.HasField("nested_type"):
        nested = Body({x.name: _attribute_from_proto(x) for x in a.nested_type.attributes})
        return Attribute(
            nesting=_NESTING_NAMES.get(int(a.nested_type.nesting), "single"),
            nested=nested,
            **common,
        )
    return Attribute(type=json.loads(a.type) if a.type else "dynamic", **common)
