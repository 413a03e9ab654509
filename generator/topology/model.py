"""The topology file format (docs/topology.md) as pydantic models: shape and field rules.

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
# Terraform identifiers (provider aliases, module names) so it is also safe there. Every
# pattern is anchored with \Z, not $: under regex_engine="python-re", $ also matches before
# a final newline, which would let "prod\n" through into HCL and policies.

# gen's own name for an account: it becomes part of Terraform provider aliases.
AccountName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}\Z", strict=True)]
# https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html
AccountId = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}\Z", strict=True)]
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (RoleName)
RoleName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+=,.@_-]{1,64}\Z", strict=True)]
# Part of every resource name gen derives (gen-<env>-...): gen's own, narrow rule.
EnvName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,23}\Z", strict=True)]
StageName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,23}\Z", strict=True)]
# https://docs.aws.amazon.com/general/latest/gr/rande.html (region codes)
Region = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]\Z", strict=True)
]
# SageMaker names: model package groups, models, endpoints, variants.
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackageGroup.html
# (ModelPackageGroupName; EndpointName, ModelName and VariantName share the pattern)
SageMakerName = Annotated[
    str, StringConstraints(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}\Z", strict=True)
]
# https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html (AliasName)
KmsAlias = Annotated[
    str, StringConstraints(pattern=r"^(?!aws/)[a-zA-Z0-9/_-]{1,250}\Z", strict=True)
]
# https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-ARN
KmsKeyArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+\Z", strict=True
    ),
]
# https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
EcrRepositoryName = Annotated[
    str,
    StringConstraints(
        pattern=r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*\Z",
        max_length=256,
        strict=True,
    ),
]
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
BucketName = Annotated[
    str,
    StringConstraints(
        pattern=r"^(?!\d+\.\d+\.\d+\.\d+\Z)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z",
        strict=True,
    ),
]
# The S3 "safe characters" of https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
# without * : the prefix ends up in policy resources (arn:aws:s3:::bucket/prefix*), where * is a
# wildcard (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html),
# so a prefix of "*/" would widen every grant to the whole bucket.
KeyPrefix = Annotated[
    str,
    StringConstraints(
        pattern=r"^(?!/)(?!.*\.\./)(?!(.*/)?\./)[A-Za-z0-9!_.'()/-]{0,1023}/\Z", strict=True
    ),
]
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html (safe characters)
ObjectKey = Annotated[
    str,
    StringConstraints(pattern=r"^(?!/)(?!.*\.\./)[A-Za-z0-9!_.*'()/-]{1,900}(?<!/)\Z", strict=True),
]
# https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
SecretName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}\Z", strict=True)]
# https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageIdentifier.html
Digest = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}\Z", strict=True)]
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html
InstanceType = Annotated[
    str, StringConstraints(pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+\Z", strict=True)
]
# https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DescribePortfolio.html (Id)
PortfolioId = Annotated[str, StringConstraints(pattern=r"^port-[a-z0-9]{12,13}\Z", strict=True)]
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_VpcConfig.html
VpcId = Annotated[str, StringConstraints(pattern=r"^vpc-[0-9a-f]{8,17}\Z", strict=True)]
SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}\Z", strict=True)]
SecurityGroupId = Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}\Z", strict=True)]
# An IAM role or user ARN (with an optional path): the principal a trust policy can name.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
PrincipalArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws:iam::[0-9]{12}:(role|user)/([\x21-\x7e]{0,510}/)?"
        r"[A-Za-z0-9+=,.@_-]{1,64}\Z",
        strict=True,
    ),
]
# AWS Organizations IDs (Organizations API reference: Organization.Id, Root.Id,
# OrganizationalUnit.Id) and the aws:PrincipalOrgPaths value format
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths):
# o-<id>/r-<root>/ou-<root>-<id>/ ... ending with a slash.
OrganizationId = Annotated[str, StringConstraints(pattern=r"^o-[a-z0-9]{10,32}\Z", strict=True)]
OrgPath = Annotated[
    str,
    StringConstraints(
        pattern=r"^o-[a-z0-9]{10,32}/r-[0-9a-z]{4,32}/(?:ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}/)+\Z",
        strict=True,
    ),
]
# https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html: the aws: prefix is
# reserved for AWS.
TagKey = Annotated[
    str, StringConstraints(pattern=r"^(?![aA][wW][sS]:)[\w .:/=+@-]{1,128}\Z", strict=True)
]
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Tag.html
TagValue = Annotated[str, StringConstraints(pattern=r"^[\w .:/=+@-]{0,256}\Z", strict=True)]

# The tags gen itself puts on resources (the Stage tag on a stage's resources only).
GEN_TAG_KEYS = ("Environment", "Stage", "ManagedBy")

LATEST_APPROVED = "latest-approved"

PRIVATE_IMAGE = re.compile(
    r"^(?P<repo>[a-z0-9.-]+(?::[0-9]+)?/[a-z0-9._/-]+)@(?P<digest>sha256:[0-9a-f]{64})\Z"
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
    # create: gen renders the Lambda interface endpoint (and its security group) that a
    # private-registry model's credentials Lambda is reached through; existing: the VPC
    # already resolves Lambda privately (a central endpoint, a shared private hosted zone).
    lambda_endpoint: Literal["create", "existing"] = "create"


# The SageMaker API's Integer is 32-bit: ModelPackageVersion (minimum 1) and
# InitialInstanceCount (minimum 1) cannot be larger.
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelPackageSummary.html
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html
MAX_API_INTEGER = 2**31 - 1
# InitialVariantWeight is a Float with minimum 0 (API_ProductionVariant above): finite, and
# weights are relative, so gen bounds them where a split stops meaning anything.
MAX_WEIGHT = 1_000_000.0


class ModelPackageRef(Strict):
    group: SageMakerName
    version: int | str

    @field_validator("version")
    @classmethod
    def _version(cls, version: int | str) -> int | str:
        if (isinstance(version, int) and 1 <= version <= MAX_API_INTEGER) or (
            version == LATEST_APPROVED
        ):
            return version
        raise ValueError(
            f"expected a version number (1 to {MAX_API_INTEGER}) or '{LATEST_APPROVED}' "
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
    instance_count: Annotated[int, Field(ge=1, le=MAX_API_INTEGER)]
    weight: Annotated[float, Field(gt=0, le=MAX_WEIGHT, allow_inf_nan=False)] = 1.0


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


class State(Strict):
    """Remote state (S3 backend, S3-native locking): docs/topology.md, "Running it
    in an organisation"."""

    bucket: BucketName
    account: AccountName | None = None  # default: registry.account
    region: Region | None = None  # default: the topology's region
    key_prefix: KeyPrefix = "gen/"


# gen renders for the commercial partition only: every ARN it writes starts arn:aws:. Regions
# of the other partitions (aws-cn: cn-*, aws-us-gov: us-gov-*, aws-iso*: us-iso*-, eu-isoe-*)
# would need arn:aws-cn: and so on, and are refused.
# https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
OTHER_PARTITIONS: tuple[tuple[str, str], ...] = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-iso", "aws-iso"),
    ("eu-iso", "aws-iso-e"),
)


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
    # 50 tags per resource, three of them gen's own (Environment, Stage, ManagedBy):
    # https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
    tags: Annotated[dict[TagKey, TagValue], Field(max_length=47)] = Field(default_factory=dict)
    # Running it in an organisation: remote state, and the identity that runs Terraform.
    state: State | None = None
    terraform_principal: PrincipalArn | None = None
    # Running it in an organisation (docs/topology.md): the organisation whose
    # workload OUs hold the stage accounts, and one root or one root per (phase, account).
    organization: Organization | None = None
    layout: Literal["single", "per-account"] = "single"

    @field_validator("tags")
    @classmethod
    def _not_gen_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        # gen sets these on every resource; a topology tag of the same key (in any case: IAM
        # compares tag keys case-insensitively in conditions,
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html) would replace them.
        taken = [key for key in tags if key.lower() in {k.lower() for k in GEN_TAG_KEYS}]
        if taken:
            raise ValueError(
                f"tag {taken[0]!r} is set by gen on every resource "
                f"({', '.join(GEN_TAG_KEYS)}); choose another key"
            )
        return tags

    @field_validator("region")
    @classmethod
    def _commercial_partition(cls, region: str) -> str:
        for prefix, partition in OTHER_PARTITIONS:
            if region.startswith(prefix):
                raise ValueError(
                    f"{region!r} is in the {partition} partition; gen renders ARNs of the aws "
                    "partition (arn:aws:...) only, so it supports the commercial regions"
                )
        return region
