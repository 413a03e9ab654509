"""Topology file -> validated `Topology`: shape (pydantic), cross-field rules, lock facts.

Every problem is collected and reported at once, each located by file, line and field path.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from generator.errors import Problem, TopologyError
from generator.topology.checks import check_topology
from generator.topology.lockfile import Lock
from generator.topology.model import LATEST_APPROVED, Strict, Topology
from generator.topology.salvage import named_in, salvage
from generator.topology.yaml_positions import Located, load_located

# What each name pattern means, said as a fix. Keyed by the regular expression in topology.py.
_PATTERN_HINTS = {
    "[0-9]{12}": 'an AWS account ID is 12 digits, quoted so YAML keeps it a string: "012345678901"',
    "A-Za-z0-9+=,.@_-]{1,64}": "an IAM role name: 1-64 of letters, digits and +=,.@_-",
    "a-z][a-z0-9-]{0,39}": "a short name: lowercase letters, digits and -, starting with a letter",
    "a-z][a-z0-9-]{0,23}": "lowercase letters, digits and -, starting with a letter, at most 24",
    "-gov|-iso": "an AWS region such as us-east-1",
    "(-*[a-zA-Z0-9]){0,62}": "a SageMaker name: letters, digits and -, at most 63, no leading -",
    "(?!aws/)": "a KMS alias without the alias/ prefix (and not under aws/)",
    ":kms:": "a KMS key ARN: arn:aws:kms:REGION:ACCOUNT:key/KEY-ID",
    "[._-][a-z0-9]+)*/)*": "an ECR repository name: lowercase, digits, . _ - and /",
    "(?!\\d+\\.\\d+": "an S3 bucket name: 3-63 lowercase letters, digits, . and -",
    "{0,1023}/\\Z": "a key prefix of letters, digits and !_.'()/- ending with / (without "
    "the /, models* would also match models-old/...; * would be a wildcard in the policies)",
    "(?<!/)\\Z": "an object key under the prefix, without a leading or trailing /",
    "sha256:[0-9a-f]{64}\\Z": "a digest: sha256: followed by 64 lowercase hex digits",
    "[aA][wW][sS]:": "a tag key: 1-128 letters, digits, spaces and _.:/=+-@, not starting aws:",
    "[\\w .:/=+@-]{0,256}": "a tag value: up to 256 letters, digits, spaces and _.:/=+-@",
    "^ml\\.": "a SageMaker instance type such as ml.m5.large",
    "^port-": "a Service Catalog portfolio ID: port-xxxxxxxxxxxxx",
    "^vpc-": "a VPC ID: vpc-0123456789abcdef0",
    "^subnet-": "a subnet ID: subnet-0123456789abcdef0",
    "^sg-": "a security group ID: sg-0123456789abcdef0",
    "A-Za-z0-9/_+=.@-]{1,512}": "a Secrets Manager secret name",
}


def _all_fields() -> list[str]:
    """Every field name of the format, for "did you mean" suggestions."""
    return sorted({name for model in Strict.__subclasses__() for name in model.model_fields})


_KNOWN_FIELDS = _all_fields()


def load_topology(text: str, file: str, lock: Lock | None = None) -> Topology:
    """Parse and validate a topology; raise TopologyError listing every problem."""
    located = load_located(text, file)
    if not isinstance(located.data, dict):
        raise TopologyError([located.problem((), "the topology must be a YAML mapping")])
    try:
        topology = Topology.model_validate(located.data)
    except ValidationError as exc:
        shape = list(_problems(exc, located))
        raise TopologyError(shape + _on_the_rest(located, lock)) from None
    problems = [located.problem(path, msg) for path, msg in check_topology(topology, located.data)]
    problems += [located.problem(path, msg) for path, msg in _unresolved(topology, lock)]
    if problems:
        raise TopologyError(problems)
    return topology


def _on_the_rest(located: Located, lock: Lock | None) -> list[Problem]:
    """The cross-field problems of the valid parts of a topology with shape errors, so that a
    user meets every problem in one pass (see salvage.py)."""
    found = salvage(located.data, _data_path)
    if found is None:
        return []
    topology, remap, aside, placeholders = found
    problems = []
    for path, message in [*check_topology(topology, located.data), *_unresolved(topology, lock)]:
        at = remap(path)
        if any(at[: len(a)] == a or a[: len(at)] == at for a in aside):
            continue  # about a part set aside: its shape error says it already
        if named_in(message, located.data, aside, placeholders):
            continue
        problems.append(located.problem(at, message))
    return problems


def _unresolved(t: Topology, lock: Lock | None) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for i, stage in enumerate(t.stages):
        for name, model in stage.models.items():
            ref = model.model_package
            if ref is None or ref.version != LATEST_APPROVED:
                continue
            if lock is None or lock.latest_approved(ref.group) is None:
                yield (
                    ("stages", i, "models", name, "model_package", "version"),
                    (
                        f"'{LATEST_APPROVED}' needs topology.lock.json with the newest approved "
                        f"version of '{ref.group}': run `gen discover` (or pin a version number)"
                    ),
                )
    js = t.jumpstart
    known = js is None or js.portfolio_id or (lock and lock.portfolio_id(js.account))
    if not known:
        yield (
            ("jumpstart",),
            (
                "no portfolio_id: set jumpstart.portfolio_id (port-...) or run `gen discover`, "
                "which finds the SageMaker portfolio and writes it to topology.lock.json"
            ),
        )


def _child(current: Any, step: str | int) -> tuple[bool, Any]:
    if isinstance(current, dict) and step in current:
        return True, current[step]
    if isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current):
        return True, current[step]
    return False, None


def _data_path(loc: tuple[str | int, ...], data: Any) -> tuple[str | int, ...]:
    """The error location with pydantic's union tags removed: only steps into the data."""
    path: list[str | int] = []
    current = data
    for step in loc:
        found, child = _child(current, step)
        if found:
            current = child
            path.append(step)
        elif isinstance(current, dict) and isinstance(step, str) and not path_is_tag(step):
            path.append(step)  # a missing or unknown key: still part of the path
            current = None
    return tuple(path)


def path_is_tag(step: str) -> bool:
    """The tags of the one tagged union in the format (topology.Image)."""
    return step in {"ecr", "private"}


def _problems(exc: ValidationError, located: Located) -> Iterator[Problem]:
    for error in exc.errors(include_url=False):
        path = _data_path(tuple(error["loc"]), located.data)
        yield located.problem(path, _message(error, located.written(path)))


def _shown(value: Any, limit: int = 80) -> str:
    """A value as a message quotes it: repr (escaped, one line), cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _message(error: ErrorDetails, written: str | None = None) -> str:
    kind, value = error["type"], error.get("input")
    loc = error["loc"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        close = difflib.get_close_matches(name, _KNOWN_FIELDS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown field {_shown(name)}{hint} (see docs/topology.md for the fields)"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_type" and isinstance(value, int) and not isinstance(value, bool):
        # Quote back exactly what the file says: YAML reads 001234567012 as an octal number,
        # so the value gen sees is not what the user wrote.
        text = written if written is not None else str(value)
        if "accounts" in loc or len(text) in (11, 12):
            if len(text) == 12 and text.isdigit():
                return (
                    f'account ID {text} must be quoted ("{text}"): unquoted, YAML reads a '
                    "number (and drops leading zeros)"
                )
            return f"expected a 12-digit account ID in quotes, got the number {text}"
        return f"expected a string, got the number {text}: quote it"
    if kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        for key, hint in _PATTERN_HINTS.items():
            if key in pattern:
                return f"{_shown(value)} is not valid: expected {hint}"
        return f"{_shown(value)} is not valid here (pattern {pattern})"
    if kind == "literal_error" and "version" in loc and len(loc) == 1:
        return f"unsupported format version {_shown(value)}: only version 1 exists"
    bound = error.get("ctx", {})
    if kind == "greater_than":
        return f"must be greater than {bound.get('gt'):g}, got {_shown(value)}"
    if kind == "greater_than_equal":
        return f"must be at least {bound.get('ge'):g}, got {_shown(value)}"
    if kind in {"less_than_equal", "less_than"}:
        return f"must be at most {bound.get('le', bound.get('lt'))}, got {_shown(value)}"
    if kind == "finite_number":
        return f"must be a finite number, got {_shown(value)}"
    if kind == "too_short":
        return f"needs at least {bound.get('min_length')} item(s)"
    if kind == "too_long":
        return f"takes at most {bound.get('max_length')} item(s)"
    if kind in {"int_type", "float_type", "bool_type"}:
        wanted = {
            "int_type": "a whole number",
            "float_type": "a number",
            "bool_type": "true or false",
        }
        return f"expected {wanted[kind]}, got {_shown(value)}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"expected a mapping (key: value), got {type(value).__name__} {_shown(value)}"
    if kind == "string_type":
        return f"expected text, got {type(value).__name__} {_shown(value)}"
    if kind in {"tuple_type", "list_type"}:
        return f"expected a list, got {type(value).__name__} {_shown(value)}"
    return f"{error['msg']} (got {_shown(value)})"
