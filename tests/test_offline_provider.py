"""The offline provider's typed schemas and values (its protocol is exercised by real
Terraform in test_terraform.py and test_terraform_corpus.py)."""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

from conftest import REPO

from generator.terraform.offline_provider import schema
from generator.terraform.offline_provider.values import UNKNOWN, Context, decode, encode, fill

RENDERED = re.compile(r'^(resource|data) "(\w+)"', re.M)


def rendered_types() -> set[tuple[str, str]]:
    files = [
        *REPO.glob("modules/*/*.tf"),
        *REPO.glob("envs/*/*.tf"),
        *REPO.glob("tests/envs/*/*.tf"),
    ]
    return {(m[0], m[1]) for f in files for m in RENDERED.findall(f.read_text())}


def untyped(raw: dict[str, Any]) -> list[str]:
    out = []
    for name, a in (raw.get("attributes") or {}).items():
        if a.get("untyped"):
            out.append(name)
        if a.get("nested"):
            out += [f"{name}.{x}" for x in untyped(a["nested"])]
    for name, b in (raw.get("blocks") or {}).items():
        if b.get("opaque"):
            out.append(name)
        out += [f"{name}.{x}" for x in untyped(b)]
    return out


def test_every_type_gen_renders_is_fully_typed() -> None:
    raws = {}
    for name in schema.PROVIDERS:
        with gzip.open(schema.DATA_DIR / f"{name}_provider_schema.json.gz", "rb") as fh:
            raws[name] = json.load(fh)
    types = rendered_types()
    assert ("resource", "aws_sagemaker_model") in types
    assert ("data", "archive_file") in types
    for kind, type_name in types:
        provider = type_name.split("_", 1)[0]
        table = raws[provider]["resources" if kind == "resource" else "data_sources"]
        assert type_name in table, type_name
        assert untyped(table[type_name]) == [], type_name


def test_sagemaker_model_types() -> None:
    model = schema.load("aws").resources["aws_sagemaker_model"]
    assert model.attributes["arn"].cty == "string"
    assert model.attributes["arn"].computed and not model.attributes["arn"].optional
    assert model.attributes["tags"].cty == ["map", "string"]
    assert model.attributes["enable_network_isolation"].cty == "bool"
    primary = model.blocks["primary_container"]
    assert (primary.nesting, primary.max_items) == ("list", 1)
    vpc = model.blocks["vpc_config"].body
    assert vpc.attributes["subnets"].cty == ["set", "string"]


def test_time_and_archive_schemas() -> None:
    sleep = schema.load("time").resources["time_sleep"]
    assert sleep.attributes["create_duration"].cty == "string"
    assert sleep.attributes["triggers"].cty == ["map", "string"]
    archive = schema.load("archive").data_sources["archive_file"]
    assert archive.attributes["output_base64sha256"].computed
    assert archive.attributes["output_size"].cty == "number"


def test_plan_leaves_computed_unknown_and_apply_fills_them_the_same_way() -> None:
    body = schema.load("aws").resources["aws_sagemaker_model"]
    config: dict[str, Any] = {name: None for name in body.attributes}
    config.update(name="m1", execution_role_arn="arn:aws:iam::111111111111:role/r")
    config.update({name: [] for name in body.blocks})
    ctx = Context("aws", region="eu-west-1", account="222222222222")
    planned = fill("aws_sagemaker_model", body, config, ctx, unknown_top_level=True, planning=True)
    assert planned["arn"] is UNKNOWN and planned["name"] == "m1"
    assert planned["execution_role_arn"] == config["execution_role_arn"]
    wire = decode(encode(planned))
    assert wire["arn"] is UNKNOWN
    applied = fill("aws_sagemaker_model", body, wire, ctx, unknown_top_level=False)
    assert applied["arn"] == "arn:aws:sagemaker:eu-west-1:222222222222:model/m1"
    again = fill("aws_sagemaker_model", body, wire, ctx, unknown_top_level=False)
    assert again == applied
    assert UNKNOWN not in applied.values()
