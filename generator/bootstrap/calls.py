"""The API requests Terraform's AWS provider (hashicorp/aws 6.x) makes for what a root
manages, as IAM sees them (pure).

Each module kind maps to the provider resources it declares (modules/<kind>/main.tf), and
each resource to the IAM actions of its create, read, update and delete functions
(internal/service/<service>/<resource>.go in hashicorp/terraform-provider-aws), including:

- tag-on-create: the provider passes `tags` (and the provider's default_tags) in the create
  request, which needs the service's tagging action too (iam:TagRole, kms:TagResource,
  sagemaker:AddTags, lambda:TagResource, logs:TagResource, ec2:CreateTags);
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html
- iam:PassRole for every role handed to a service (a model's execution role, a function's
  role), conditioned on iam:PassedToService;
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
- the S3 backend: s3:ListBucket on the bucket, s3:GetObject and s3:PutObject on the state
  key, and s3:GetObject, s3:PutObject, s3:DeleteObject on `<key>.tflock` (use_lockfile);
  https://developer.hashicorp.com/terraform/language/backend/s3#s3-bucket-permissions

A `Call` carries the concrete request (the resource ARN a request of this render names) and
the `scope` its permission grants: the exact ARN when the name is fixed, a prefix when gen
changes the name with the content (models, endpoint configurations: a new name each
version), and tag conditions where AWS picks the ID (KMS keys, security groups, endpoints).
Actions AWS defines on no resource (List*/Describe* of a whole service) are reads on "*".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from generator.bootstrap.inventory import Managed
from generator.iam.document import Condition
from generator.topology import arns
from generator.topology.environment import Environment

P = arns.PARTITION
Context = tuple[tuple[str, tuple[str, ...]], ...]

# The tags gen puts on everything it creates (root_module: Environment, ManagedBy).
GEN_TAG_KEYS = ("Environment", "ManagedBy")


@dataclass(frozen=True)
class Call:
    resource_type: str  # the Terraform resource type, or "backend s3"
    action: str  # the IAM action
    resource: str  # the ARN this render's request names ("*" when none)
    scope: str  # the ARN pattern the permission grants
    write: bool
    conditions: tuple[Condition, ...] = ()  # on the permission
    context: Context = ()  # of the request
    resource_account: str = ""  # owner of the resource when not the caller's account


def _placeholder_id(prefix: str, *parts: str, width: int = 17) -> str:
    """A stable stand-in for an ID AWS assigns (key ID, sg-..., vpce-...)."""
    return prefix + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:width]


class _Calls:
    def __init__(self, env: Environment, item: Managed) -> None:
        self.env = env
        self.item = item
        self.account = item.account
        self.region = env.region
        tags = {"Environment": env.name, "ManagedBy": "gen", **env.topology.tags}
        self.tags = {k: tags[k] for k in GEN_TAG_KEYS}
        self.calls: list[Call] = []

    # -- helpers ---------------------------------------------------------------------------
    def arn(self, service: str, resource: str, account: str | None = None) -> str:
        return f"arn:{P}:{service}:{self.region}:{account or self.account}:{resource}"

    def add(
        self,
        rtype: str,
        actions: str,
        resource: str,
        *,
        write: bool,
        scope: str | None = None,
        conditions: tuple[Condition, ...] = (),
        context: Mapping[str, tuple[str, ...]] | None = None,
        resource_account: str = "",
    ) -> None:
        for action in actions.split():
            self.calls.append(
                Call(
                    rtype,
                    action,
                    resource,
                    scope or resource,
                    write,
                    conditions,
                    tuple(sorted((context or {}).items())),
                    resource_account,
                )
            )

    def reads(self, rtype: str, actions: str, resource: str = "*") -> None:
        self.add(rtype, actions, resource, write=False)

    def writes(self, rtype: str, actions: str, resource: str, **kw: object) -> None:
        self.add(rtype, actions, resource, write=True, **kw)  # type: ignore[arg-type]

    def request_tags(self) -> tuple[tuple[Condition, ...], dict[str, tuple[str, ...]]]:
        """Conditions and context of a create request that tags the new resource gen's."""
        conds: tuple[Condition, ...] = tuple(
            Condition("StringEquals", f"aws:RequestTag/{k}", (v,))
            for k, v in sorted(self.tags.items())
        )
        ctx: dict[str, tuple[str, ...]] = {
            f"aws:RequestTag/{k}": (v,) for k, v in self.tags.items()
        }
        return conds, ctx

    def resource_tags(self) -> tuple[tuple[Condition, ...], dict[str, tuple[str, ...]]]:
        """Conditions and context of a request on a resource gen tagged."""
        conds: tuple[Condition, ...] = tuple(
            Condition("StringEquals", f"aws:ResourceTag/{k}", (v,))
            for k, v in sorted(self.tags.items())
        )
        ctx: dict[str, tuple[str, ...]] = {
            f"aws:ResourceTag/{k}": (v,) for k, v in self.tags.items()
        }
        return conds, ctx

    def tagged(self, rtype: str, actions: str, resource: str, scope: str, write: bool) -> None:
        conds, ctx = self.resource_tags()
        self.add(rtype, actions, resource, write=write, scope=scope, conditions=conds, context=ctx)

    def pass_role(self, rtype: str, role_arn: str, service: str) -> None:
        self.writes(
            rtype,
            "iam:PassRole",
            role_arn,
            conditions=(Condition("StringEquals", "iam:PassedToService", (service,)),),
            context={"iam:PassedToService": (service,)},
        )

    # -- module kinds ------------------------------------------------------------------------
    def iam_role(self) -> None:
        role = arns.role(self.account, self.item.text("name"))
        if self.item.flag("create_role"):
            rt = "aws_iam_role"
            self.writes(rt, "iam:CreateRole iam:TagRole", role)
            self.reads(rt, "iam:GetRole iam:ListRolePolicies iam:ListAttachedRolePolicies", role)
            self.writes(
                rt,
                "iam:UpdateRole iam:UpdateRoleDescription iam:UpdateAssumeRolePolicy "
                "iam:UntagRole iam:DeleteRole",
                role,
            )
            self.reads(rt, "iam:ListInstanceProfilesForRole", role)
        rt = "aws_iam_role_policy"
        self.writes(rt, "iam:PutRolePolicy iam:DeleteRolePolicy", role)
        self.reads(rt, "iam:GetRolePolicy", role)

    def kms_key(self) -> None:
        created = self.item.flag("create_key")
        alias = self.item.text("alias")
        keys = self.arn("kms", "key/*")
        if created:
            key = self.arn("kms", "key/" + _placeholder_id("", alias, width=32))
            rt = "aws_kms_key"
            conds, ctx = self.request_tags()
            self.add(
                rt,
                "kms:CreateKey kms:TagResource",
                "*",
                write=True,
                conditions=conds,
                context=ctx,
            )
            self.tagged(
                rt,
                "kms:DescribeKey kms:GetKeyPolicy kms:GetKeyRotationStatus kms:ListResourceTags",
                key,
                keys,
                write=False,
            )
            self.tagged(
                rt,
                "kms:PutKeyPolicy kms:EnableKeyRotation kms:UpdateKeyDescription "
                "kms:TagResource kms:UntagResource kms:ScheduleKeyDeletion",
                key,
                keys,
                write=True,
            )
            rt = "aws_kms_alias"
            alias_arn = self.arn("kms", f"alias/{alias}")
            self.writes(rt, "kms:CreateAlias kms:UpdateAlias kms:DeleteAlias", alias_arn)
            self.tagged(
                rt, "kms:CreateAlias kms:UpdateAlias kms:DeleteAlias", key, keys, write=True
            )
            self.reads(rt, "kms:ListAliases")
        if self.item.inputs.get("grants"):
            rt = "aws_kms_grant"
            if created:
                self.tagged(rt, "kms:CreateGrant kms:RevokeGrant", key, keys, write=True)
                self.tagged(rt, "kms:ListGrants", key, keys, write=False)
            else:
                existing = self.item.text("existing_key_arn")
                self.writes(rt, "kms:CreateGrant kms:RevokeGrant", existing)
                self.reads(rt, "kms:ListGrants", existing)

    def artifact_bucket(self) -> None:
        bucket = arns.bucket(self.item.text("bucket"))
        if self.item.flag("create_bucket"):
            rt = "aws_s3_bucket"
            self.writes(rt, "s3:CreateBucket s3:PutBucketTagging s3:DeleteBucket", bucket)
            self.reads(
                rt,
                "s3:ListBucket s3:GetBucketTagging s3:GetBucketAcl s3:GetBucketCORS "
                "s3:GetBucketWebsite s3:GetBucketVersioning s3:GetAccelerateConfiguration "
                "s3:GetBucketRequestPayment s3:GetBucketLogging s3:GetLifecycleConfiguration "
                "s3:GetReplicationConfiguration s3:GetEncryptionConfiguration "
                "s3:GetBucketObjectLockConfiguration s3:GetBucketPolicy",
                bucket,
            )
            for rt, put, get in (
                ("aws_s3_bucket_versioning", "s3:PutBucketVersioning", "s3:GetBucketVersioning"),
                (
                    "aws_s3_bucket_public_access_block",
                    "s3:PutBucketPublicAccessBlock",
                    "s3:GetBucketPublicAccessBlock",
                ),
                (
                    "aws_s3_bucket_server_side_encryption_configuration",
                    "s3:PutEncryptionConfiguration",
                    "s3:GetEncryptionConfiguration",
                ),
                (
                    "aws_s3_bucket_ownership_controls",
                    "s3:PutBucketOwnershipControls",
                    "s3:GetBucketOwnershipControls",
                ),
                (
                    "aws_s3_bucket_lifecycle_configuration",
                    "s3:PutLifecycleConfiguration",
                    "s3:GetLifecycleConfiguration",
                ),
            ):
                self.writes(rt, put, bucket)
                self.reads(rt, get, bucket)
        rt = "aws_s3_bucket_policy"
        self.writes(rt, "s3:PutBucketPolicy s3:DeleteBucketPolicy", bucket)
        self.reads(rt, "s3:GetBucketPolicy", bucket)

    def ecr_repository_policy(self) -> None:
        repo = arns.ecr_repository(self.region, self.account, self.item.text("repository"))
        rt = "aws_ecr_repository_policy"
        self.writes(rt, "ecr:SetRepositoryPolicy ecr:DeleteRepositoryPolicy", repo)
        self.reads(rt, "ecr:GetRepositoryPolicy", repo)

    def model_package_group(self) -> None:
        group = arns.model_package_group(self.region, self.account, self.item.text("name"))
        rt = "aws_sagemaker_model_package_group"
        self.writes(
            rt,
            "sagemaker:CreateModelPackageGroup sagemaker:AddTags sagemaker:DeleteTags "
            "sagemaker:DeleteModelPackageGroup",
            group,
        )
        self.reads(rt, "sagemaker:DescribeModelPackageGroup sagemaker:ListTags", group)
        rt = "aws_sagemaker_model_package_group_policy"
        self.writes(
            rt,
            "sagemaker:PutModelPackageGroupPolicy sagemaker:DeleteModelPackageGroupPolicy",
            group,
        )
        self.reads(rt, "sagemaker:GetModelPackageGroupPolicy", group)

    def sagemaker_model(self) -> None:
        name = self.item.text("name").lower()
        model = self.arn("sagemaker", f"model/{name}")
        # The name ends in a digest of what the model runs: the next version has another.
        scope = self.arn("sagemaker", f"model/{name.rsplit('-', 1)[0]}-*")
        rt = "aws_sagemaker_model"
        self.writes(
            rt,
            "sagemaker:CreateModel sagemaker:AddTags sagemaker:DeleteTags sagemaker:DeleteModel",
            model,
            scope=scope,
        )
        self.add(rt, "sagemaker:DescribeModel sagemaker:ListTags", model, write=False, scope=scope)
        self.pass_role(rt, self.item.text("execution_role_arn"), "sagemaker.amazonaws.com")
        package = self.item.inputs.get("model_package_arn")
        if isinstance(package, str):
            group = package.split(":", 5)[5].split("/")[1]
            owner = package.split(":")[4]
            self.add(
                rt,
                "sagemaker:CreateModel sagemaker:DescribeModelPackage",
                package,
                write=True,
                scope=arns.model_packages(self.region, owner, group),
                resource_account=owner,
            )

    def sagemaker_endpoint(self) -> None:
        name = self.item.text("name").lower()
        config_name = self.item.text("config_name").lower()
        endpoint = self.arn("sagemaker", f"endpoint/{name}")
        config = self.arn("sagemaker", f"endpoint-config/{config_name}")
        config_scope = self.arn("sagemaker", f"endpoint-config/{config_name.rsplit('-', 1)[0]}-*")
        rt = "aws_sagemaker_endpoint_configuration"
        self.writes(
            rt,
            "sagemaker:CreateEndpointConfig sagemaker:AddTags sagemaker:DeleteTags "
            "sagemaker:DeleteEndpointConfig",
            config,
            scope=config_scope,
        )
        self.add(
            rt,
            "sagemaker:DescribeEndpointConfig sagemaker:ListTags",
            config,
            write=False,
            scope=config_scope,
        )
        rt = "aws_sagemaker_endpoint"
        self.writes(
            rt,
            "sagemaker:CreateEndpoint sagemaker:UpdateEndpoint sagemaker:AddTags "
            "sagemaker:DeleteTags sagemaker:DeleteEndpoint",
            endpoint,
        )
        self.writes(
            rt, "sagemaker:CreateEndpoint sagemaker:UpdateEndpoint", config, scope=config_scope
        )
        self.reads(rt, "sagemaker:DescribeEndpoint sagemaker:ListTags", endpoint)
        if self.item.has("kms_key_arn"):
            # The key of the volumes must let the caller of CreateEndpoint use it (it creates a
            # grant for the instances); CreateEndpointConfig API reference, KmsKeyId.
            key = self.arn("kms", "key/" + _placeholder_id("", name, "volumes", width=32))
            self.tagged(rt, "kms:CreateGrant kms:DescribeKey", key, self.arn("kms", "key/*"), True)

    def registry_credentials(self) -> None:
        functions = self.item.inputs["functions"]
        assert isinstance(functions, Mapping)
        for fn, spec in sorted(functions.items()):
            function = arns.lambda_function(self.region, self.account, fn)
            group = arns.log_group(self.region, self.account, f"/aws/lambda/{fn}")
            rt = "aws_cloudwatch_log_group"
            for arn in (group, f"{group}:*"):
                self.writes(
                    rt,
                    "logs:CreateLogGroup logs:TagResource logs:TagLogGroup "
                    "logs:PutRetentionPolicy logs:DeleteRetentionPolicy logs:UntagResource "
                    "logs:UntagLogGroup logs:DeleteLogGroup",
                    arn,
                )
                self.reads(rt, "logs:ListTagsForResource logs:ListTagsLogGroup", arn)
            self.reads(rt, "logs:DescribeLogGroups", self.arn("logs", "log-group:*"))
            rt = "aws_lambda_function"
            self.writes(
                rt,
                "lambda:CreateFunction lambda:TagResource lambda:UntagResource "
                "lambda:UpdateFunctionCode lambda:UpdateFunctionConfiguration "
                "lambda:PutFunctionConcurrency lambda:DeleteFunctionConcurrency "
                "lambda:DeleteFunction",
                function,
            )
            self.reads(
                rt,
                "lambda:GetFunction lambda:GetFunctionConfiguration "
                "lambda:ListVersionsByFunction lambda:GetFunctionCodeSigningConfig "
                "lambda:ListTags",
                function,
            )
            self.pass_role(rt, str(spec["role_arn"]), "lambda.amazonaws.com")
        vpc_id = self.item.text("vpc_id")
        vpc = self.arn("ec2", f"vpc/{vpc_id}")
        sg = self.arn("ec2", "security-group/" + _placeholder_id("sg-", self.item.name))
        sgs = self.arn("ec2", "security-group/*")
        create_conds, create_ctx = self.request_tags()
        rt = "aws_security_group"
        self.writes(rt, "ec2:CreateSecurityGroup", vpc)
        self.add(
            rt,
            "ec2:CreateSecurityGroup",
            sgs,
            write=True,
            conditions=create_conds,
            context=create_ctx,
        )
        self.add(
            rt,
            "ec2:CreateTags",
            sg,
            write=True,
            scope=sgs,
            conditions=(Condition("StringEquals", "ec2:CreateAction", ("CreateSecurityGroup",)),),
            context={"ec2:CreateAction": ("CreateSecurityGroup",)},
        )
        self.tagged(
            rt,
            "ec2:RevokeSecurityGroupEgress ec2:CreateTags ec2:DeleteTags ec2:DeleteSecurityGroup",
            sg,
            sgs,
            write=True,
        )
        self.reads(rt, "ec2:DescribeSecurityGroups ec2:DescribeNetworkInterfaces")
        rt = "aws_vpc_security_group_ingress_rule"
        self.tagged(
            rt,
            "ec2:AuthorizeSecurityGroupIngress ec2:RevokeSecurityGroupIngress "
            "ec2:ModifySecurityGroupRules",
            sg,
            sgs,
            write=True,
        )
        rules = self.arn("ec2", "security-group-rule/*")
        self.add(
            rt,
            "ec2:AuthorizeSecurityGroupIngress",
            rules,
            write=True,
            conditions=create_conds,
            context=create_ctx,
        )
        self.add(
            rt,
            "ec2:CreateTags",
            rules,
            write=True,
            conditions=(
                Condition("StringEquals", "ec2:CreateAction", ("AuthorizeSecurityGroupIngress",)),
            ),
            context={"ec2:CreateAction": ("AuthorizeSecurityGroupIngress",)},
        )
        rule = self.arn("ec2", "security-group-rule/" + _placeholder_id("sgr-", self.item.name))
        self.tagged(rt, "ec2:CreateTags ec2:DeleteTags", rule, rules, write=True)
        self.reads(rt, "ec2:DescribeSecurityGroupRules")
        rt = "aws_vpc_endpoint"
        endpoints = self.arn("ec2", "vpc-endpoint/*")
        endpoint = self.arn("ec2", "vpc-endpoint/" + _placeholder_id("vpce-", self.item.name))
        self.add(
            rt,
            "ec2:CreateVpcEndpoint",
            endpoints,
            write=True,
            conditions=create_conds,
            context=create_ctx,
        )
        self.writes(rt, "ec2:CreateVpcEndpoint", vpc)
        subnets = self.item.inputs["subnet_ids"]
        assert isinstance(subnets, list)
        for subnet in subnets:
            self.writes(rt, "ec2:CreateVpcEndpoint", self.arn("ec2", f"subnet/{subnet}"))
        self.tagged(rt, "ec2:CreateVpcEndpoint", sg, sgs, write=True)
        self.add(
            rt,
            "ec2:CreateTags",
            endpoint,
            write=True,
            scope=endpoints,
            conditions=(Condition("StringEquals", "ec2:CreateAction", ("CreateVpcEndpoint",)),),
            context={"ec2:CreateAction": ("CreateVpcEndpoint",)},
        )
        self.tagged(
            rt,
            "ec2:ModifyVpcEndpoint ec2:DeleteVpcEndpoints ec2:CreateTags ec2:DeleteTags",
            endpoint,
            endpoints,
            write=True,
        )
        self.reads(
            rt,
            "ec2:DescribeVpcEndpoints ec2:DescribeVpcEndpointServices ec2:DescribePrefixLists "
            "ec2:DescribeRegions",
        )

    def jumpstart(self) -> None:
        portfolio = self.arn("catalog", f"portfolio/{self.item.text('portfolio_id')}")
        rt = "aws_sagemaker_servicecatalog_portfolio_status"
        self.writes(
            rt,
            "sagemaker:EnableSagemakerServicecatalogPortfolio "
            "sagemaker:DisableSagemakerServicecatalogPortfolio",
            "*",
        )
        self.reads(
            rt,
            "sagemaker:GetSagemakerServicecatalogPortfolioStatus "
            "servicecatalog:ListAcceptedPortfolioShares",
        )
        self.writes(rt, "servicecatalog:AcceptPortfolioShare", portfolio)
        rt = "aws_servicecatalog_principal_portfolio_association"
        self.writes(
            rt,
            "servicecatalog:AssociatePrincipalWithPortfolio "
            "servicecatalog:DisassociatePrincipalFromPortfolio",
            portfolio,
        )
        self.reads(rt, "servicecatalog:ListPrincipalsForPortfolio", portfolio)


# Module kind -> the Terraform resource types it declares (tests compare this with the
# modules' main.tf, so a new resource type cannot go without its calls).
RESOURCE_TYPES: dict[str, tuple[str, ...]] = {
    "iam_role": ("aws_iam_role", "aws_iam_role_policy"),
    "kms_key": ("aws_kms_key", "aws_kms_alias", "aws_kms_grant"),
    "artifact_bucket": (
        "aws_s3_bucket",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_policy",
    ),
    "ecr_repository_policy": ("aws_ecr_repository_policy",),
    "model_package_group": (
        "aws_sagemaker_model_package_group",
        "aws_sagemaker_model_package_group_policy",
    ),
    "sagemaker_model": ("aws_sagemaker_model",),
    "sagemaker_endpoint": ("aws_sagemaker_endpoint_configuration", "aws_sagemaker_endpoint"),
    "registry_credentials": (
        "aws_cloudwatch_log_group",
        "aws_lambda_function",
        "aws_security_group",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_endpoint",
    ),
    "jumpstart": (
        "aws_sagemaker_servicecatalog_portfolio_status",
        "aws_servicecatalog_principal_portfolio_association",
    ),
}


def item_calls(env: Environment, item: Managed) -> list[Call]:
    """The requests Terraform makes for one module call."""
    if item.kind not in RESOURCE_TYPES:
        raise KeyError(f"gen bootstrap knows no calls for module kind {item.kind!r}")
    builder = _Calls(env, item)
    getattr(builder, item.kind)()
    return builder.calls


def backend_calls(env: Environment) -> list[Call]:
    """The S3 backend's requests on the state bucket (in the state account)."""
    state = env.topology.state
    if state is None:
        return []
    bucket = arns.bucket(state.bucket)
    key = f"{bucket}/{env.state_key()}"
    scope = f"{bucket}/{state.key_prefix}{env.name}/*"
    out = [Call("backend s3", "s3:ListBucket", bucket, bucket, False)]
    out += [Call("backend s3", a, key, scope, False) for a in ("s3:GetObject",)]
    out += [Call("backend s3", "s3:PutObject", key, scope, True)]
    lock = f"{key}.tflock"
    out += [Call("backend s3", "s3:GetObject", lock, scope, False)]
    out += [Call("backend s3", a, lock, scope, True) for a in ("s3:PutObject", "s3:DeleteObject")]
    return out


def account_calls(env: Environment, items: list[Managed], account: str) -> Iterator[Call]:
    """Every request terraform_role makes in `account`: its items, and the backend's."""
    for item in items:
        if item.account == account:
            yield from item_calls(env, item)
    if env.state_account == account:
        yield from backend_calls(env)
