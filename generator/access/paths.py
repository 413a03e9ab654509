"""The access model: who may do what on which resource, and why.

`access_paths(env)` is a pure function of the environment. Every identity policy, resource
policy, KMS grant and trust policy that gen renders is derived from its result (see
`policies.py`); no template writes a policy statement by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from generator.iam.document import Condition
from generator.topology import arns
from generator.topology.environment import Environment

PrincipalKind = Literal["role", "account", "service"]


class Side(StrEnum):
    """What on the resource's side allows a path."""

    BUCKET_POLICY = "bucket_policy"
    KEY_POLICY = "key_policy"
    KMS_GRANT = "kms_grant"
    ECR_REPOSITORY_POLICY = "ecr_repository_policy"
    MODEL_PACKAGE_GROUP_POLICY = "model_package_group_policy"
    TRUST_POLICY = "trust_policy"
    PORTFOLIO_ASSOCIATION = "portfolio_association"
    NONE = "none"  # same account, nothing on the resource: the identity policy decides


class Identity(StrEnum):
    """Who owns the principal's side of a path."""

    RENDERED = "rendered"  # gen renders the principal's inline policy
    DELEGATED = "delegated"  # an account principal: its own IAM admins decide
    EXISTING = "existing"  # a role gen does not manage (terraform_role, JumpStart roles)
    SERVICE = "service"  # an AWS service principal (trust policies)


@dataclass(frozen=True, order=True)
class Principal:
    arn: str
    account_id: str
    kind: PrincipalKind
    label: str


@dataclass(frozen=True, order=True, kw_only=True)
class AccessPath:
    """One allowance. `document` names the resource-side document that carries it (the key
    into `policies.resource_policies`), empty when the side is NONE."""

    sid: str
    principal: Principal
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    resource_account: str
    resource_label: str
    side: Side
    document: str
    identity: Identity
    why: str
    conditions: tuple[Condition, ...] = ()
    # Conditions that belong on the resource side only (e.g. aws:PrincipalArn on a root).
    resource_conditions: tuple[Condition, ...] = ()
    # The principal the resource side names instead of `principal.arn`: "*" when the
    # topology's organization admits the role by aws:PrincipalOrgPaths and a role-name
    # pattern (resource_conditions), so the resource policy stays one statement at any scale.
    resource_principal: str = ""

    @property
    def admitted_by_org(self) -> bool:
        return self.resource_principal == "*"

    @property
    def cross_account(self) -> bool:
        return self.principal.account_id != self.resource_account

    def to_json(self) -> dict[str, Any]:
        """The path as JSON values (gen explain and gen verify print it)."""
        return {
            "sid": self.sid,
            "principal": {
                "arn": self.principal.arn,
                "account": self.principal.account_id,
                "kind": self.principal.kind,
                "label": self.principal.label,
            },
            "actions": list(self.actions),
            "resources": list(self.resources),
            "resource_account": self.resource_account,
            "resource_label": self.resource_label,
            "side": str(self.side),
            "identity_owner": str(self.identity),
            "why": self.why,
            **({"resource_side_admits": self.admission()} if self.admitted_by_org else {}),
        }

    def admission(self) -> str:
        """What the resource side admits for this path, in words ("" when exactly the
        principal)."""
        if not self.admitted_by_org:
            return ""
        ous = next(c.values for c in self.resource_conditions if c.key == ORG_PATHS_KEY)
        role = next(c.values for c in self.resource_conditions if c.key == "aws:PrincipalArn")
        name = role[0].rsplit("/", 1)[-1]
        return f"any role named {name} in any account under {', '.join(o.rstrip('*') for o in ous)}"


# aws:PrincipalOrgPaths: the AWS Organizations path of the requesting principal's account,
# o-<org>/r-<root>/ou-.../ (multivalued: compared with ForAnyValue).
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths
ORG_PATHS_KEY = "aws:PrincipalOrgPaths"


def org_admission(env: Environment, role_name: str) -> dict[str, Any]:
    """The resource side of a stage path with `organization.workload_ou_paths`: Principal "*"
    narrowed to the workload OUs and to roles of this name (any account). Empty without
    workload OUs."""
    org = env.topology.organization
    if org is None or not org.workload_ou_paths:
        return {}
    return {
        "resource_principal": "*",
        "resource_conditions": (
            Condition(
                "ForAnyValue:StringLike",
                ORG_PATHS_KEY,
                tuple(f"{p}*" for p in org.workload_ou_paths),
            ),
            Condition("ArnLike", "aws:PrincipalArn", (arns.role("*", role_name),)),
        ),
    }


S3_READ = ("s3:GetObject", "s3:GetObjectVersion")
S3_WRITE = ("s3:PutObject",)
KMS_TRAINING = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)
KMS_CONSUMER = ("kms:Decrypt", "kms:DescribeKey")
ECR_PULL = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
ECR_REGISTRY_READ = ("ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer")
GROUP_DEPLOYER = (
    "sagemaker:DescribeModelPackage",
    "sagemaker:ListModelPackages",
    "sagemaker:UpdateModelPackage",
)
STAGE_FROM_GROUP = ("sagemaker:CreateModel", "sagemaker:DescribeModelPackage")
# KMS grant operations use the API names, not IAM actions.
GRANT_OPERATIONS = {
    KMS_TRAINING: (
        "Decrypt",
        "DescribeKey",
        "Encrypt",
        "GenerateDataKey",
        "ReEncryptFrom",
        "ReEncryptTo",
    ),
    KMS_CONSUMER: ("Decrypt", "DescribeKey"),
    ("kms:Decrypt", "kms:GenerateDataKey"): ("Decrypt", "GenerateDataKey"),
}
# What a SageMaker execution role needs to attach models to a VPC (the ec2 actions of
# https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html, CreateModel API:
# execution role permissions). EC2 authorizes CreateNetworkInterface on the new network
# interface, the subnet and the security groups, each its own resource; the other three act on
# an existing network interface, whose resource type has the ec2:Vpc key
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
ENI_CREATE = ("ec2:CreateNetworkInterface",)
ENI_MANAGE = (
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
)
VPC_DESCRIBE = (
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)


SAGEMAKER = Principal("sagemaker.amazonaws.com", "", "service", "Amazon SageMaker")
LAMBDA = Principal("lambda.amazonaws.com", "", "service", "AWS Lambda")


def access_paths(env: Environment) -> list[AccessPath]:
    """Every access path of the environment, sorted, without duplicates."""
    paths = [
        *_training(env),
        *_registry_account(env),
        *_deployment(env),
        *_stages(env),
        *_jumpstart(env),
    ]
    return sorted(set(paths))


def _key_side(env: Environment, principal: Principal) -> tuple[Side, str]:
    if env.key_is_created:
        return Side.KEY_POLICY, "key"
    return Side.KMS_GRANT, f"grant:{principal.arn}"


def _training(env: Environment) -> Iterator[AccessPath]:
    t = env.topology
    account = env.training_account
    role = Principal(env.training_role_arn, account, "role", f"training role {t.training.role}")
    bucket = f"artifact bucket {env.bucket_name}"
    yield AccessPath(
        sid="TrainingWritesArtifacts",
        principal=role,
        actions=(*S3_READ, *S3_WRITE),
        resources=(arns.objects(env.bucket_name, env.prefix),),
        resource_account=env.bucket_account,
        resource_label=bucket,
        side=Side.BUCKET_POLICY,
        document="bucket",
        identity=Identity.RENDERED,
        why=f"training jobs write model.tar.gz under s3://{env.bucket_name}/{env.prefix}",
    )
    yield AccessPath(
        sid="TrainingListsArtifacts",
        principal=role,
        actions=("s3:ListBucket",),
        resources=(arns.bucket(env.bucket_name),),
        resource_account=env.bucket_account,
        resource_label=bucket,
        side=Side.BUCKET_POLICY,
        document="bucket",
        identity=Identity.RENDERED,
        why="training jobs list their output prefix (and only it)",
        conditions=(Condition("StringLike", "s3:prefix", (f"{env.prefix}*",)),),
    )
    side, doc = _key_side(env, role)
    yield AccessPath(
        sid="TrainingUsesOutputKey",
        principal=role,
        actions=KMS_TRAINING,
        resources=(env.key_arn_in_policies,),
        resource_account=account,
        resource_label=f"training output key alias/{t.training.kms_key.alias}",
        side=side,
        document=doc,
        identity=Identity.RENDERED,
        why="training jobs encrypt their output with this key (the estimator's output_kms_key)",
    )
    for group in t.registry.model_package_groups:
        yield AccessPath(
            sid="TrainingRegistersVersions",
            principal=role,
            actions=("sagemaker:CreateModelPackage",),
            resources=(arns.model_packages(env.region, env.registry_account, group),),
            resource_account=env.registry_account,
            resource_label=f"model package group {group}",
            side=Side.MODEL_PACKAGE_GROUP_POLICY,
            document=f"group:{group}",
            identity=Identity.RENDERED,
            why=f"the training pipeline registers new versions in {group}",
        )
    if t.training.existing_role:
        return
    yield _trusted_by(
        SAGEMAKER,
        "SageMakerAssumesTrainingRole",
        role,
        "SageMaker runs training jobs as this role, only on behalf of the training account",
    )


def _trusted_by(service: Principal, sid: str, role: Principal, why: str) -> AccessPath:
    """`service` may assume `role`, only on behalf of the role's own account (the
    aws:SourceAccount condition guards against the confused deputy)."""
    return AccessPath(
        sid=sid,
        principal=service,
        actions=("sts:AssumeRole",),
        resources=(role.arn,),
        resource_account=role.account_id,
        resource_label=role.label,
        side=Side.TRUST_POLICY,
        document=f"trust:{role.arn}",
        identity=Identity.SERVICE,
        why=why,
        conditions=(Condition("StringEquals", "aws:SourceAccount", (role.account_id,)),),
    )


def _registry_account(env: Environment) -> Iterator[AccessPath]:
    """The registry account reads what it registers: artifacts, key, images (seed 001)."""
    registry = env.registry_account
    principal = Principal(
        arns.account_root(registry),
        registry,
        "account",
        f"registry account {env.topology.registry.account}",
    )
    if env.bucket_account != registry:
        yield AccessPath(
            sid="RegistryReadsArtifacts",
            principal=principal,
            actions=("s3:GetObject",),
            resources=(arns.objects(env.bucket_name, env.prefix),),
            resource_account=env.bucket_account,
            resource_label=f"artifact bucket {env.bucket_name}",
            side=Side.BUCKET_POLICY,
            document="bucket",
            identity=Identity.DELEGATED,
            why="the model registry account reads the artifacts it registers",
        )
    if env.training_account != registry:
        yield AccessPath(
            sid="RegistryDecryptsArtifacts",
            principal=principal,
            actions=("kms:Decrypt", "kms:GenerateDataKey"),
            resources=(env.key_arn_in_policies,),
            resource_account=env.training_account,
            resource_label=f"training output key alias/{env.topology.training.kms_key.alias}",
            side=Side.KMS_GRANT,
            document=f"grant:{principal.arn}",
            identity=Identity.DELEGATED,
            why="the model registry account decrypts artifacts encrypted by training (KMS grant)",
        )
        for repo in env.topology.training.image_repositories:
            yield AccessPath(
                sid="RegistryReadsImages",
                principal=principal,
                actions=ECR_REGISTRY_READ,
                resources=(arns.ecr_repository(env.region, env.training_account, repo),),
                resource_account=env.training_account,
                resource_label=f"ECR repository {repo}",
                side=Side.ECR_REPOSITORY_POLICY,
                document=f"ecr:{repo}",
                identity=Identity.DELEGATED,
                why="model versions registered in the registry account reference these images",
            )


def _deployment(env: Environment) -> Iterator[AccessPath]:
    t = env.topology
    role = Principal(
        env.deployment_role_arn,
        env.deployment_account,
        "role",
        f"deployment role {t.deployment.role}",
    )
    for group in t.registry.model_package_groups:
        label = f"model package group {group}"
        doc = f"group:{group}"
        yield AccessPath(
            sid="DeployerDescribesGroup",
            principal=role,
            actions=("sagemaker:DescribeModelPackageGroup",),
            resources=(env.group_arn(group),),
            resource_account=env.registry_account,
            resource_label=label,
            side=Side.MODEL_PACKAGE_GROUP_POLICY,
            document=doc,
            identity=Identity.RENDERED,
            why="the CI/CD pipeline looks up the group it promotes from",
        )
        yield AccessPath(
            sid="DeployerApprovesVersions",
            principal=role,
            actions=GROUP_DEPLOYER,
            resources=(arns.model_packages(env.region, env.registry_account, group),),
            resource_account=env.registry_account,
            resource_label=label,
            side=Side.MODEL_PACKAGE_GROUP_POLICY,
            document=doc,
            identity=Identity.RENDERED,
            why="the CI/CD pipeline lists, describes and approves (or rejects) model versions",
        )


def _stages(env: Environment) -> Iterator[AccessPath]:
    t = env.topology
    for stage in t.stages:
        account = env.stage_account(stage)
        role_arn = env.execution_role_arn(stage)
        role = Principal(
            role_arn, account, "role", f"{stage.name} execution role {stage.execution_role}"
        )
        by_org = org_admission(env, stage.execution_role)
        yield AccessPath(
            sid="StageReadsArtifacts",
            principal=role,
            actions=S3_READ,
            resources=(arns.objects(env.bucket_name, env.prefix),),
            resource_account=env.bucket_account,
            resource_label=f"artifact bucket {env.bucket_name}",
            side=Side.BUCKET_POLICY,
            document="bucket",
            identity=Identity.RENDERED,
            why=f"SageMaker loads model artifacts for the {stage.name} models as this role",
            **by_org,
        )
        side, doc = _key_side(env, role)
        yield AccessPath(
            sid="StageDecryptsArtifacts",
            principal=role,
            actions=KMS_CONSUMER,
            resources=(env.key_arn_in_policies,),
            resource_account=env.training_account,
            resource_label=f"training output key alias/{t.training.kms_key.alias}",
            side=side,
            document=doc,
            identity=Identity.RENDERED,
            why=f"the artifacts the {stage.name} models load are encrypted with the training key",
            **(by_org if side is Side.KEY_POLICY else {}),  # a grant names its grantee
        )
        repos = env.ecr_repositories_read(stage)
        for repo in repos:
            yield AccessPath(
                sid="StagePullsImages",
                principal=role,
                actions=ECR_PULL,
                resources=(arns.ecr_repository(env.region, env.training_account, repo),),
                resource_account=env.training_account,
                resource_label=f"ECR repository {repo}",
                side=Side.ECR_REPOSITORY_POLICY,
                document=f"ecr:{repo}",
                identity=Identity.RENDERED,
                why=f"SageMaker pulls the {stage.name} model images from the training account",
                **by_org,
            )
        if repos:
            yield AccessPath(
                sid="StageAuthenticatesToEcr",
                principal=role,
                actions=("ecr:GetAuthorizationToken",),
                resources=("*",),
                resource_account=account,
                resource_label="ECR authorization (not resource-scoped)",
                side=Side.NONE,
                document="",
                identity=Identity.RENDERED,
                why="an ECR pull starts with a registry token; AWS defines "
                "GetAuthorizationToken on no resource, so it can only be granted on *",
            )
        deployer = Principal(
            env.terraform_role_arn(account),
            account,
            "role",
            f"{stage.name} Terraform role {t.terraform_role}",
        )
        by_group: dict[str, set[str]] = {}
        for model in stage.models.values():
            if model.model_package is not None:
                by_group.setdefault(model.model_package.group, set()).add(
                    env.model_package_arn(model)
                )
        for group, versions in sorted(by_group.items()):
            yield AccessPath(
                sid="StageCreatesModelsFromVersions",
                principal=deployer,
                actions=STAGE_FROM_GROUP,
                resources=tuple(sorted(versions)),
                resource_account=env.registry_account,
                resource_label=f"model package group {group}",
                side=Side.MODEL_PACKAGE_GROUP_POLICY,
                document=f"group:{group}",
                identity=Identity.EXISTING,
                why=f"Terraform creates the {stage.name} models from these approved versions "
                "(and from no other)",
                **org_admission(env, t.terraform_role),
            )
        for secret in env.private_secrets(stage):
            yield from _credentials_function(
                env, stage.name, account, role, secret, env.credentials_function_name(stage, secret)
            )
        if stage.network is not None:
            net = stage.network
            ec2 = f"arn:aws:ec2:{env.region}:{account}"
            # CreateNetworkInterface: the new interface (its ARN is not known before, and the
            # service authorization reference lists no ec2:Vpc key for it), and exactly the
            # stage's subnets and security groups, named by ARN: no condition needed.
            yield AccessPath(
                sid="StageCreatesNetworkInterfaces",
                principal=role,
                actions=ENI_CREATE,
                resources=(
                    f"{ec2}:network-interface/*",
                    *(f"{ec2}:subnet/{s}" for s in sorted(net.subnet_ids)),
                    *(f"{ec2}:security-group/{g}" for g in sorted(net.security_group_ids)),
                ),
                resource_account=account,
                resource_label=(
                    f"network interfaces in the subnets and security groups of {net.vpc_id}"
                ),
                side=Side.NONE,
                document="",
                identity=Identity.RENDERED,
                why="SageMaker creates the models' network interfaces in the stage's subnets, with "
                "its security groups (VpcConfig)",
            )
            # ec2:Vpc is a condition key of the network-interface resource type for these
            # three actions: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
            yield AccessPath(
                sid="StageAttachesToVpc",
                principal=role,
                actions=ENI_MANAGE,
                resources=(f"{ec2}:network-interface/*",),
                resource_account=account,
                resource_label=f"network interfaces in {net.vpc_id}",
                side=Side.NONE,
                document="",
                identity=Identity.RENDERED,
                why="SageMaker attaches the models' network interfaces and deletes them",
                conditions=(Condition("StringEquals", "ec2:Vpc", (f"{ec2}:vpc/{net.vpc_id}",)),),
            )
            yield AccessPath(
                sid="StageDescribesNetwork",
                principal=role,
                actions=VPC_DESCRIBE,
                resources=("*",),
                resource_account=account,
                resource_label="EC2 descriptions (not resource-scoped)",
                side=Side.NONE,
                document="",
                identity=Identity.RENDERED,
                why="SageMaker reads the subnets and security groups of the VpcConfig; AWS defines "
                "these Describe actions on no resource",
            )
        endpoint_logs = "/aws/sagemaker/Endpoints/*"
        yield AccessPath(
            sid="StageWritesEndpointLogs",
            principal=role,
            actions=("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
            resources=(arns.log_group(env.region, account, endpoint_logs),),
            resource_account=account,
            resource_label="endpoint log groups",
            side=Side.NONE,
            document="",
            identity=Identity.RENDERED,
            why="endpoint containers write their logs to CloudWatch",
        )
        yield AccessPath(
            sid="StagePublishesMetrics",
            principal=role,
            actions=("cloudwatch:PutMetricData",),
            resources=("*",),
            resource_account=account,
            resource_label="CloudWatch metrics (not resource-scoped)",
            side=Side.NONE,
            document="",
            identity=Identity.RENDERED,
            why="endpoints publish invocation metrics, only in the SageMaker namespaces",
            conditions=(Condition("StringLike", "cloudwatch:namespace", ("/aws/sagemaker/*",)),),
        )
        yield _trusted_by(
            SAGEMAKER,
            "SageMakerAssumesExecutionRole",
            role,
            "SageMaker runs the stage's models as this role",
        )


def _credentials_function(
    env: Environment,
    stage: str,
    account: str,
    execution_role: Principal,
    secret: str,
    function: str,
) -> Iterator[AccessPath]:
    function_arn = arns.lambda_function(env.region, account, function)
    yield AccessPath(
        sid="StageGetsRegistryCredentials",
        principal=execution_role,
        actions=("lambda:InvokeFunction",),
        resources=(function_arn,),
        resource_account=account,
        resource_label=f"Lambda {function}",
        side=Side.NONE,
        document="",
        identity=Identity.RENDERED,
        why="SageMaker calls the credentials provider to log in to the private registry",
    )
    fn_role_arn = arns.role(account, function)
    fn_role = Principal(fn_role_arn, account, "role", f"{stage} credentials function {function}")
    yield AccessPath(
        sid="CredentialsReadSecret",
        principal=fn_role,
        actions=("secretsmanager:GetSecretValue",),
        resources=(arns.secret(env.region, account, secret),),
        resource_account=account,
        resource_label=f"secret {secret}",
        side=Side.NONE,
        document="",
        identity=Identity.RENDERED,
        why="the function returns the private registry login it reads from this secret",
    )
    log_group = f"/aws/lambda/{function}"
    yield AccessPath(
        sid="CredentialsWriteLogs",
        principal=fn_role,
        actions=("logs:CreateLogStream", "logs:PutLogEvents"),
        resources=(arns.log_group(env.region, account, log_group) + ":*",),
        resource_account=account,
        resource_label=f"log group {log_group}",
        side=Side.NONE,
        document="",
        identity=Identity.RENDERED,
        why="the function logs its invocations (never the credentials)",
    )
    yield AccessPath(
        sid="CredentialsWriteTraces",
        principal=fn_role,
        actions=("xray:PutTelemetryRecords", "xray:PutTraceSegments"),
        resources=("*",),
        resource_account=account,
        resource_label="X-Ray traces (not resource-scoped)",
        side=Side.NONE,
        document="",
        identity=Identity.RENDERED,
        why="the function is traced (tracing_config Active): Lambda refuses to create it unless "
        "its role may send trace segments; AWS defines these X-Ray actions on no resource",
    )
    yield _trusted_by(
        LAMBDA,
        "LambdaAssumesCredentialsRole",
        fn_role,
        "Lambda runs the credentials function as this role, for this account only",
    )


def _jumpstart(env: Environment) -> Iterator[AccessPath]:
    js = env.topology.jumpstart
    if js is None:
        return
    account = env.account_id(js.account)
    portfolio = js.portfolio_id or (env.lock.portfolio_id(js.account) if env.lock else None)
    assert portfolio is not None  # load.py refuses a JumpStart section without one
    for name in js.custom_execution_roles:
        role = Principal(arns.role(account, name), account, "role", f"JumpStart role {name}")
        # ProvisionProduct acts on a product (resource type Product, arn:...:product/ID:
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsservicecatalog.html);
        # which products the role may launch is what its association with the portfolio
        # grants: the portfolio's products, whose IDs gen does not know.
        yield AccessPath(
            sid="JumpStartLaunchesProducts",
            principal=role,
            actions=("servicecatalog:ProvisionProduct",),
            resources=(f"arn:aws:catalog:{env.region}:{account}:product/*",),
            resource_account=account,
            resource_label=f"the products of SageMaker portfolio {portfolio}",
            side=Side.PORTFOLIO_ASSOCIATION,
            document=f"portfolio:{portfolio}",
            identity=Identity.EXISTING,
            why="Studio users with this custom execution role launch JumpStart solutions and "
            "Projects templates",
        )
