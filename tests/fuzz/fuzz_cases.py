"""Seeded mutations of the golden topologies: the cases of the fuzz suite.

A case is an environment directory to build in a sandbox: topology.yaml (text or bytes, or a
file-system trick in its place), optionally a lock file, a manifest and files already there.
`case(seed)` is a pure function of the seed, so a failing case is reproduced by its number.
"""

from __future__ import annotations

import copy
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
GOLDENS = sorted(
    [REPO / "envs" / "reference", *(p.parent for p in (REPO / "tests" / "envs").glob("*/"))]
)
GOLDENS = [g for g in GOLDENS if (g / "topology.yaml").is_file()]

# Values that have broken gen or could: control and invisible characters, YAML look-alikes,
# HCL and policy syntax, wildcards, paths, huge and non-finite numbers, other partitions.
HOSTILE_STRINGS = [
    "",
    " ",
    "x" * 300,
    "a" * 70,
    "prod\n",
    "qa\n",
    "222222222222\n",
    "\n222222222222",
    "us-east-1\n",
    "models/\n",
    "\x1b[31mred",
    "nul\x00",
    "del\x7f",
    "bidi\u202eevil",
    "zero\u200bwidth",
    "*",
    "*/",
    "a*/",
    "?/",
    "models/*/",
    "../",
    "../../victim.txt",
    "/abs/path/x",
    "./",
    "${var.x}",
    "%{ if true }x%{ endif }",
    '"quoted"',
    "back\\slash",
    "arn:aws:iam::*:role/*",
    "arn:aws-cn:kms:cn-north-1:111111111111:key/abc",
    "cn-north-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "eu-isoe-west-1",
    "eu-west-1",
    "latest-approved",
    "001234567012",
    "12345678901",
    "1234567890123",
    "Ünïcödé",
    "emoji-\U0001f600",
    "aws:reserved",
    "TerraformDeployment",
    "SageMakerTrainingExecution",
    "ModelDeployPipeline",
    "SageMakerExecution",
    "port-abcdefghijklm",
    "sha256:" + "0" * 64,
    "# comment",
    "key: value",
    "- item",
    "null",
    "~",
    "yes",
    "on",
    ".inf",
    "0x10",
    "1e400",
]
HOSTILE_SCALARS: list[Any] = [
    *HOSTILE_STRINGS,
    0,
    -1,
    -5,
    1,
    2**31,
    2**63,
    10**30,
    0.0,
    -0.0,
    1e-300,
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    True,
    False,
    None,
    [],
    {},
    ["x"],
    {"k": "v"},
]

# YAML that a parser must survive: aliases (bombs, recursion), deep nesting, tags, merge
# keys, several documents, odd encodings.
ALIAS_BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
)
YAML_TRICKS: list[tuple[str, str]] = [
    ("alias bomb", ALIAS_BOMB + "\n"),
    ("recursive alias", "tags: &r {k: *r}\n"),
    ("recursive list alias", "bomb: &l [*l]\n"),
    ("deep flow nesting", "deep: " + "[" * 1000 + "]" * 1000 + "\n"),
    ("deep block nesting", "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "  " * 200 + "x\n"),
    ("deep flow mapping", "deep: " + "{a: " * 500 + "1" + "}" * 500 + "\n"),
    ("int tag", 'weird: !!int "abc"\n'),
    ("bool tag", 'weird: !!bool "maybe"\n'),
    ("float tag", 'weird: !!float "x"\n'),
    ("python tag", "weird: !!python/object:os.system [ls]\n"),
    ("local tag", "weird: !custom x\n"),
    ("binary tag", "weird: !!binary aGVsbG8=\n"),
    ("timestamp", "weird: 2026-13-45\n"),
    ("merge key", "<<: {environment: other}\n"),
    ("bool key", "yes: 1\n"),
    ("null key", "~: 1\n"),
    ("int key", "12: 1\n"),
    ("complex key", "? [a, b]\n: 1\n"),
    ("second document", "---\nversion: 1\n"),
    ("document end", "...\n"),
    ("tab indent", "x:\n\t- 1\n"),
    ("directive", "%YAML 1.1\n---\n"),
    ("huge int", "huge: " + "9" * 5000 + "\n"),
    ("sexagesimal", "sexa: 190:20:30\n"),
    ("octal account", "octal: 001234567012\n"),
    ("long line", "long: " + "x" * 200_000 + "\n"),
]

CONTROL_CHARS = ["\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u200b", "\ufeff", "\u2028", "\r"]

MANIFEST_TRICKS: list[Any] = [
    ["../victim.txt"],
    ["../../victim.txt"],
    ["topology.yaml"],
    ["topology.lock.json"],
    ["sub/main.tf"],
    ["."],
    [".."],
    [""],
    ["main.tf\n"],
    ["ABSOLUTE_VICTIM"],
    ["old.tf"],
    ["user.tf"],
    "[]",
    "null",
    "{}",
    '{"files": []}',
    '{"files": null}',
    '{"files": {"main.tf": 5}}',
    "not json",
    "[" * 100_000 + "]" * 100_000,
]

LOCK_TRICKS: list[Any] = [
    ("value", 3),
    ("value", 2**31 - 1),
    ("observed_at", "yesterday"),
    ("value", -5),
    ("value", 0),
    ("value", 10**30),
    ("value", "3"),
    ("value", "3\n"),
    ("value", True),
    ("value", None),
    ("value", 2.5),
    ("key", "churn\n"),
    ("key", "../x"),
    ("kind", "made_up"),
    ("source", "\x1b[31m"),
    ("observed_at", "\u202e"),
    ("raw", "[]"),
    ("raw", "null"),
    ("raw", "{}"),
    ("raw", "not json"),
    ("raw", '{"facts": [{"kind": "x"}]}'),
    ("raw", '{"facts": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ("raw", '{"version": 2, "facts": []}'),
]

FILE_TRICKS = [
    "topology is a directory",
    "topology is a fifo",
    "topology is a dangling symlink",
    "topology is a symlink loop",
    "topology is a symlink to a good file",
    "topology is empty",
    "topology is not utf-8",
    "topology starts with a BOM",
    "topology has CRLF line ends",
    "main.tf is a directory",
    "main.tf is a symlink to the victim",
    "main.tf is the user's",
    "lock is a directory",
    "manifest is a directory",
]


@dataclass
class Case:
    seed: int
    golden: str
    operator: str
    topology: bytes | None  # None: a file trick decides what is there
    lock: bytes | None = None
    manifest: bytes | None = None
    trick: str = ""
    render_first: bool = False  # render the unmutated golden first (a previous output)
    extra: dict[str, bytes] = field(default_factory=dict)
    command: str = "render"  # or "verify": read back tampered rendered files


# --- data mutations -------------------------------------------------------------------------

Path_ = tuple[str | int, ...]


def _paths(data: Any, prefix: Path_ = ()) -> list[Path_]:
    out: list[Path_] = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _get(data: Any, path: Path_) -> Any:
    for step in path:
        data = data[step]
    return data


def _set(data: Any, path: Path_, value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


def _delete(data: Any, path: Path_) -> None:
    parent = _get(data, path[:-1])
    del parent[path[-1]]


def _scalars(data: Any) -> list[Path_]:
    return [p for p in _paths(data) if not isinstance(_get(data, p), dict | list)]


def _dump(data: Any) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000).encode("utf-8")


def _mutate_data(rng: random.Random, data: Any) -> str:
    """Apply one data mutation in place; return its name."""
    paths = _paths(data)
    scalars = _scalars(data)
    kind = rng.choice(
        [
            "delete",
            "hostile value",
            "hostile value",
            "hostile value",
            "type swap",
            "copy value",
            "duplicate item",
            "unknown key",
            "hostile key",
            "role collision",
            "same account",
            "empty container",
        ]
    )
    if kind == "delete":
        _delete(data, rng.choice(paths))
    elif kind == "hostile value":
        _set(data, rng.choice(scalars), copy.deepcopy(rng.choice(HOSTILE_SCALARS)))
    elif kind == "type swap":
        path = rng.choice(paths)
        value = _get(data, path)
        if isinstance(value, dict):
            _set(data, path, list(value.values()))
        elif isinstance(value, list):
            _set(data, path, {str(i): v for i, v in enumerate(value)})
        else:
            _set(data, path, rng.choice([[value], {"value": value}, str(value), 1]))
    elif kind == "copy value":
        source, target = rng.choice(scalars), rng.choice(scalars)
        _set(data, target, copy.deepcopy(_get(data, source)))
    elif kind == "duplicate item":
        lists = [p for p in paths if isinstance(_get(data, p), list) and _get(data, p)]
        if lists:
            items = _get(data, rng.choice(lists))
            items.append(copy.deepcopy(rng.choice(items)))
    elif kind == "unknown key":
        dicts = [p for p in paths if isinstance(_get(data, p), dict)] + [()]
        _get(data, rng.choice(dicts))[rng.choice(["colour", "extra", "rol", "tag"])] = "x"
    elif kind == "hostile key":
        dicts = [p for p in paths if isinstance(_get(data, p), dict)] + [()]
        key = rng.choice([s for s in HOSTILE_STRINGS if s] + ["k\n", "\x1b[31m"])
        _get(data, rng.choice(dicts))[key] = rng.choice(["x", 1, None])
    elif kind == "role collision":
        roles = [p for p in scalars if p and str(p[-1]) in {"role", "execution_role"}]
        roles += [("terraform_role",)] if "terraform_role" in data else []
        if len(roles) >= 2:
            a, b = rng.sample(roles, 2)
            _set(data, a, _get(data, b))
    elif kind == "same account":
        accounts = [p for p in scalars if p and str(p[-1]) == "account"]
        if len(accounts) >= 2:
            a, b = rng.sample(accounts, 2)
            _set(data, a, _get(data, b))
    elif kind == "empty container":
        containers = [p for p in paths if isinstance(_get(data, p), dict | list)]
        if containers:
            path = rng.choice(containers)
            _set(data, path, type(_get(data, path))())
    return kind


# --- text mutations -------------------------------------------------------------------------


def _mutate_text(rng: random.Random, text: str) -> tuple[str, bytes]:
    kind = rng.choice(
        ["control char", "yaml trick", "truncate", "delete line", "duplicate line", "swap lines"]
    )
    lines = text.splitlines(keepends=True)
    if kind == "control char":
        at = rng.randrange(len(text))
        return kind, (text[:at] + rng.choice(CONTROL_CHARS) + text[at:]).encode("utf-8")
    if kind == "yaml trick":
        name, snippet = rng.choice(YAML_TRICKS)
        if rng.random() < 0.5:
            return f"yaml: {name}", (snippet + text).encode("utf-8")
        return f"yaml: {name}", (text + snippet).encode("utf-8")
    if kind == "truncate":
        return kind, text[: rng.randrange(len(text))].encode("utf-8")
    i = rng.randrange(len(lines))
    if kind == "delete line":
        del lines[i]
    elif kind == "duplicate line":
        lines.insert(i, lines[i])
    else:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return kind, "".join(lines).encode("utf-8")


def _lock_for(data: Any) -> tuple[Any, dict[str, Any]]:
    """The topology with its first model package on latest-approved, and a lock resolving it."""
    data = copy.deepcopy(data)
    group = None
    for stage in data.get("stages", []):
        for model in stage.get("models", {}).values():
            ref = model.get("model_package")
            if ref and group is None:
                ref["version"] = "latest-approved"
                group = ref["group"]
    fact = {
        "kind": "latest_approved_version",
        "key": group or "churn",
        "value": 3,
        "source": "sagemaker:ListModelPackages",
        "observed_at": "2026-01-01T00:00:00Z",
    }
    return data, {"version": 1, "generated_by": "gen discover", "facts": [fact]}


def case(seed: int) -> Case:
    """The fuzz case of `seed`: deterministic."""
    rng = random.Random(seed)
    golden = rng.choice(GOLDENS)
    text = (golden / "topology.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    name = golden.name
    roll = rng.random()
    if roll < 0.40:
        mutated = copy.deepcopy(data)
        ops = [_mutate_data(rng, mutated) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        return Case(seed, name, "data: " + ops[0], _dump(mutated))
    if roll < 0.65:
        op, body = _mutate_text(rng, text)
        return Case(seed, name, "text: " + op, body)
    if roll < 0.75:
        trick = rng.choice(MANIFEST_TRICKS)
        if isinstance(trick, list):
            manifest = json.dumps(
                {"generator": "gen", "files": {n: "0" * 64 for n in trick}}, indent=2
            )
        else:
            manifest = trick
        return Case(
            seed,
            name,
            "manifest",
            text.encode(),
            manifest=manifest.encode(),
            render_first=rng.random() < 0.5,
            extra={"old.tf": b"# Generated by gen from topology.yaml\n", "user.tf": b"# mine\n"},
        )
    if roll < 0.85:
        resolved, lock = _lock_for(data)
        where, value = rng.choice(LOCK_TRICKS)
        if where == "raw":
            lock_bytes = str(value).encode()
        else:
            lock["facts"][0][where] = value
            lock_bytes = json.dumps(lock).encode()
        return Case(seed, name, f"lock: {where}", _dump(resolved), lock=lock_bytes)
    if roll < 0.93:
        trick = rng.choice(FILE_TRICKS)
        return Case(seed, name, f"file: {trick}", text.encode(), trick=trick, render_first=True)
    op, main_tf = _tamper_rendered(rng, (golden / "main.tf").read_text(encoding="utf-8"))
    return Case(
        seed,
        name,
        f"rendered: {op}",
        None,
        render_first=True,
        extra={"main.tf": main_tf},
        command="verify",
    )


def _tamper_rendered(rng: random.Random, text: str) -> tuple[str, bytes]:
    """A rendered main.tf changed by hand or by an attacker, for `gen verify` to read back."""
    kind = rng.choice(
        [
            "control char",
            "truncate",
            "deep nesting",
            "wildcard action",
            "delete line",
            "invalid utf-8",
            "duplicate block",
            "not a literal",
            "huge string",
        ]
    )
    lines = text.splitlines(keepends=True)
    if kind == "control char":
        at = rng.randrange(len(text))
        return kind, (text[:at] + rng.choice(CONTROL_CHARS) + text[at:]).encode()
    if kind == "truncate":
        return kind, text[: rng.randrange(len(text))].encode()
    if kind == "deep nesting":
        return kind, (text + "locals {\n  x = " + "[" * 3000 + "]" * 3000 + "\n}\n").encode()
    if kind == "wildcard action":
        return kind, re.sub(r'"(s3|kms|sagemaker|ecr):[A-Za-z]+"', '"*"', text, count=1).encode()
    if kind == "delete line":
        del lines[rng.randrange(len(lines))]
        return kind, "".join(lines).encode()
    if kind == "invalid utf-8":
        return kind, text.encode()[:100] + b"\xff" + text.encode()[100:]
    if kind == "duplicate block":
        start = text.find("module ")
        return kind, (text + "\n" + text[start : text.find("\n}\n", start) + 3]).encode()
    if kind == "not a literal":
        return kind, text.replace("jsonencode(", 'templatefile("x", ', 1).encode()
    return kind, text.replace('"2012-10-17"', '"' + "x" * 1_000_000 + '"', 1).encode()
