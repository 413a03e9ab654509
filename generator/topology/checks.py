"""Rules across fields of a structurally valid topology: every reference resolves, ..."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from generator.topology.model import EcrImage, PrivateImage, Topology

Finding = tuple[tuple[str | int, ...], str]


def check_topology(t: Topology, raw: Any) -> list[Finding]:
    """Every cross-field problem, as (path, message); empty when the topology is coherent."""
    return [
        *_training(t),
        *_registry(t),
        *_stages(t, raw),
        *_jumpstart(t),
        *_state(t),
        *_roles(t),
        *_organization(t),
    ]


def _roles(t: Topology) -> Iterator[Finding]:
    """A role name does one job per account: gen writes one trust policy per role, so a role
    with two jobs would keep only one of them; and terraform_role, which gen assumes and does
    not manage, must not be one of the roles gen writes. IAM role names are unique per account,
    case-insensitively (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
    """
    jobs: list[tuple[tuple[str | int, ...], str, str, str]] = [
        (("training", "role"), t.training.account, t.training.role, "the training role"),
        (("deployment", "role"), t.deployment.account, t.deployment.role, "the deployment role"),
    ]
    for i, stage in enumerate(t.stages):
        jobs.append(
            ((("stages", i, "execution_role")), stage.account, stage.execution_role, "execution")
        )
    if t.jumpstart is not None:
        for j, role in enumerate(t.jumpstart.custom_execution_roles):
            jobs.append(
                (
                    ("jumpstart", "custom_execution_roles", j),
                    t.jumpstart.account,
                    role,
                    "a JumpStart role",
                )
            )
    first: dict[tuple[str, str], tuple[tuple[str | int, ...], str]] = {}
    for path, account, role, job in jobs:
        if role.lower() == t.terraform_role.lower():
            yield path, f"'{role}' is terraform_role, which gen assumes and does not manage"
            continue
        if account not in t.accounts:
            continue
        key = (t.accounts[account], role.lower())
        if key in first and first[key][1] != job:
            where = _dotted(first[key][0])
            yield path, f"'{role}' is also {where} in the same account: one role, one job"
            continue
        first.setdefault(key, (path, job))


def _dotted(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _organization(t: Topology) -> Iterator[Finding]:
    org = t.organization
    if org is None:
        return
    for i, path in enumerate(org.workload_ou_paths):
        if not path.startswith(f"{org.id}/"):
            yield (
                ("organization", "workload_ou_paths", i),
                f"the path is in organisation {path.split('/', 1)[0]}, not in "
                f"organization.id {org.id}",
            )
    yield from _unique(("organization", "workload_ou_paths"), org.workload_ou_paths)


def _account_ref(t: Topology, path: tuple[str | int, ...], name: str) -> Iterator[Finding]:
    if name not in t.accounts:
        known = ", ".join(sorted(t.accounts))
        yield path, f"unknown account '{name}'; accounts defines: {known}"


def _training(t: Topology) -> Iterator[Finding]:
    yield from _account_ref(t, ("training", "account"), t.training.account)
    arn = t.training.kms_key.arn
    if arn and t.training.account in t.accounts:
        _, _, _, region, account, _ = arn.split(":", 5)
        if account != t.accounts[t.training.account]:
            yield (
                ("training", "kms_key", "arn"),
                f"the key is in account {account}, but training.account "
                f"'{t.training.account}' is {t.accounts[t.training.account]}",
            )
        if region != t.region:
            yield (("training", "kms_key", "arn"), f"the key is in {region}, not in {t.region}")
    yield from _unique(("training", "image_repositories"), t.training.image_repositories)


def _registry(t: Topology) -> Iterator[Finding]:
    yield from _account_ref(t, ("registry", "account"), t.registry.account)
    bucket = t.registry.artifact_bucket
    if bucket.account is not None:
        yield from _account_ref(t, ("registry", "artifact_bucket", "account"), bucket.account)
    yield from _unique(("registry", "model_package_groups"), t.registry.model_package_groups)
    yield from _account_ref(t, ("deployment", "account"), t.deployment.account)


def _stages(t: Topology, raw: Any) -> Iterator[Finding]:
    seen_stage: dict[str, int] = {}
    groups = set(t.registry.model_package_groups)
    repos = set(t.training.image_repositories)
    # SageMaker names are per account and region: two stages on one account ID share them.
    endpoint_owner: dict[tuple[str, str], str] = {}
    for i, stage in enumerate(t.stages):
        base: tuple[str | int, ...] = ("stages", i)
        if stage.name in seen_stage:
            yield (
                (*base, "name"),
                f"stage '{stage.name}' is already defined at stages[{seen_stage[stage.name]}]",
            )
        seen_stage.setdefault(stage.name, i)
        yield from _account_ref(t, (*base, "account"), stage.account)
        account_id = t.accounts.get(stage.account, stage.account)
        for model_name, model in stage.models.items():
            mpath = (*base, "models", model_name)
            sources = [s for s in ("model_package", "image") if getattr(model, s) is not None]
            if len(sources) != 1:
                yield (
                    mpath,
                    (
                        "a model needs exactly one source: model_package {group, version} "
                        "or image {repository, digest} / {uri, credentials_secret}"
                        + (f"; it has {' and '.join(sources)}" if sources else "")
                    ),
                )
            if model.model_package is not None:
                if model.model_package.group not in groups:
                    yield (
                        (*mpath, "model_package", "group"),
                        (
                            f"unknown model package group '{model.model_package.group}'; "
                            f"registry.model_package_groups defines: {', '.join(sorted(groups))}"
                        ),
                    )
                if model.model_data is not None:
                    yield (
                        (*mpath, "model_data"),
                        ("model_data goes with image only: a package brings its own artifact"),
                    )
            if model.image is not None:
                if model.model_data is None:
                    yield (
                        (*mpath, "image"),
                        (
                            "an image model needs model_data: the artifact key under "
                            "registry.artifact_bucket.prefix"
                        ),
                    )
                if isinstance(model.image, EcrImage) and model.image.repository not in repos:
                    yield (
                        (*mpath, "image", "repository"),
                        (
                            f"repository '{model.image.repository}' is not in "
                            "training.image_repositories (each listed repository gets the policy "
                            "that lets this stage pull from it)"
                        ),
                    )
                if isinstance(model.image, PrivateImage) and stage.network is None:
                    yield (
                        (*mpath, "image", "uri"),
                        (
                            f"a private registry image needs a network: add stages[{i}].network "
                            "(vpc_id, subnet_ids, security_group_ids) from which the registry is "
                            "reachable"
                        ),
                    )
        for endpoint_name, endpoint in stage.endpoints.items():
            epath = (*base, "endpoints", endpoint_name)
            owner = endpoint_owner.get((account_id, endpoint_name))
            if owner is not None:
                yield (
                    epath,
                    (
                        f"endpoint '{endpoint_name}' is also in stage '{owner}' (same account): "
                        "endpoint names are unique per account and region"
                    ),
                )
            endpoint_owner[(account_id, endpoint_name)] = stage.name
            variant_names: set[str] = set()
            for j, variant in enumerate(endpoint.variants):
                vpath = (*epath, "variants", j)
                if variant.name in variant_names:
                    yield (*vpath, "name"), f"variant '{variant.name}' appears twice"
                variant_names.add(variant.name)
                if variant.model not in stage.models:
                    yield (
                        (*vpath, "model"),
                        (
                            f"unknown model '{variant.model}'; stage '{stage.name}' defines: "
                            f"{', '.join(sorted(stage.models))}"
                        ),
                    )


def _jumpstart(t: Topology) -> Iterator[Finding]:
    if t.jumpstart is None:
        return
    yield from _account_ref(t, ("jumpstart", "account"), t.jumpstart.account)
    yield from _unique(("jumpstart", "custom_execution_roles"), t.jumpstart.custom_execution_roles)


def _state(t: Topology) -> Iterator[Finding]:
    if t.state is not None and t.state.account is not None:
        yield from _account_ref(t, ("state", "account"), t.state.account)


def _unique(path: tuple[str | int, ...], values: Sequence[str]) -> Iterator[Finding]:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            yield (*path, index), f"'{value}' is listed twice"
        seen.add(value)
