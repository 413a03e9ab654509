"""Offline check of rendered Terraform against the hashicorp/aws provider schema.

What ``terraform validate`` reports about a resource's arguments and nested blocks, without
the provider binary: the schema of hashicorp/aws (the version in ``load_schema().version``)
is vendored, gzipped, as ``generator/terraform/data/aws_provider_schema.json.gz`` and produced by
``scripts/extract_provider_schema.py`` (see its docstring to regenerate it).

Only ``resource``, ``data`` and ``ephemeral`` blocks whose type starts with ``aws_`` and
``provider "aws"`` blocks are checked; other providers' types (``archive_file``,
``time_sleep``...) are skipped. Expressions are never evaluated: a value's type is not
checked, and the number of blocks is not checked for a block type that has a ``dynamic``
block (terraform cannot know it before the plan either).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

import hcl2
from hcl2.rules.base import AttributeRule, BlockRule

from generator.findings import Finding

SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "aws_provider_schema.json.gz"
PROVIDER_PREFIX = "aws_"

Nesting = Literal["list", "set", "single"]


@dataclass(frozen=True, slots=True)
class AttributeSchema:
    required: bool
    optional: bool
    computed: bool

    @property
    def configurable(self) -> bool:
        return self.required or self.optional


@dataclass(frozen=True, slots=True)
class BlockSchema:
    """The body of a resource, data source or nested block."""

    attributes: Mapping[str, AttributeSchema]
    blocks: Mapping[str, NestedBlockSchema]


@dataclass(frozen=True, slots=True)
class NestedBlockSchema:
    """A nested block type: how many may appear and what goes inside.

    ``opaque`` blocks were left untyped by the schema's source and are not looked into;
    ``ref`` names, from the resource's root, the enclosing block whose body this one
    repeats (recursive wafv2 statements); use ``ProviderSchema.body_of`` to resolve it.
    """

    nesting: Nesting
    min_items: int
    max_items: int | None
    body: BlockSchema
    opaque: bool = False
    ref: tuple[str, ...] | None = None


EMPTY_BODY = BlockSchema(attributes={}, blocks={})


@dataclass(frozen=True)
class ProviderSchema:
    provider: str
    version: str
    resources: Mapping[str, BlockSchema]
    data_sources: Mapping[str, BlockSchema]
    ephemeral_resources: Mapping[str, BlockSchema] = field(default_factory=dict)
    provider_config: BlockSchema = EMPTY_BODY

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProviderSchema:
        def table(key: str) -> dict[str, BlockSchema]:
            return {name: _body(raw) for name, raw in (data.get(key) or {}).items()}

        provider_raw = data.get("provider_config")
        return cls(
            provider=str(data["provider"]),
            version=str(data["version"]),
            resources=table("resources"),
            data_sources=table("data_sources"),
            ephemeral_resources=table("ephemeral_resources"),
            provider_config=_body(provider_raw) if provider_raw else EMPTY_BODY,
        )

    def body_of(self, nested: NestedBlockSchema, root: BlockSchema) -> BlockSchema:
        """The body of ``nested``, following its ``ref`` from ``root`` if it has one."""
        if nested.ref is None:
            return nested.body
        body = root
        for name in nested.ref:
            body = body.blocks[name].body
        return body


def _body(raw: Mapping[str, Any]) -> BlockSchema:
    attributes = {
        name: AttributeSchema(
            required=bool(a.get("required")),
            optional=bool(a.get("optional")),
            computed=bool(a.get("computed")),
        )
        for name, a in (raw.get("attributes") or {}).items()
    }
    blocks = {}
    for name, b in (raw.get("blocks") or {}).items():
        ref = b.get("ref")
        max_items = b.get("max_items")
        blocks[name] = NestedBlockSchema(
            nesting=cast(Nesting, b["nesting"]),
            min_items=int(b.get("min_items") or 0),
            max_items=None if max_items is None else int(max_items),
            body=EMPTY_BODY if ref is not None else _body(b),
            opaque=bool(b.get("opaque")),
            ref=None if ref is None else tuple(ref),
        )
    return BlockSchema(attributes=attributes, blocks=blocks)


@cache
def load_schema() -> ProviderSchema:
    """The vendored hashicorp/aws schema (read once per process)."""
    with gzip.open(SCHEMA_PATH, "rb") as fh:
        return ProviderSchema.from_json(json.load(fh))


def resource_types() -> frozenset[str]:
    """Every resource type of the vendored provider (``aws_s3_bucket``, ...)."""
    return frozenset(load_schema().resources)


def data_source_types() -> frozenset[str]:
    """Every data source type of the vendored provider (``aws_iam_policy_document``, ...)."""
    return frozenset(load_schema().data_sources)


# --------------------------------------------------------------------------- checking


# One thing ``terraform validate`` would reject, located in the rendered file. ``path`` is
# ``<type>.<name>`` then block and argument names, list/set blocks with their index among
# blocks of that type (``aws_sagemaker_model.this.primary_container[0].image_config[0].foo``)
# and ``dynamic.<type>.content`` for the content of a dynamic block.
SchemaFinding = Finding


# Meta-arguments terraform itself handles, by kind of top-level block.
_META_ATTRIBUTES: dict[str, frozenset[str]] = {
    "resource": frozenset({"count", "for_each", "depends_on", "provider"}),
    "data": frozenset({"count", "for_each", "depends_on", "provider"}),
    "ephemeral": frozenset({"count", "for_each", "depends_on", "provider"}),
    "provider": frozenset({"alias", "version"}),
}
_META_BLOCKS: dict[str, frozenset[str]] = {
    "resource": frozenset({"lifecycle", "provisioner", "connection"}),
    "data": frozenset({"lifecycle"}),
    "ephemeral": frozenset({"lifecycle"}),
    "provider": frozenset(),
}
_DYNAMIC_ATTRIBUTES = frozenset({"for_each", "iterator", "labels"})


@dataclass
class _Checker:
    schema: ProviderSchema
    file: str
    findings: list[SchemaFinding] = field(default_factory=list)

    def add(self, line: int, path: str, message: str, code: str) -> None:
        self.findings.append(SchemaFinding(self.file, line, path, message, code))

    # ----------------------------------------------------------------- top level

    def check_document(self, text: str) -> None:
        try:
            tree = hcl2.parses(text)
        except Exception as exc:  # lark raises several unrelated exception types
            line = getattr(exc, "line", None)
            self.add(
                line if isinstance(line, int) and line > 0 else 1,
                "",
                f"cannot parse HCL: {_first_line(str(exc))}",
                "parse-error",
            )
            return
        for node in _children(tree.body):
            if not isinstance(node, BlockRule):
                continue
            labels = _labels(node)
            kind = labels[0]
            if kind in ("resource", "data", "ephemeral") and len(labels) == 3:
                self.check_top_level(node, kind, labels[1], labels[2])
            elif kind == "provider" and len(labels) == 2 and labels[1] == "aws":
                self.check_body(
                    node,
                    self.schema.provider_config,
                    self.schema.provider_config,
                    "provider.aws",
                    _line(node),
                    "provider",
                )

    def check_top_level(self, node: Any, kind: str, type_name: str, name: str) -> None:
        if not type_name.startswith(PROVIDER_PREFIX):
            return
        table, noun = {
            "resource": (self.schema.resources, "resource type"),
            "data": (self.schema.data_sources, "data source"),
            "ephemeral": (self.schema.ephemeral_resources, "ephemeral resource type"),
        }[kind]
        path = f"{type_name}.{name}" if kind == "resource" else f"{kind}.{type_name}.{name}"
        body = table.get(type_name)
        if body is None:
            self.add(
                _line(node),
                path,
                f"the provider {self.schema.provider} {self.schema.version} does not "
                f"support {noun} {type_name!r}",
                f"unknown-{kind}-type",
            )
            return
        self.check_body(node, body, body, path, _line(node), kind)

    # ----------------------------------------------------------------- one body

    def check_body(
        self,
        node: Any,
        schema: BlockSchema,
        root: BlockSchema,
        path: str,
        line: int,
        meta_kind: str | None,
    ) -> None:
        """Check the body of block ``node`` (a resource, nested block or dynamic content)."""
        meta_attributes = _META_ATTRIBUTES.get(meta_kind or "", frozenset())
        meta_blocks = _META_BLOCKS.get(meta_kind or "", frozenset())
        seen: dict[str, int] = {}
        static_blocks: dict[str, list[Any]] = {}
        dynamic_types: set[str] = set()

        for child in _children(_body_of(node)):
            if isinstance(child, AttributeRule):
                self.check_attribute(child, schema, path, meta_attributes, seen)
            elif isinstance(child, BlockRule):
                labels = _labels(child)
                block_type = labels[0]
                if block_type == "dynamic":
                    self.check_dynamic(child, labels, schema, root, path, dynamic_types)
                elif block_type in schema.blocks:
                    static_blocks.setdefault(block_type, []).append(child)
                elif block_type in meta_blocks:
                    continue
                elif block_type in schema.attributes:
                    self.add(
                        _line(child),
                        f"{path}.{block_type}",
                        f"{block_type!r} is an argument, not a block: write {block_type} = ...",
                        "attribute-as-block",
                    )
                else:
                    self.add(
                        _line(child),
                        f"{path}.{block_type}",
                        f"unsupported block type {block_type!r}",
                        "unsupported-block",
                    )

        if meta_kind in _META_BLOCKS and "count" in seen and "for_each" in seen:
            self.add(
                seen["for_each"],
                f"{path}.for_each",
                'the "count" and "for_each" meta-arguments are mutually exclusive',
                "count-and-for-each",
            )

        for name, attribute in sorted(schema.attributes.items()):
            if attribute.required and name not in seen:
                self.add(
                    line,
                    f"{path}.{name}",
                    f"missing required argument {name!r}",
                    "missing-argument",
                )

        for block_type, nested in sorted(schema.blocks.items()):
            nodes = static_blocks.get(block_type, [])
            self.check_block_count(
                block_type, nested, nodes, block_type in dynamic_types, path, line
            )
            for index, child in enumerate(nodes):
                child_path = (
                    f"{path}.{block_type}"
                    if nested.nesting == "single"
                    else f"{path}.{block_type}[{index}]"
                )
                labels = _labels(child)
                if len(labels) > 1:
                    self.add(
                        _line(child),
                        child_path,
                        f"block {block_type!r} takes no labels",
                        "extraneous-label",
                    )
                if not nested.opaque:
                    self.check_body(
                        child,
                        self.schema.body_of(nested, root),
                        root,
                        child_path,
                        _line(child),
                        None,
                    )

    def check_attribute(
        self,
        node: Any,
        schema: BlockSchema,
        path: str,
        meta_attributes: frozenset[str],
        seen: dict[str, int],
    ) -> None:
        name = _attribute_name(node)
        line = _line(node)
        attr_path = f"{path}.{name}"
        if name in seen:
            self.add(
                line,
                attr_path,
                f"argument {name!r} is set twice (first on line {seen[name]})",
                "duplicate-argument",
            )
            return
        seen[name] = line
        attribute = schema.attributes.get(name)
        if attribute is not None:
            if not attribute.configurable:
                self.add(
                    line,
                    attr_path,
                    f"{name!r} is computed by the provider and cannot "
                    "be set (value for unconfigurable attribute)",
                    "unconfigurable-attribute",
                )
        elif name in meta_attributes:
            return
        elif name in schema.blocks:
            self.add(
                line,
                attr_path,
                f"{name!r} is a block, not an argument: write {name} {{ ... }}",
                "block-as-attribute",
            )
        else:
            self.add(line, attr_path, f"unsupported argument {name!r}", "unsupported-argument")

    def check_dynamic(
        self,
        node: Any,
        labels: Sequence[str],
        schema: BlockSchema,
        root: BlockSchema,
        path: str,
        dynamic_types: set[str],
    ) -> None:
        line = _line(node)
        if len(labels) != 2:
            self.add(
                line,
                f"{path}.dynamic",
                "a dynamic block takes exactly one label, the type of block it generates",
                "invalid-dynamic",
            )
            return
        block_type = labels[1]
        dyn_path = f"{path}.dynamic.{block_type}"
        nested = schema.blocks.get(block_type)
        if nested is None:
            if block_type in schema.attributes:
                self.add(
                    line,
                    dyn_path,
                    f"{block_type!r} is an argument, not a block: a "
                    "dynamic block can only generate blocks",
                    "attribute-as-block",
                )
            else:
                self.add(
                    line, dyn_path, f"unsupported block type {block_type!r}", "unsupported-block"
                )
            return
        dynamic_types.add(block_type)
        contents = []
        has_for_each = False
        for child in _children(_body_of(node)):
            if isinstance(child, AttributeRule):
                name = _attribute_name(child)
                has_for_each = has_for_each or name == "for_each"
                if name not in _DYNAMIC_ATTRIBUTES:
                    self.add(
                        _line(child),
                        f"{dyn_path}.{name}",
                        f"unsupported argument {name!r} in a dynamic block (only "
                        "for_each, iterator, labels and a content block)",
                        "unsupported-argument",
                    )
            elif isinstance(child, BlockRule):
                child_type = _labels(child)[0]
                if child_type == "content":
                    contents.append(child)
                else:
                    self.add(
                        _line(child),
                        f"{dyn_path}.{child_type}",
                        f"unsupported block type {child_type!r} in a dynamic block "
                        "(its body goes in a content block)",
                        "unsupported-block",
                    )
        if not has_for_each:
            self.add(
                line,
                f"{dyn_path}.for_each",
                "missing required argument 'for_each'",
                "missing-argument",
            )
        if len(contents) != 1:
            self.add(
                line,
                f"{dyn_path}.content",
                f"a dynamic block needs exactly one content block, found {len(contents)}",
                "invalid-dynamic",
            )
        for content in contents:
            if not nested.opaque:
                self.check_body(
                    content,
                    self.schema.body_of(nested, root),
                    root,
                    f"{dyn_path}.content",
                    _line(content),
                    None,
                )

    def check_block_count(
        self,
        block_type: str,
        nested: NestedBlockSchema,
        nodes: Sequence[Any],
        has_dynamic: bool,
        path: str,
        line: int,
    ) -> None:
        if has_dynamic:
            return  # the number of generated blocks is only known at plan time
        count = len(nodes)
        if count < nested.min_items:
            self.add(
                line,
                f"{path}.{block_type}",
                f"at least {nested.min_items} {block_type!r} block"
                f"{'s are' if nested.min_items > 1 else ' is'} required, found {count}",
                "insufficient-blocks",
            )
        limit = 1 if nested.nesting == "single" else nested.max_items
        if limit is not None and count > limit:
            extra = nodes[limit]
            extra_path = (
                f"{path}.{block_type}"
                if nested.nesting == "single"
                else f"{path}.{block_type}[{limit}]"
            )
            self.add(
                _line(extra),
                extra_path,
                f"no more than {limit} {block_type!r} block"
                f"{'s are' if limit > 1 else ' is'} allowed, found {count}",
                "too-many-blocks",
            )


def check_hcl_files(
    files: Mapping[str, str], schema: ProviderSchema | None = None
) -> list[SchemaFinding]:
    """Check every aws resource, data source and provider block of ``files``.

    ``files`` maps a display path to HCL text. Findings come back sorted by file, line
    and path; an empty list means terraform validate would accept what was checked.
    """
    provider = schema if schema is not None else load_schema()
    findings: list[SchemaFinding] = []
    for name, text in files.items():
        checker = _Checker(provider, name)
        checker.check_document(text)
        findings.extend(checker.findings)
    return sorted(set(findings))


# ------------------------------------------------------------------ python-hcl2 access
# python-hcl2 8.x parses to a tree of rule objects; we read them through these helpers
# only (its serialized dicts carry no line numbers).


def _children(body: Any) -> Iterator[Any]:
    yield from body.children


def _body_of(block: Any) -> Any:
    return block.body


def _labels(block: Any) -> list[str]:
    """A block's type then its labels, as plain strings (quotes removed)."""
    out = []
    for label in block.labels:
        raw = label.serialize()
        text = str(raw)
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1]
        out.append(text)
    return out


def _attribute_name(attribute: Any) -> str:
    return str(attribute.identifier.serialize())


def _line(node: Any) -> int:
    line = getattr(getattr(node, "_meta", None), "line", None)
    return line if isinstance(line, int) else 0


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return text
