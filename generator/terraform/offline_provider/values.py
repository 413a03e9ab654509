"""Values on the wire (cty msgpack / JSON) and what the offline provider does with them.

Python form of a cty value: ``None`` (null), ``str``, ``int``/``float``, ``bool``, ``list``
(list, set or tuple), ``dict`` (map or object) and :data:`UNKNOWN`. Unknown values travel
as msgpack extension 0 (cty's encoding; extension 12 carries refinements and is read as
plain unknown).

Placeholders are deterministic: a function of the resource type, the attribute's path (block
indices left out) and the configured (non-computed) attributes of the object that holds it,
so the same configuration always applies to the same state and a second plan is empty.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import msgpack

from generator.terraform.offline_provider.schema import Attribute, Body


class _Unknown:
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
_UNKNOWN_EXT = msgpack.ExtType(0, b"\x00")


def _ext_hook(code: int, data: bytes) -> Any:
    if code in (0, 12):
        return UNKNOWN
    return msgpack.ExtType(code, data)


def decode(msgpack_bytes: bytes, json_bytes: bytes = b"") -> Any:
    """A ``DynamicValue``'s content (msgpack preferred, else JSON; empty: null)."""
    if msgpack_bytes:
        return msgpack.unpackb(msgpack_bytes, ext_hook=_ext_hook, raw=False, strict_map_key=False)
    if json_bytes:
        return json.loads(json_bytes)
    return None


def _default(value: Any) -> Any:
    if value is UNKNOWN:
        return _UNKNOWN_EXT
    raise TypeError(f"cannot encode {value!r}")


def encode(value: Any) -> bytes:
    return bytes(msgpack.packb(value, default=_default, use_bin_type=True))


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    return False


@dataclass
class Context:
    """What a placeholder may depend on besides the object: the provider configuration."""

    provider: str
    region: str = "us-east-1"
    account: str = "123456789012"


# ARN shapes: arn:aws:<service>:<region>:<account>:<resource>. The service is the resource
# type's second word (aws_sagemaker_model -> sagemaker); a few services name themselves
# differently in ARNs. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
# (aws_cloudwatch_log_group -> logs, aws_vpc_endpoint / aws_security_group -> ec2)
_ARN_SERVICE = {"cloudwatch": "logs", "vpc": "ec2", "security": "ec2"}
_GLOBAL_SERVICES = frozenset({"iam", "s3"})


def _arn(type_name: str, attr: str, hint: str, ctx: Context) -> str:
    words = type_name.split("_")
    service = _ARN_SERVICE.get(words[1], words[1]) if len(words) > 1 else "gen"
    kind = "-".join(words[2:]) or service
    if attr not in ("arn", "id"):
        kind = attr.removesuffix("_arn").replace("_", "-")
    if service == "s3":
        return f"arn:aws:s3:::{hint}"
    region = "" if service in _GLOBAL_SERVICES else ctx.region
    return f"arn:aws:{service}:{region}:{ctx.account}:{kind}/{hint}"


def _configured(body: Body, name: str) -> bool:
    attribute = body.attributes.get(name)
    return attribute is not None and not attribute.computed


def placeholder(
    type_name: str,
    attribute: Attribute,
    path: str,
    holder: dict[str, Any],
    body: Body,
    ctx: Context,
) -> Any:
    """The value ``attribute`` gets when the provider must invent it."""
    cty = attribute.cty
    if cty == "string":
        config = {k: v for k, v in holder.items() if _configured(body, k)}
        seed = json.dumps([type_name, path, config], sort_keys=True, default=repr)
        digest = hashlib.sha256(seed.encode()).hexdigest()[:12]
        name = holder.get("name") if isinstance(holder.get("name"), str) else None
        hint = name or f"gen-{digest}"
        leaf = attribute.name
        if leaf == "arn" or leaf.endswith("_arn"):
            return _arn(type_name, leaf, hint, ctx)
        if leaf == "region":
            return ctx.region
        if leaf in ("account_id", "owner_id"):
            return ctx.account
        if leaf == "id":
            return hint
        return f"{leaf}-{digest}"
    if cty == "number":
        return 0
    if cty == "bool":
        return False
    if isinstance(cty, list) and cty[0] in ("list", "set"):
        return []
    if isinstance(cty, list) and cty[0] == "map":
        return {}
    return None


def fill(
    type_name: str,
    body: Body,
    value: Any,
    ctx: Context,
    *,
    unknown_top_level: bool,
    planning: bool = False,
    path: str = "",
) -> Any:
    """``value`` with its computed nulls and unknowns filled.

    ``unknown_top_level`` (a plan that creates): the resource's own computed nulls become
    unknown. Everywhere else they get their placeholder, which stays unknown while the
    configuration that seeds it is unknown. ``planning``: unknowns are the configuration's
    own (a value from another resource) and stay; otherwise (apply, read) they were planned
    by this provider and get their placeholder.
    """
    if not isinstance(value, dict):
        return value
    out = dict(value)
    holder_unknown = contains_unknown(
        {k: v for k, v in value.items() if k in body.attributes and not body.attributes[k].computed}
    )
    for name, attribute in body.attributes.items():
        current = out.get(name)
        sub = f"{path}.{name}" if path else name
        fillable = current is None or (current is UNKNOWN and not planning)
        if attribute.computed and fillable:
            if (current is None and unknown_top_level and not path) or holder_unknown:
                out[name] = UNKNOWN
            else:
                out[name] = placeholder(type_name, attribute, sub, value, body, ctx)
        elif attribute.nested is not None and current is not None and current is not UNKNOWN:
            out[name] = _fill_each(
                type_name,
                attribute.nested,
                attribute.nesting or "single",
                current,
                ctx,
                sub,
                planning,
            )
    for name, block in body.blocks.items():
        current = out.get(name)
        if current is None or current is UNKNOWN:
            continue
        out[name] = _fill_each(
            type_name,
            block.body,
            block.nesting,
            current,
            ctx,
            f"{path}.{name}" if path else name,
            planning,
        )
    return out


def _fill_each(
    type_name: str,
    body: Body,
    nesting: str,
    value: Any,
    ctx: Context,
    path: str,
    planning: bool,
) -> Any:
    def one(v: Any) -> Any:
        return fill(type_name, body, v, ctx, unknown_top_level=False, planning=planning, path=path)

    if nesting in ("single", "group"):
        return one(value)
    if nesting == "map" and isinstance(value, dict):
        return {k: one(v) for k, v in value.items()}
    if isinstance(value, list):
        return [one(v) for v in value]
    return value


def null_object(body: Body) -> dict[str, Any]:
    """An object of ``body``'s type with every attribute null and no blocks."""
    out: dict[str, Any] = dict.fromkeys(body.attributes)
    for name, block in body.blocks.items():
        out[name] = (
            None if block.nesting in ("single", "group") else ({} if block.nesting == "map" else [])
        )
    return out
