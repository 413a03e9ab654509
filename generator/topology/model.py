"""The topology file format (shared/topology.md) as pydantic models: shape and field rules.

Cross-field rules (references that must resolve, a network where a private registry is used,
...) live in `topology_checks`; loading both, with positions, is `load.py`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
)

# --- names -----------------------------------------------------------------------------
# Each pattern is AWS's own rule for that name, narrowed where gen puts the name into
# Terraform identifiers (provider aliases, module names) so it is also safe there.

AccountName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$", strict=True)]
AccountId = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$", strict=True)]
RoleName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+=,.@_-]{1,64}$", strict=True)]
EnvName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,23}$", strict=True)]
StageName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,23}$", strict=True)]
Region = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", strict=True)
]
# SageMaker names: model package groups, models, endpoints, variants.
SageMakerName = Annotated[
    str, StringConstraints(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", strict=True)
]
KmsAlias = Annotated[
    str, StringConstraints(pattern=r"^(?!aws/)[a-zA-Z0-9/_-]{1,250}$", strict=True)
]
KmsKeyArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", strict=True
    ),
]
EcrRepositoryName = Annotated[
    str,
    StringConstraints(
        pattern=r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$",
        max_length=256,
        strict=True,
    ),
]
BucketName = Annotated[
    str,
    StringConstraints(
        pattern=r"^(?!\d+\.\d+\.\d+\.\d+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        strict=True,
    ),
]
KeyPrefix = Annotated[
    str,
    StringConstraints(pattern=r"^(?!/)(?!.*\.\./)[A-Za-z0-9!_.*'()/-]+/$", strict=True),
]
ObjectKey = Annotated[
    str,
    StringConstraints(pattern=r"^(?!/)(?!.*\.\./)[A-Za-z0-9!_.*'()/-]{1,900}(?<!/)$", strict=True),
]
SecretName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$", strict=True)]
Digest = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$", strict=True)]
InstanceType = Annotated[
    str, StringConstraints(pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$", strict=True)
]
PortfolioId = Annotated[str, StringConstraints(pattern=r"^port-[a-z0-9]{12,13}$", strict=True)]
VpcId = Annotated[str, StringConstraints(pattern=r"^vpc-[0-9a-f]{8,17}$", strict=True)]
SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$", strict=True)]
SecurityGroupId = Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$", strict=True)]
# AWS Organizations IDs (Organizations API reference: Organization.Id, Root.Id,
# OrganizationalUnit.Id) and the aws:PrincipalOrgPaths value format
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths):
# o-<id>/r-<root>/ou-<root>-<id>/ ... ending with a slash.
OrganizationId = Annotated[str, StringConstraints(pattern=r"^o-[a-z0-9]{10,32}$", strict=True)]
OrgPath = Annotated[
    str,
    StringConstraints(
        pattern=r"^o-[a-z0-9]{10,32}/r-[0-9a-z]{4,32}/(?:ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}/)+$",
        strict=True,
    ),
]
TagKey = Annotated[str, StringConstraints(pattern=r"^[\w .:/=+@-]{1,128}$", strict=True)]
TagValue = Annotated[str, StringConstraints(pattern=r"^[\w .:/=+@-]{0,256}$", strict=True)]

LATEST_APPROVED = "latest-approved"

PRIVATE_IMAGE = re.compile(
    r"^(?P<repo>[a-z0-9.-]+(?::[0-9]+)?/[a-z0-9._/-]+)@(?P<digest>sha256:[0-9a-f]{64})$"
)


class Strict(BaseModel):
    """Every topology object: unknown keys are errors, values are not coerced."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, regex_engine="python-re")


class KmsKey(Strict):
    alias: KmsAlias
    arn: KmsKeyArn | None = None


class Training(Strict):
    account: AccountName
    role: RoleName
    existing_role: bool = False
    kms_key: KmsKey
    image_repositories: list[EcrRepositoryName] = Field(default_factory=list)


class ArtifactBucket(Strict):
    name: BucketName
    prefix: KeyPrefix = "models/"
    account: AccountName | None = None
    existing: bool = False


class Registry(Strict):
    account: AccountName
    model_package_groups: Annotated[list[SageMakerName], Field(min_length=1)]
    artifact_bucket: ArtifactBucket


class Deployment(Strict):
    account: AccountName
    role: RoleName


class Network(Strict):
    vpc_id: VpcId
    subnet_ids: Annotated[list[SubnetId], Field(min_length=1, max_length=16)]
    security_group_ids: Annotated[list[SecurityGroupId], Field(min_length=1, max_length=5)]


class ModelPackageRef(Strict):
    group: SageMakerName
    version: int | str

    @field_validator("version")
    @classmethod
    def _version(cls, version: int | str) -> int | str:
        if (isinstance(version, int) and version >= 1) or version == LATEST_APPROVED:
            return version
        raise ValueError(
            f"expected a version number (1, 2, ...) or '{LATEST_APPROVED}' "
            "(pinned by `gen discover` in topology.lock.json)"
        )


class EcrImage(Strict):
    repository: EcrRepositoryName
    digest: Digest


class PrivateImage(Strict):
    uri: str
    credentials_secret: SecretName

    @field_validator("uri")
    @classmethod
    def _pinned_by_digest(cls, uri: str) -> str:
        if PRIVATE_IMAGE.match(uri):
            return uri
        if "@" not in uri:
            raise ValueError(
                "the image must be pinned by digest (name@sha256:<64 hex>): a tag such as "
                ":latest can move between the review and the apply"
            )
        raise ValueError("expected registry.host/path/name@sha256:<64 lowercase hex digits>")


def _image_kind(value: Any) -> str:
    return "private" if isinstance(value, dict) and "uri" in value else "ecr"


Image = Annotated[
    Annotated[EcrImage, Tag("ecr")] | Annotated[PrivateImage, Tag("private")],
    Discriminator(_image_kind),
]


class Model(Strict):
    model_package: ModelPackageRef | None = None
    image: Image | None = None
    model_data: ObjectKey | None = None


class Variant(Strict):
    name: SageMakerName
    model: SageMakerName
    instance_type: InstanceType
    instance_count: Annotated[int, Field(ge=1)]
    weight: Annotated[float, Field(gt=0)] = 1.0


class Endpoint(Strict):
    variants: Annotated[list[Variant], Field(min_length=1, max_length=10)]


class Stage(Strict):
    name: StageName
    account: AccountName
    execution_role: RoleName
    network: Network | None = None
    models: Annotated[dict[SageMakerName, Model], Field(min_length=1)]
    endpoints: Annotated[dict[SageMakerName, Endpoint], Field(min_length=1)]


class JumpStart(Strict):
    account: AccountName
    portfolio_id: PortfolioId | None = None
    custom_execution_roles: Annotated[list[RoleName], Field(min_length=1)]


class Organization(Strict):
    id: OrganizationId
    workload_ou_paths: list[OrgPath] = Field(default_factory=list)


class Topology(Strict):
    version: Literal[1]
    environment: EnvName
    region: Region
    accounts: Annotated[dict[AccountName, AccountId], Field(min_length=1)]
    terraform_role: RoleName
    training: Training
    registry: Registry
    deployment: Deployment
    stages: Annotated[list[Stage], Field(min_length=1)]
    jumpstart: JumpStart | None = None
    # gen's own optional field: tags added to every resource (besides Environment, ManagedBy).
    tags: dict[TagKey, TagValue] = Field(default_factory=dict)
    # Running it in a real organisation (topology.md, "Additions ..."): the organisation whose
    # workload OUs hold the stage accounts, and one root or one root per (phase, account).
    organization: Organization | None = None
    layout: Literal["single", "per-account"] = "single"
