"""Offline check of references: what ``terraform validate`` reports about names, without init.

Every ``var.X``, ``local.X``, ``module.X.Y``, ``data.T.N.attr`` and ``T.N.attr`` in a module
must resolve to a declaration of that module: a variable, a local value, a module call (and
an output of the module it calls, when its source is a local directory), a data source or a
resource. Besides, per module call with a local source: every argument is a variable of
the called module and every variable without a default is given; per ``provider =`` /
``providers = {...}``: the provider configuration is declared. For ``aws_`` types, the
attribute after ``T.N`` is checked against the vendored provider schema, and an instance
key against ``count`` / ``for_each`` (``aws_x.y.id`` on a counted resource, ``aws_x.y[0]``
on a single one).

Names bound by ``for`` expressions, template ``for`` directives and ``dynamic`` blocks (their
label, or ``iterator``) are local to them; ``each``, ``count``, ``self``, ``path`` and
``terraform`` are Terraform's own. Expressions are never evaluated.

Input is python-hcl2 8 parse trees (``hcl2.parses``), whose nodes carry ``_meta.line``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2.rules.base import AttributeRule, BlockRule, BodyRule
from hcl2.rules.containers import ObjectElemKeyExpressionRule, ObjectElemKeyRule
from hcl2.rules.directives import TemplateForRule, TemplateForStartRule
from hcl2.rules.expressions import ExprTermRule
from hcl2.rules.for_expressions import ForIntroRule, ForObjectExprRule, ForTupleExprRule
from hcl2.rules.functions import ArgumentsRule, FunctionCallRule
from hcl2.rules.indexing import (
    AttrSplatExprTermRule,
    FullSplatExprTermRule,
    GetAttrExprTermRule,
    GetAttrRule,
    IndexExprTermRule,
    ShortIndexRule,
    SqbIndexRule,
)
from hcl2.rules.literal_rules import IdentifierRule
from hcl2.rules.strings import HeredocTemplateRule

from generator.findings import Finding
from generator.terraform.provider_schema import PROVIDER_PREFIX, ProviderSchema, load_schema

__all__ = [
    "ModuleCall",
    "ModuleDeclarations",
    "ReferenceFinding",
    "check_module",
    "collect_declarations",
    "local_module_dir",
    "module_calls",
]

_BUILTIN_ROOTS = frozenset({"each", "count", "self", "path", "terraform"})
_MODULE_META = frozenset({"source", "version", "providers", "count", "for_each", "depends_on"})
_SKIPPED_BLOCKS = frozenset({"terraform", "moved", "import", "removed", "check"})
_INTERPOLATION = re.compile(r"(?<![$%])\$\{([^{}]*)\}")


# One name that does not resolve.
ReferenceFinding = Finding


@dataclass(frozen=True)
class ModuleCall:
    name: str
    file: str
    line: int
    source: str
    repeated: bool
    arguments: Mapping[str, int]
    """Argument name -> line (meta-arguments excluded)."""


@dataclass
class ModuleDeclarations:
    """What one module (a directory of .tf files) declares."""

    directory: Path
    variables: dict[str, bool] = field(default_factory=dict)
    """Variable name -> required (no default)."""
    outputs: set[str] = field(default_factory=set)
    locals: set[str] = field(default_factory=set)
    resources: dict[tuple[str, str], bool] = field(default_factory=dict)
    """(type, name) -> repeated (has count or for_each)."""
    data: dict[tuple[str, str], bool] = field(default_factory=dict)
    calls: dict[str, ModuleCall] = field(default_factory=dict)
    providers: set[str] = field(default_factory=set)
    """Declared provider configurations: ``aws.alias`` (aliases and configuration_aliases)."""


# ------------------------------------------------------------------ tree helpers


def _line(node: Any) -> int:
    line = getattr(getattr(node, "_meta", None), "line", None)
    return line if isinstance(line, int) else 0


def _labels(block: BlockRule) -> list[str]:
    out = []
    for label in block.labels:
        text = str(label.serialize())
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1]
        out.append(text)
    return out


def _name(attribute: AttributeRule) -> str:
    return str(attribute.identifier.serialize())


def _items(body: BodyRule) -> Iterator[Any]:
    for child in body.children:
        if isinstance(child, AttributeRule | BlockRule):
            yield child


def _attributes(block: BlockRule) -> dict[str, AttributeRule]:
    return {_name(c): c for c in _items(block.body) if isinstance(c, AttributeRule)}


def _blocks(block: BlockRule) -> list[BlockRule]:
    return [c for c in _items(block.body) if isinstance(c, BlockRule)]


def _string_value(attribute: AttributeRule | None) -> str | None:
    if attribute is None:
        return None
    value = attribute.expression.serialize()
    if isinstance(value, str) and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        inner = value[1:-1]
        return None if "${" in inner else inner
    return None


def local_module_dir(source: str, caller_dir: Path) -> Path | None:
    """The directory of a local module source (``./x``, ``../x``); None for remote ones."""
    if source.startswith(("./", "../")) or source in (".", ".."):
        return (caller_dir / source).resolve()
    return None


# ------------------------------------------------------------------ declarations


def module_calls(trees: Mapping[str, Any]) -> list[ModuleCall]:
    """The ``module`` blocks of a module's files (``trees``: display name -> parse tree)."""
    calls = []
    for file, tree in trees.items():
        for block in _items(tree.body):
            if not isinstance(block, BlockRule):
                continue
            labels = _labels(block)
            if labels[0] != "module" or len(labels) != 2:
                continue
            attributes = _attributes(block)
            calls.append(
                ModuleCall(
                    name=labels[1],
                    file=file,
                    line=_line(block),
                    source=_string_value(attributes.get("source")) or "",
                    repeated="count" in attributes or "for_each" in attributes,
                    arguments={
                        name: _line(attr)
                        for name, attr in attributes.items()
                        if name not in _MODULE_META
                    },
                )
            )
    return calls


def collect_declarations(directory: Path, trees: Mapping[str, Any]) -> ModuleDeclarations:
    """Everything ``trees`` (the parsed .tf files of ``directory``) declares."""
    decls = ModuleDeclarations(directory=directory)
    for tree in trees.values():
        for block in _items(tree.body):
            if not isinstance(block, BlockRule):
                continue
            labels = _labels(block)
            kind = labels[0]
            attributes = _attributes(block)
            repeated = "count" in attributes or "for_each" in attributes
            if kind == "variable" and len(labels) == 2:
                decls.variables[labels[1]] = "default" not in attributes
            elif kind == "output" and len(labels) == 2:
                decls.outputs.add(labels[1])
            elif kind == "locals":
                decls.locals.update(attributes)
            elif kind == "resource" and len(labels) == 3:
                decls.resources[(labels[1], labels[2])] = repeated
            elif kind == "data" and len(labels) == 3:
                decls.data[(labels[1], labels[2])] = repeated
            elif kind == "provider" and len(labels) == 2:
                alias = _string_value(attributes.get("alias"))
                decls.providers.add(f"{labels[1]}.{alias}" if alias else labels[1])
            elif kind == "terraform":
                decls.providers |= _configuration_aliases(block)
    for call in module_calls(trees):
        decls.calls[call.name] = call
    return decls


def _configuration_aliases(terraform: BlockRule) -> set[str]:
    out: set[str] = set()
    for block in _blocks(terraform):
        if _labels(block)[0] != "required_providers":
            continue
        for name, attribute in _attributes(block).items():
            out.add(name)
            # python-hcl2 serializes the object as a Python dict: 'configuration_aliases':
            # ['${time.peer}']; HCL text form (configuration_aliases = [time.peer]) also read
            pattern = r"configuration_aliases'?\s*[=:]\s*\[([^\]]*)\]"
            for text in re.findall(pattern, _text(attribute)):
                out |= {
                    a.strip().strip("'\"").removeprefix("${").removesuffix("}")
                    for a in text.split(",")
                    if a.strip()
                }
    return out


def _text(node: Any) -> str:
    return str(node.serialize())


# ------------------------------------------------------------------ references


@dataclass(frozen=True)
class _Reference:
    root: str
    steps: tuple[tuple[str, str], ...]
    """("attr", name) | ("index", "") | ("splat", "")."""
    line: int

    def text(self) -> str:
        out = self.root
        for kind, value in self.steps:
            out += f".{value}" if kind == "attr" else "[*]" if kind == "splat" else "[...]"
        return out


def _traversal(node: Any) -> tuple[_Reference | None, list[Any]]:
    """A reference rooted at an identifier, and the sub-expressions (index keys) to walk.

    Returns (None, [node's base]) when the chain starts at something else (a function
    call, a parenthesised expression...), whose references the caller walks.
    """
    steps: list[tuple[str, str]] = []
    inner: list[Any] = []
    current = node
    while True:
        if isinstance(current, ExprTermRule):
            if current.parentheses:
                return None, [current, *inner]
            current = current.expression
        elif isinstance(current, GetAttrExprTermRule):
            steps.append(("attr", str(current.get_attr.identifier.serialize())))
            current = current.expr_term
        elif isinstance(current, IndexExprTermRule):
            steps.append(("index", ""))
            inner.append(current.children[1].index_expression)
            current = current.children[0]
        elif isinstance(current, AttrSplatExprTermRule | FullSplatExprTermRule):
            trailing: list[tuple[str, str]] = [("splat", "")]
            for accessor in current.attr_splat.get_attrs:
                if isinstance(accessor, GetAttrRule):
                    trailing.append(("attr", str(accessor.identifier.serialize())))
                elif isinstance(accessor, SqbIndexRule):
                    trailing.append(("index", ""))
                    inner.append(accessor.index_expression)
                elif isinstance(accessor, ShortIndexRule):
                    trailing.append(("index", ""))
            steps.extend(reversed(trailing))
            current = current.expr_term
        elif isinstance(current, IdentifierRule):
            return (
                _Reference(str(current.serialize()), tuple(reversed(steps)), _line(current)),
                inner,
            )
        else:
            return None, [current, *inner]


_TRAVERSALS = (
    GetAttrExprTermRule,
    IndexExprTermRule,
    AttrSplatExprTermRule,
    FullSplatExprTermRule,
)


def _references(node: Any, bound: frozenset[str], line: int = 0) -> Iterator[_Reference]:
    """Every reference in an expression, names in ``bound`` excluded."""
    if node is None or not hasattr(node, "children"):
        return
    if isinstance(node, (*_TRAVERSALS, IdentifierRule)):
        reference, rest = _traversal(node)
        if reference is not None:
            if reference.root not in bound:
                yield reference
            for sub in rest:
                yield from _references(sub, bound)
            return
        base, *subs = rest
        if base is not node:
            yield from _references(base, bound)
        else:  # pragma: no cover - defensive: a traversal must move
            yield from (r for c in node.children for r in _references(c, bound))
        for sub in subs:
            yield from _references(sub, bound)
        return
    if isinstance(node, FunctionCallRule):
        for child in node.children:
            if isinstance(child, ArgumentsRule):
                yield from _references(child, bound)
        return
    if isinstance(node, ObjectElemKeyRule):
        return
    if isinstance(node, ObjectElemKeyExpressionRule):
        key = node.expression
        if isinstance(key, ExprTermRule) and key.parentheses:
            yield from _references(key, bound)
        return
    if isinstance(node, ForTupleExprRule | ForObjectExprRule):
        intro = next(c for c in node.children if isinstance(c, ForIntroRule))
        yield from _references(intro.iterable, bound)
        names = {str(intro.first_iterator.serialize())}
        if intro.second_iterator is not None:
            names.add(str(intro.second_iterator.serialize()))
        inner = bound | names
        for child in node.children:
            if child is not intro:
                yield from _references(child, inner)
        return
    if isinstance(node, TemplateForRule):
        start = next(c for c in node.children if isinstance(c, TemplateForStartRule))
        yield from _references(start.collection, bound)
        names = {str(start.iterator.serialize())}
        if start.key_iterator is not None:
            names.add(str(start.key_iterator.serialize()))
        for child in node.children:
            if child is not start:
                yield from _references(child, bound | names)
        return
    if isinstance(node, HeredocTemplateRule):
        yield from _heredoc_references(node, bound)
        return
    for child in node.children:
        yield from _references(child, bound)


def _heredoc_references(node: HeredocTemplateRule, bound: frozenset[str]) -> Iterator[_Reference]:
    text = str(node.children[0].value) if node.children else ""
    base = _line(node)
    for match in _INTERPOLATION.finditer(text):
        offset = text.count("\n", 0, match.start())
        try:
            tree = hcl2.parses(f"x = {match.group(1).strip()}\n")
        except Exception:  # terraform reports a broken template itself
            continue
        for attribute in _items(tree.body):
            if isinstance(attribute, AttributeRule):
                for ref in _references(attribute.expression, bound):
                    yield _Reference(ref.root, ref.steps, base + offset)


# ------------------------------------------------------------------ checking


@dataclass
class _Checker:
    decls: ModuleDeclarations
    children: Mapping[str, ModuleDeclarations | None]
    """Module call name -> the called module's declarations (None: not a local module)."""
    schema: ProviderSchema
    findings: list[ReferenceFinding] = field(default_factory=list)
    file: str = ""

    def add(self, line: int, path: str, message: str, code: str) -> None:
        self.findings.append(ReferenceFinding(self.file, line, path, message, code))

    # ---------------------------------------------------------------- blocks

    def check_file(self, file: str, tree: Any) -> None:
        self.file = file
        for block in _items(tree.body):
            if not isinstance(block, BlockRule):
                continue
            labels = _labels(block)
            kind = labels[0]
            if kind in _SKIPPED_BLOCKS:
                continue
            address = ".".join(labels[1:]) if kind == "resource" else ".".join(labels)
            if kind == "variable":
                for child in _blocks(block):
                    self.check_body(child, frozenset(), f"{address}.validation")
            elif kind == "module":
                self.check_module_call(block, address)
            else:
                self.check_body(block, frozenset(), address, meta_provider=kind != "provider")

    def check_body(
        self, block: BlockRule, bound: frozenset[str], path: str, meta_provider: bool = False
    ) -> None:
        for item in _items(block.body):
            if isinstance(item, AttributeRule):
                name = _name(item)
                if meta_provider and name == "provider":
                    self.check_provider_ref(item, f"{path}.provider")
                    continue
                self.check_expression(item.expression, bound, f"{path}.{name}")
            else:
                self.check_nested(item, bound, path)

    def check_nested(self, block: BlockRule, bound: frozenset[str], path: str) -> None:
        labels = _labels(block)
        kind = labels[0]
        if kind == "lifecycle":
            for name, attribute in _attributes(block).items():
                if name != "ignore_changes":
                    self.check_expression(attribute.expression, bound, f"{path}.lifecycle.{name}")
            for child in _blocks(block):
                self.check_body(child, bound, f"{path}.lifecycle.{_labels(child)[0]}")
            return
        if kind == "dynamic" and len(labels) == 2:
            attributes = _attributes(block)
            dyn_path = f"{path}.dynamic.{labels[1]}"
            iterator = labels[1]
            for name, attribute in attributes.items():
                if name == "iterator":
                    iterator = str(attribute.expression.serialize())
                else:
                    self.check_expression(attribute.expression, bound, f"{dyn_path}.{name}")
            for child in _blocks(block):
                self.check_body(child, bound | {iterator}, f"{dyn_path}.{_labels(child)[0]}")
            return
        self.check_body(block, bound, f"{path}.{kind}")

    def check_module_call(self, block: BlockRule, address: str) -> None:
        name = _labels(block)[1]
        call = self.decls.calls[name]
        child = self.children.get(name)
        attributes = _attributes(block)
        for arg, attribute in attributes.items():
            arg_path = f"{address}.{arg}"
            if arg == "providers":
                self.check_providers_map(attribute, arg_path)
            elif arg not in ("source", "version"):
                self.check_expression(attribute.expression, frozenset(), arg_path)
        if child is None:
            return
        for arg, line in sorted(call.arguments.items()):
            if arg not in child.variables:
                self.add(
                    line,
                    f"{address}.{arg}",
                    f"unsupported argument {arg!r}: the module {call.source} declares no "
                    f"variable {arg!r}",
                    "unsupported-module-argument",
                )
        for variable, required in sorted(child.variables.items()):
            if required and variable not in call.arguments:
                self.add(
                    call.line,
                    f"{address}.{variable}",
                    f"missing required argument {variable!r}: the module {call.source} "
                    "declares it without a default",
                    "missing-module-argument",
                )
        for nested in _blocks(block):
            self.add(
                _line(nested),
                f"{address}.{_labels(nested)[0]}",
                f"a module call takes no blocks ({_labels(nested)[0]!r})",
                "unsupported-block",
            )

    # ---------------------------------------------------------------- providers

    def check_providers_map(self, attribute: AttributeRule, path: str) -> None:
        for ref in _references(attribute.expression, frozenset()):
            self.check_provider_name(ref, path)

    def check_provider_ref(self, attribute: AttributeRule, path: str) -> None:
        for ref in _references(attribute.expression, frozenset()):
            self.check_provider_name(ref, path)

    def check_provider_name(self, ref: _Reference, path: str) -> None:
        name = ref.text()
        if not ref.steps:
            return  # the default configuration of a provider always exists
        if name not in self.decls.providers:
            self.add(
                ref.line,
                path,
                f"reference to undeclared provider configuration {name} (no provider "
                f'"{ref.root}" block with alias = "{ref.steps[0][1]}")',
                "undeclared-provider",
            )

    # ---------------------------------------------------------------- expressions

    def check_expression(self, expression: Any, bound: frozenset[str], path: str) -> None:
        for ref in _references(expression, bound):
            self.check_reference(ref, path)

    def check_reference(self, ref: _Reference, path: str) -> None:
        root, steps = ref.root, ref.steps
        if root in _BUILTIN_ROOTS:
            return
        first = steps[0] if steps else None
        if root in ("var", "local", "module", "data") and (first is None or first[0] != "attr"):
            self.add(ref.line, path, f"invalid reference {ref.text()!r}", "invalid-reference")
            return
        assert first is not None or root not in ("var", "local", "module", "data")
        if root == "var":
            assert first is not None
            if first[1] not in self.decls.variables:
                self.add(
                    ref.line,
                    path,
                    f"reference to undeclared input variable {first[1]!r} ({ref.text()})",
                    "undeclared-variable",
                )
        elif root == "local":
            assert first is not None
            if first[1] not in self.decls.locals:
                self.add(
                    ref.line,
                    path,
                    f"reference to undeclared local value {first[1]!r} ({ref.text()})",
                    "undeclared-local",
                )
        elif root == "module":
            assert first is not None
            self.check_module_reference(ref, first[1], steps[1:], path)
        elif root == "data":
            rest = steps[1:]
            if not rest or rest[0][0] != "attr":
                self.add(ref.line, path, f"invalid reference {ref.text()!r}", "invalid-reference")
                return
            assert first is not None
            self.check_resource_reference(ref, "data", first[1], rest[0][1], rest[1:], path)
        else:
            if first is None or first[0] != "attr":
                self.add(
                    ref.line,
                    path,
                    f"reference to undeclared name {root!r} ({ref.text()}): a resource "
                    "reference needs a type and a name",
                    "invalid-reference",
                )
                return
            self.check_resource_reference(ref, "resource", root, first[1], steps[1:], path)

    def check_module_reference(
        self, ref: _Reference, name: str, rest: Sequence[tuple[str, str]], path: str
    ) -> None:
        call = self.decls.calls.get(name)
        if call is None:
            self.add(
                ref.line,
                path,
                f"reference to undeclared module {name!r} ({ref.text()})",
                "undeclared-module",
            )
            return
        child = self.children.get(name)
        outputs = [value for kind, value in rest if kind == "attr"]
        if child is None or not outputs:
            return
        if outputs[0] not in child.outputs:
            self.add(
                ref.line,
                path,
                f"module {name!r} ({call.source}) has no output {outputs[0]!r} ({ref.text()})",
                "unknown-module-output",
            )

    def check_resource_reference(
        self,
        ref: _Reference,
        kind: str,
        type_name: str,
        name: str,
        rest: Sequence[tuple[str, str]],
        path: str,
    ) -> None:
        table = self.decls.resources if kind == "resource" else self.decls.data
        noun = "resource" if kind == "resource" else "data source"
        address = f"{type_name}.{name}" if kind == "resource" else f"data.{type_name}.{name}"
        repeated = table.get((type_name, name))
        if repeated is None:
            self.add(
                ref.line,
                path,
                f"reference to undeclared {noun} {address}",
                f"undeclared-{'resource' if kind == 'resource' else 'data'}",
            )
            return
        if not rest:
            return
        step_kind, attribute = rest[0]
        if repeated and step_kind == "attr":
            self.add(
                ref.line,
                path,
                f"{address} has count or for_each: {ref.text()} must name an instance "
                f"({address}[...].{attribute})",
                "missing-instance-key",
            )
            return
        if not repeated and step_kind == "index":
            self.add(
                ref.line,
                path,
                f"{address} has neither count nor for_each: {ref.text()} must not index it",
                "unexpected-instance-key",
            )
            return
        if step_kind != "attr":
            attrs = [value for k, value in rest if k == "attr"]
            if not attrs:
                return
            attribute = attrs[0]
        self.check_attribute(ref, kind, type_name, address, attribute, path)

    def check_attribute(
        self, ref: _Reference, kind: str, type_name: str, address: str, attribute: str, path: str
    ) -> None:
        if not type_name.startswith(PROVIDER_PREFIX):
            return
        tables = self.schema.resources if kind == "resource" else self.schema.data_sources
        body = tables.get(type_name)
        if body is None:
            return  # an unknown type: the schema check reports it
        if attribute not in body.attributes and attribute not in body.blocks:
            self.add(
                ref.line,
                path,
                f"{address} has no attribute {attribute!r} ({type_name} in "
                f"{self.schema.provider} {self.schema.version})",
                "unsupported-attribute",
            )


def check_module(
    decls: ModuleDeclarations,
    trees: Mapping[str, Any],
    children: Mapping[str, ModuleDeclarations | None],
    schema: ProviderSchema | None = None,
) -> list[ReferenceFinding]:
    """Check every reference in one module's files (``trees``: display name -> parse tree).

    ``children`` maps each module call's name to the called module's declarations, or to
    None when its source is not a local directory (its outputs and variables are unknown).
    """
    checker = _Checker(decls, children, schema if schema is not None else load_schema())
    for file, tree in trees.items():
        checker.check_file(file, tree)
    return sorted(set(checker.findings))
