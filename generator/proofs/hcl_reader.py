"""Read the policies back out of a rendered Terraform root: HCL text -> PolicyDocuments.

Only gen's module interface is read: the `policy`, `trust_policy` and `grants` inputs of the
iam_role, kms_key, artifact_bucket, ecr_repository_policy and model_package_group modules, and
the principal associations of the jumpstart module. A policy must be a literal: `jsonencode`
of an object written out in HCL, or a JSON string. The expression is evaluated from the parse
tree (python-hcl2's Lark tree), never by rewriting text; anything that is not a literal (a
reference, a function other than jsonencode, an interpolation) is an error with its line.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError

from generator.errors import InputError, Problem
from generator.iam.document import Document
from generator.proofs.documents import KmsGrant, PolicyDocuments, Source
from generator.proofs.verify import Association
from generator.render.output import root_directories
from generator.topology import textfile


class HclReadError(InputError):
    """A rendered file cannot be read back: not HCL, or a policy that is not a literal."""

    def __init__(self, file: str, line: int, column: int, message: str, path: str = "") -> None:
        # A message about one block attribute names it first: that is the problem's path.
        named = _NAMED.match(message)
        if not path and named:
            path, message = named.group(1), named.group(2)
        where = (file, max(line, 1), max(column, 1))
        super().__init__([Problem(*where, path or "(hcl)", message)])


_NAMED = re.compile(r"((?:module|provider|resource|data)\.[\w.\[\]\"-]+): (.+)", re.DOTALL)


class _NotLiteral(Exception):
    def __init__(self, line: int, column: int, what: str) -> None:
        super().__init__(what)
        self.line, self.column, self.what = line, column, what


_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _where(node: Tree[Any] | Token) -> tuple[int, int]:
    if isinstance(node, Token):
        return node.line or 0, node.column or 0
    meta = node.meta
    return getattr(meta, "line", 0), getattr(meta, "column", 0)


def _unescape(text: str, node: Token) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1) or m.group(2):
            return chr(int(m.group(1) or m.group(2), 16))
        ch = m.group(3)
        if ch in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[ch]
        raise _NotLiteral(*_where(node), f"unknown escape sequence \\{ch}")

    return _ESCAPE.sub(one, text)


def _children(node: Tree[Any]) -> list[Tree[Any] | Token]:
    """Children without line breaks and comments."""
    return [
        c
        for c in node.children
        if not (isinstance(c, Tree) and c.data == "new_line_or_comment")
        and not (isinstance(c, Token) and c.type == "NL_OR_COMMENT")
    ]


def _trees(node: Tree[Any]) -> list[Tree[Any]]:
    return [c for c in _children(node) if isinstance(c, Tree)]


def _string(node: Tree[Any]) -> str:
    out = []
    for part in _trees(node):
        for piece in part.children:
            if isinstance(piece, Token) and piece.type == "STRING_CHARS":
                out.append(_unescape(str(piece), piece))
            elif isinstance(piece, Token) and piece.type in (
                "ESCAPED_INTERPOLATION",
                "ESCAPED_DIRECTIVE",
            ):
                out.append(_unescape(str(piece)[1:], piece))  # $${ is a literal ${
            else:
                raise _NotLiteral(*_where(part), "a string with an interpolation or directive")
    return "".join(out)


def _heredoc(token: Token, trim: bool) -> str:
    lines = str(token).split("\n")
    body = lines[1:-2]  # the opening line, the closing marker and the final empty string
    if trim:
        indents = [len(x) - len(x.lstrip(" \t")) for x in body if x.strip()]
        cut = min(indents, default=0)
        body = [x[cut:] for x in body]
    text = "\n".join(body) + ("\n" if body else "")
    if re.search(r"(?<!\$)\$\{|(?<!%)%\{", text):
        raise _NotLiteral(*_where(token), "a heredoc with an interpolation or directive")
    return text.replace("$${", "${").replace("%%{", "%{")


def _key(node: Tree[Any]) -> str:
    """An object key: a bare name, a keyword, or a literal string."""
    inner = _children(node)
    while len(inner) == 1 and isinstance(inner[0], Tree) and inner[0].data == "expr_term":
        inner = _children(inner[0])
    if len(inner) == 1 and isinstance(inner[0], Tree):
        child = inner[0]
        if child.data in ("identifier", "keyword"):
            return str(child.children[0])
        if child.data == "string":
            return _string(child)
    if len(inner) == 1 and isinstance(inner[0], Token):
        return str(inner[0])
    raise _NotLiteral(*_where(node), "an object key that is not a name or a string")


def _describe(node: Tree[Any]) -> str:
    kinds = {
        "identifier": "a reference",
        "get_attr_expr_term": "a reference",
        "index_expr_term": "an index expression",
        "function_call": "a function call",
        "conditional": "a conditional expression",
        "binary_op": "an operator expression",
        "unary_op": "an operator expression",
        "for_tuple_expr": "a for expression",
        "for_object_expr": "a for expression",
        "attr_splat_expr_term": "a splat expression",
        "full_splat_expr_term": "a splat expression",
    }
    return kinds.get(str(node.data), f"an expression ({node.data})")


def literal(node: Tree[Any], *, jsonencode: bool = False) -> Any:
    """The Python value of a literal HCL expression. With `jsonencode`, a `jsonencode(x)`
    call is the value of x."""
    data = node.data
    if data == "expr_term":
        inner = _children(node)
        if len(inner) == 3 and isinstance(inner[0], Token) and inner[0].type == "LPAR":
            inner = [inner[1]]
        if len(inner) != 1:
            raise _NotLiteral(*_where(node), "an expression that is not a literal")
        child = inner[0]
        if isinstance(child, Token):
            raise _NotLiteral(*_where(child), f"an unexpected token {child!s}")
        return literal(child, jsonencode=jsonencode)
    if data == "string":
        return _string(node)
    if data == "int_lit":
        return int(str(node.children[0]))
    if data == "float_lit":
        return float(str(node.children[0]))
    if data == "literal_value":
        return {"true": True, "false": False, "null": None}[str(node.children[0])]
    if data == "tuple":
        return [literal(c) for c in _trees(node)]
    if data == "object":
        out: dict[str, Any] = {}
        for elem in _trees(node):
            key_node, value_node = _trees(elem)
            key = _key(key_node)
            if key in out:
                raise _NotLiteral(*_where(key_node), f"the key {key!r} appears twice")
            out[key] = literal(value_node)
        return out
    if data in ("heredoc_template", "heredoc_template_trim"):
        token = node.children[0]
        assert isinstance(token, Token)
        return _heredoc(token, trim=data == "heredoc_template_trim")
    if data == "function_call" and jsonencode:
        parts = _trees(node)
        name = str(parts[0].children[0]) if parts and parts[0].data == "identifier" else ""
        args = _trees(parts[1]) if len(parts) == 2 and parts[1].data == "arguments" else []
        if name == "jsonencode" and len(args) == 1:
            return literal(args[0])
        raise _NotLiteral(*_where(node), f"a call of {name or 'a function'}(), not jsonencode(...)")
    if data == "unary_op":
        op, operand = node.children[0], node.children[-1]
        if isinstance(op, Token) and op.type == "MINUS" and isinstance(operand, Tree):
            value = literal(operand)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return -value
    raise _NotLiteral(*_where(node), _describe(node))


def reference(node: Tree[Any]) -> str | None:
    """`aws.data_science` for a traversal of names; None for anything else."""
    inner = _children(node)
    if node.data == "expr_term" and len(inner) == 1 and isinstance(inner[0], Tree):
        return reference(inner[0])
    if node.data == "identifier":
        return str(node.children[0])
    if node.data == "get_attr_expr_term":
        base, attr = _trees(node)
        head = reference(base)
        names = [str(c.children[0]) for c in _trees(attr) if c.data == "identifier"]
        return f"{head}.{names[0]}" if head and len(names) == 1 else None
    return None


# --- blocks ----------------------------------------------------------------------------------


@dataclass
class _Block:
    type: str
    labels: tuple[str, ...]
    attributes: dict[str, Tree[Any]]
    blocks: list[_Block]
    line: int
    column: int


def _block(node: Tree[Any]) -> _Block:
    parts = _trees(node)
    head = [p for p in parts if p.data in ("identifier", "keyword", "literal_value", "string")]
    body = next(p for p in parts if p.data == "body")
    labels = tuple(_string(p) if p.data == "string" else str(p.children[0]) for p in head[1:])
    attributes, blocks = _body(body)
    line, column = _where(node)
    return _Block(str(head[0].children[0]), labels, attributes, blocks, line, column)


def _body(node: Tree[Any]) -> tuple[dict[str, Tree[Any]], list[_Block]]:
    attributes: dict[str, Tree[Any]] = {}
    blocks: list[_Block] = []
    for child in _trees(node):
        if child.data == "attribute":
            name_node, value = _trees(child)
            attributes[str(name_node.children[0])] = value
        elif child.data == "block":
            blocks.append(_block(child))
    return attributes, blocks


def parse_blocks(text: str, file: str) -> list[_Block]:
    try:
        tree = hcl2.parses_to_tree(text)
    except LarkError as exc:
        line = getattr(exc, "line", 0)
        column = getattr(exc, "column", 0)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HclReadError(file, line, column, f"not valid HCL: {first}") from None
    except RecursionError:
        raise HclReadError(file, 1, 1, "not valid HCL: nested too deeply") from None
    body = next(c for c in tree.children if isinstance(c, Tree) and c.data == "body")
    return _body(body)[1]


# --- the module interface --------------------------------------------------------------------


@dataclass
class HclPolicies:
    """What a rendered root says about access: its policy documents, and the Service Catalog
    portfolio associations (not IAM, listed for `gen explain` and checked by `gen verify`)."""

    documents: PolicyDocuments = field(default_factory=PolicyDocuments)
    associations: list[Association] = field(default_factory=list)


class _Reader:
    def __init__(self, training_key_alias: str) -> None:
        self.training_key_alias = training_key_alias
        self.result = HclPolicies()
        self.accounts: dict[str, str] = {}  # provider alias -> account ID
        self.default_accounts: dict[str, str] = {}  # root directory -> its provider's account

    def fail(self, file: str, line: int, column: int, message: str) -> HclReadError:
        return HclReadError(file, line, column, message)

    def value(self, file: str, block: _Block, name: str, default: Any = ...) -> Any:
        node = block.attributes.get(name)
        address = f"module.{block.labels[0]}" if block.labels else block.type
        if node is None:
            if default is ...:
                raise self.fail(file, block.line, block.column, f"{address}: no `{name}` input")
            return default
        try:
            return literal(node)
        except _NotLiteral as exc:
            raise self.fail(
                file, exc.line, exc.column, f"{address}.{name}: {exc.what} is not a literal value"
            ) from None

    def policy(self, file: str, block: _Block, name: str) -> tuple[Document, int] | None:
        node = block.attributes.get(name)
        if node is None:
            return None
        address = f"module.{block.labels[0]}.{name}"
        line, column = _where(node)
        try:
            value = literal(node, jsonencode=True)
        except _NotLiteral as exc:
            raise self.fail(
                file,
                exc.line,
                exc.column,
                f"{address}: {exc.what}; gen verify reads only literal policies "
                "(jsonencode({...}) or a JSON string)",
            ) from None
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise self.fail(file, line, column, f"{address}: not JSON ({exc})") from None
        if not isinstance(value, dict):
            raise self.fail(file, line, column, f"{address}: a policy must be an object")
        return value, line

    def providers(self, file: str, block: _Block) -> None:
        if block.type != "provider" or block.labels != ("aws",):
            return
        alias = self.value(file, block, "alias", None)
        ids = self.value(file, block, "allowed_account_ids", None)
        if isinstance(alias, str) and isinstance(ids, list) and len(ids) == 1:
            self.accounts[alias] = str(ids[0])
        elif alias is None and isinstance(ids, list) and len(ids) == 1:
            # A root of the per-account layout: one default provider for its directory.
            self.default_accounts[_root_of(file)] = str(ids[0])

    def account(self, file: str, block: _Block) -> str:
        node = block.attributes.get("providers")
        address = f"module.{block.labels[0]}"
        ref = None
        if node is not None:
            obj = _children(node)[0] if node.data == "expr_term" else node
            if isinstance(obj, Tree) and obj.data == "object":
                for elem in _trees(obj):
                    key_node, value_node = _trees(elem)
                    if _key(key_node) == "aws":
                        ref = reference(value_node)
        if ref is None and _root_of(file) in self.default_accounts:
            return self.default_accounts[_root_of(file)]
        if ref is None or not ref.startswith("aws."):
            raise self.fail(
                file, block.line, block.column, f"{address}: no `providers = {{ aws = aws.X }}`"
            )
        alias = ref.split(".", 1)[1]
        if alias not in self.accounts:
            raise self.fail(
                file,
                block.line,
                block.column,
                f"{address}: provider aws.{alias} has no `allowed_account_ids` with one account",
            )
        return self.accounts[alias]

    def module(self, file: str, block: _Block) -> None:
        if block.type != "module" or len(block.labels) != 1:
            return
        source = self.value(file, block, "source", "")
        kind = str(source).rstrip("/").rsplit("/", 1)[-1]
        handler = {
            "iam_role": self.iam_role,
            "kms_key": self.kms_key,
            "artifact_bucket": self.artifact_bucket,
            "ecr_repository_policy": self.ecr_repository_policy,
            "model_package_group": self.model_package_group,
            "jumpstart": self.jumpstart,
        }.get(kind)
        if handler is not None:
            handler(file, block, f"module.{block.labels[0]}")

    def _record(self, kind: str, name: str, file: str, line: int, address: str) -> None:
        self.result.documents.sources.setdefault((kind, name), Source(f"{file}:{line}", address))

    def iam_role(self, file: str, block: _Block, address: str) -> None:
        docs = self.result.documents
        arn = f"arn:aws:iam::{self.account(file, block)}:role/{self.value(file, block, 'name')}"
        policy = self.policy(file, block, "policy")
        if policy is not None:
            docs.identity.setdefault(arn, []).append(policy[0])
            self._record("identity", arn, file, policy[1], f"{address}.aws_iam_role_policy.this")
        trust = self.policy(file, block, "trust_policy")
        if trust is not None and self.value(file, block, "create_role", True) is not False:
            docs.trust[arn] = trust[0]
            self._record("trust", arn, file, trust[1], f"{address}.aws_iam_role.this[0]")

    def kms_key(self, file: str, block: _Block, address: str) -> None:
        docs = self.result.documents
        alias = str(self.value(file, block, "alias"))
        key = "training" if alias == self.training_key_alias else alias
        created = self.value(file, block, "create_key", True) is not False
        policy = self.policy(file, block, "policy")
        if policy is not None and created:
            docs.key[key] = policy[0]
            self._record("key", key, file, policy[1], f"{address}.aws_kms_key.this[0]")
        grants = self.value(file, block, "grants", {})
        if not isinstance(grants, dict):
            raise self.fail(file, block.line, block.column, f"{address}.grants: not a map")
        line = _where(block.attributes["grants"])[0] if "grants" in block.attributes else 0
        for name, grant in sorted(grants.items()):
            if not (
                isinstance(grant, dict)
                and isinstance(grant.get("grantee_principal"), str)
                and isinstance(grant.get("operations"), list)
            ):
                raise self.fail(
                    file,
                    line,
                    0,
                    f"{address}.grants[{name!r}]: needs grantee_principal and operations",
                )
            source = Source(f"{file}:{line}", f'{address}.aws_kms_grant.this["{name}"]')
            docs.grants.append(
                KmsGrant(
                    key,
                    name,
                    grant["grantee_principal"],
                    tuple(str(op) for op in grant["operations"]),
                    source,
                )
            )
            docs.sources.setdefault(("grants", name), source)

    def artifact_bucket(self, file: str, block: _Block, address: str) -> None:
        bucket = str(self.value(file, block, "bucket"))
        policy = self.policy(file, block, "policy")
        if policy is not None:
            self.result.documents.bucket[bucket] = policy[0]
            self._record("bucket", bucket, file, policy[1], f"{address}.aws_s3_bucket_policy.this")

    def ecr_repository_policy(self, file: str, block: _Block, address: str) -> None:
        repo = str(self.value(file, block, "repository"))
        policy = self.policy(file, block, "policy")
        if policy is not None:
            self.result.documents.ecr[repo] = policy[0]
            self._record("ecr", repo, file, policy[1], f"{address}.aws_ecr_repository_policy.this")

    def model_package_group(self, file: str, block: _Block, address: str) -> None:
        group = str(self.value(file, block, "name"))
        policy = self.policy(file, block, "policy")
        if policy is not None:
            self.result.documents.groups[group] = policy[0]
            self._record(
                "groups",
                group,
                file,
                policy[1],
                f"{address}.aws_sagemaker_model_package_group_policy.this",
            )

    def jumpstart(self, file: str, block: _Block, address: str) -> None:
        portfolio = str(self.value(file, block, "portfolio_id"))
        principals = self.value(file, block, "principal_arns", [])
        line = _where(block.attributes["principal_arns"])[0] if principals else block.line
        for arn in principals if isinstance(principals, list) else []:
            source = Source(
                f"{file}:{line}",
                f'{address}.aws_servicecatalog_principal_portfolio_association.this["{arn}"]',
            )
            self.result.associations.append(Association(portfolio, str(arn), source))


def read_hcl(files: Mapping[str, str], *, training_key_alias: str) -> HclPolicies:
    """The policies of a rendered root, from its files (display name -> text)."""
    reader = _Reader(training_key_alias)
    parsed = {name: parse_blocks(text, name) for name, text in sorted(files.items())}
    for name, blocks in parsed.items():
        for block in blocks:
            reader.providers(name, block)
    for name, blocks in parsed.items():
        for block in blocks:
            reader.module(name, block)
    return reader.result


def display_path(path: Path) -> str:
    return os.path.relpath(path) if path.is_absolute() else str(path)


def _root_of(file: str) -> str:
    return file.rsplit("/", 1)[0] if "/" in file else ""


def read_directory(directory: Path, *, training_key_alias: str) -> HclPolicies:
    """The policies of the Terraform root in `directory` (every *.tf file in it), or of
    every root of a per-account environment."""
    names = sorted(p for root in root_directories(directory) for p in root.glob("*.tf"))
    if not any(p.name == "main.tf" for p in names):
        shown = display_path(directory)
        raise HclReadError(
            f"{shown}/main.tf",
            1,
            1,
            f"not found; run `gen render {shown}` first (gen verify reads the rendered policies)",
            "(file)",
        )
    files = {}
    for path in names:
        shown = display_path(path)
        files[shown] = textfile.read_text(path, shown, textfile.MAX_TF_BYTES)
    return read_hcl(files, training_key_alias=training_key_alias)
