"""Environment + access paths -> the blocks of the Terraform root (pure; no I/O).

Order is explicit: every resource policy that names a role depends on that role's module;
every model waits for all the policies it relies on plus `time_sleep.iam_propagation`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.access import policies
from generator.access.paths import AccessPath, Side, access_paths
from generator.errors import PoliciesTooLargeError, PolicyTooLargeError
from generator.iam.document import LIMITS, Document, check_size
from generator.render.hcl import Block, Expr, JsonEncode
from generator.topology import arns
from generator.topology.environment import Environment
from generator.topology.model import EcrImage, PrivateImage, Stage

IAM_PROPAGATION = "30s"


@dataclass
class RootModule:
    """What the root's main.tf and outputs.tf hold, plus the policy sizes that were checked."""

    blocks: list[Block] = field(default_factory=list)
    outputs: list[Block] = field(default_factory=list)
    uses_archive: bool = False
    sizes: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    paths: list[AccessPath] = field(default_factory=list)


def ident(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts)).lower()


class _Builder:
    def __init__(self, env: Environment, modules_source: str) -> None:
        self.env = env
        self.source = modules_source.rstrip("/")
        self.paths = access_paths(env)
        self.overflows: list[tuple[str, PolicyTooLargeError]] = []
        self.root = RootModule(paths=self.paths)
        # Indexes, so that each policy reads only its own paths (linear in stages).
        self.by_principal: dict[str, list[AccessPath]] = {}
        self.by_document: dict[str, list[AccessPath]] = {}
        for p in self.paths:
            self.by_principal.setdefault(p.principal.arn, []).append(p)
            self.by_document.setdefault(p.document, []).append(p)
        self.execution_roles = {
            env.execution_role_arn(s): s.name for s in reversed(env.topology.stages)
        }
        self.names: set[str] = set()
        self.role_modules: dict[str, str] = {}  # role ARN -> module name
        self.policy_modules: list[str] = []  # everything a model relies on
        t = env.topology
        self.tags = {"Environment": t.environment, "ManagedBy": "gen", **t.tags}
        # A role of exactly one stage (its execution role, its credentials functions' roles)
        # carries that stage's Stage tag, like the stage's other resources.
        role_stages: dict[str, set[str]] = {}
        for stage in t.stages:
            account = env.stage_account(stage)
            stage_roles = [env.execution_role_arn(stage)] + [
                arns.role(account, env.credentials_function_name(stage, secret))
                for secret in env.private_secrets(stage)
            ]
            for arn in stage_roles:
                role_stages.setdefault(arn, set()).add(stage.name)
        self.role_stage = {arn: min(names) for arn, names in role_stages.items() if len(names) == 1}

    def stage_tags(self, stage_name: str) -> dict[str, str]:
        """Environment, Stage, ManagedBy, then the topology's own tags."""
        t = self.env.topology
        return {"Environment": t.environment, "Stage": stage_name, "ManagedBy": "gen", **t.tags}

    # -- helpers ------------------------------------------------------------------------------
    def unique(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self.names:
            candidate, n = f"{name}_{n}", n + 1
        self.names.add(candidate)
        return candidate

    def provider(self, account_id: str) -> dict[str, Expr]:
        return {"aws": Expr(f"aws.{self.env.provider_alias(account_id)}")}

    def module(
        self,
        name: str,
        kind: str,
        account_id: str,
        inputs: Sequence[tuple[str, Any]],
        depends_on: Sequence[str] = (),
        comment: str = "",
        extra_providers: dict[str, Expr] | None = None,
    ) -> str:
        providers: dict[str, Expr] = {**self.provider(account_id), **(extra_providers or {})}
        groups: list[tuple[tuple[str, Any], ...]] = [
            (("source", self.module_source(kind)), ("providers", providers)),
            tuple(inputs),
        ]
        deps = sorted(set(depends_on))
        if deps:
            groups.append((("depends_on", [Expr(d) for d in deps]),))
        self.root.blocks.append(Block("module", (name,), tuple(groups), comment=comment))
        return name

    def module_source(self, kind: str) -> str:
        """The source of module `kind`; a query (git::...//modules?ref=v1) stays at the end."""
        base, question, query = self.source.partition("?")
        return f"{base.rstrip('/')}/{kind}{question}{query}"

    def role_deps(self, principal_arns: Sequence[str]) -> list[str]:
        return [f"module.{self.role_modules[a]}" for a in principal_arns if a in self.role_modules]

    def principals_of(self, document: str) -> list[str]:
        """The principals a document names (not those it admits by organization path)."""
        return sorted(
            {p.principal.arn for p in self.by_document.get(document, []) if not p.admitted_by_org}
        )

    def size(self, name: str, kind: str, *documents: Document) -> None:
        """Record a policy's size; an overflow is kept, and all are raised after the build."""
        limit, unit = LIMITS[kind]
        try:
            self.root.sizes[name] = (check_size(name, kind, documents), limit, unit)
        except PolicyTooLargeError as exc:
            self.root.sizes[name] = (exc.size, limit, unit)
            self.overflows.append((kind, exc))

    def raise_overflows(self) -> None:
        if not self.overflows:
            return
        org = self.env.topology.organization
        resource_side = {k for k, _ in self.overflows} - {"role_inline_policies", "trust_policy"}
        if resource_side and (org is None or not org.workload_ou_paths):
            advice = (
                "these resource policies name every stage's role; set organization.id and "
                "organization.workload_ou_paths in topology.yaml so they admit the stage roles "
                "by aws:PrincipalOrgPaths and role name instead (one statement at any scale), "
                "or split the environment"
            )
        else:
            advice = "split the environment (fewer stages or groups per topology) or shorten names"
        raise PoliciesTooLargeError([e for _, e in self.overflows], advice)

    # -- parts --------------------------------------------------------------------------------
    def build(self) -> RootModule:
        self.roles()
        key_module = self.training_key()
        self.bucket(key_module)
        self.ecr_policies()
        self.groups()
        self.stages()
        self.jumpstart()
        self.outputs(key_module)
        self.raise_overflows()
        return self.root

    def roles(self) -> None:
        env, t = self.env, self.env.topology
        for arn in policies.rendered_principals(self.paths):
            account_id = arn.split(":")[4]
            role_name = arn.split("/", 1)[1]
            created = not (
                (arn == env.training_role_arn and t.training.existing_role)
                or arn == env.deployment_role_arn
            )
            inline = policies.identity_policy(self.by_principal[arn], arn)
            docs = [inline]
            labels = sorted({p.principal.label for p in self.by_principal[arn]})
            name = self.unique(self.role_module_name(arn))
            inputs: list[tuple[str, Any]] = [("name", role_name), ("create_role", created)]
            if created:
                trust = policies.trust_policy(self.by_document.get(f"trust:{arn}", []), arn)
                self.size(f"trust policy of role {role_name} ({account_id})", "trust_policy", trust)
                inputs += [
                    ("description", f"gen ({t.environment}): {', '.join(labels)}"),
                    ("trust_policy", JsonEncode(trust)),
                ]
            self.size(
                f"inline policies of role {role_name} ({account_id})", "role_inline_policies", *docs
            )
            inputs += [("policy_name", f"gen-{t.environment}"), ("policy", JsonEncode(inline))]
            if created:
                stage_name = self.role_stage.get(arn)
                inputs.append(("tags", self.stage_tags(stage_name) if stage_name else self.tags))
            self.role_modules[arn] = name
            self.policy_modules.append(f"module.{name}")
            self.module(name, "iam_role", account_id, inputs, comment="; ".join(labels))

    def role_module_name(self, arn: str) -> str:
        env = self.env
        if arn == env.training_role_arn:
            return "role_training"
        if arn == env.deployment_role_arn:
            return "role_deployment"
        if arn in self.execution_roles:
            return ident("role", self.execution_roles[arn], "execution")
        return ident("role", arn.split("/", 1)[1])

    def training_key(self) -> str:
        env, t = self.env, self.env.topology
        name = self.unique("kms_training_output")
        grants = {
            g.name + "-" + arns.short_hash(g.grantee, length=6): {
                "grantee_principal": g.grantee,
                "operations": list(g.operations),
            }
            for g in policies.grants(self.paths)
        }
        inputs: list[tuple[str, Any]] = [
            ("create_key", env.key_is_created),
            ("alias", t.training.kms_key.alias),
            ("description", f"gen ({t.environment}): SageMaker training output"),
        ]
        if env.key_is_created:
            policy = policies.key_policy(self.paths, env.training_account)
            self.size("key policy of the training output key", "key_policy", policy)
            inputs.append(("policy", JsonEncode(policy)))
        else:
            inputs.append(("existing_key_arn", t.training.kms_key.arn))
        inputs += [("grants", grants), ("tags", self.tags)]
        named = self.principals_of("key") + [str(g["grantee_principal"]) for g in grants.values()]
        self.policy_modules.append(f"module.{name}")
        return self.module(
            name,
            "kms_key",
            env.training_account,
            inputs,
            self.role_deps(named),
            comment="Training output key: the estimator's output_kms_key. Its key policy and "
            "grants name every consumer.",
        )

    def bucket(self, key_module: str) -> None:
        env, t = self.env, self.env.topology
        policy = policies.bucket_policy(self.paths, env.bucket_name)
        self.size(f"bucket policy of {env.bucket_name}", "bucket_policy", policy)
        created = not t.registry.artifact_bucket.existing
        inputs: list[tuple[str, Any]] = [("bucket", env.bucket_name), ("create_bucket", created)]
        if created:
            inputs.append(("kms_key_arn", Expr(f"module.{key_module}.key_arn")))
        inputs += [("policy", JsonEncode(policy)), ("tags", self.tags)]
        self.policy_modules.append("module.artifact_bucket")
        self.module(
            self.unique("artifact_bucket"),
            "artifact_bucket",
            env.bucket_account,
            inputs,
            self.role_deps(self.principals_of("bucket")),
            comment=f"Artifact bucket s3://{env.bucket_name}/{env.prefix}",
        )

    def ecr_policies(self) -> None:
        env = self.env
        for repo in env.topology.training.image_repositories:
            policy = policies.ecr_repository_policy(self.paths, repo)
            if not policy["Statement"]:
                continue  # nobody outside the owner pulls from it
            self.size(f"repository policy of {repo}", "ecr_repository_policy", policy)
            name = self.unique(ident("ecr_policy", repo))
            self.policy_modules.append(f"module.{name}")
            self.module(
                name,
                "ecr_repository_policy",
                env.training_account,
                [("repository", repo), ("policy", JsonEncode(policy))],
                self.role_deps(self.principals_of(f"ecr:{repo}")),
            )

    def groups(self) -> None:
        env = self.env
        for group in env.topology.registry.model_package_groups:
            policy = policies.model_package_group_policy(self.paths, group)
            self.size(f"resource policy of group {group}", "model_package_group_policy", policy)
            name = self.unique(ident("model_package_group", group))
            self.policy_modules.append(f"module.{name}")
            self.module(
                name,
                "model_package_group",
                env.registry_account,
                [
                    ("name", group),
                    ("description", f"gen ({env.name}): versions of {group}"),
                    ("policy", JsonEncode(policy)),
                    ("tags", self.tags),
                ],
                self.role_deps(self.principals_of(f"group:{group}")),
            )

    def stages(self) -> None:
        env = self.env
        if any(s.models for s in env.topology.stages):
            self.root.blocks.append(
                Block(
                    "resource",
                    ("time_sleep", "iam_propagation"),
                    (
                        (("create_duration", IAM_PROPAGATION),),
                        (("depends_on", [Expr(m) for m in sorted(self.policy_modules)]),),
                    ),
                    comment="IAM and resource policies are eventually consistent: CreateModel "
                    "validates the role's access\nat once, so models wait for every policy "
                    "to propagate.",
                )
            )
        for stage in env.topology.stages:
            self.stage(stage)

    def stage(self, stage: Stage) -> None:
        env = self.env
        account = env.stage_account(stage)
        tags = self.stage_tags(stage.name)
        key = self.unique(ident("kms", stage.name, "endpoint_volumes"))
        volume_policy = policies.key_policy([], account)
        if any(env.needs_volume_key(stage, e) for e in stage.endpoints):
            self.module(
                key,
                "kms_key",
                account,
                [
                    ("alias", env.volume_key_alias(stage)),
                    ("description", f"gen ({env.name}): {stage.name} endpoint storage volumes"),
                    ("policy", JsonEncode(volume_policy)),
                    ("tags", tags),
                ],
                comment=f"Stage {stage.name}: key of the endpoints' ML storage volumes.",
            )
        credentials: dict[str, str] = {}
        secrets = env.private_secrets(stage)
        if secrets and stage.network is not None:
            self.root.uses_archive = True
            creds = self.unique(ident("registry_credentials", stage.name))
            functions = {}
            for secret in secrets:
                fn = env.credentials_function_name(stage, secret)
                fn_role = arns.role(account, fn)
                functions[fn] = {"secret_name": secret, "role_arn": fn_role}
                credentials[secret] = f"module.{creds}.function_arns[{fn!r}]".replace("'", '"')
            self.module(
                creds,
                "registry_credentials",
                account,
                [
                    ("name", f"{env.name}-{stage.name}"),
                    ("functions", functions),
                    ("vpc_id", stage.network.vpc_id),
                    ("subnet_ids", list(stage.network.subnet_ids)),
                    ("client_security_group_ids", list(stage.network.security_group_ids)),
                    *(
                        [("create_lambda_endpoint", False)]
                        if stage.network.lambda_endpoint == "existing"
                        else []
                    ),
                    ("tags", tags),
                ],
                self.role_deps(sorted(v["role_arn"] for v in functions.values())),
                comment=f"Stage {stage.name}: private registry credentials (Lambda), reached "
                "through a VPC interface endpoint.",
                extra_providers={"archive": Expr("archive")},
            )
        model_modules: dict[str, str] = {}
        for model_name, model in stage.models.items():
            name = self.unique(ident("model", stage.name, model_name))
            model_modules[model_name] = name
            inputs: list[tuple[str, Any]] = [
                ("name", env.sagemaker_model_name(stage, model_name)),
                ("execution_role_arn", env.execution_role_arn(stage)),
            ]
            if model.model_package is not None:
                inputs.append(("model_package_arn", env.model_package_arn(model)))
            else:
                inputs += [
                    ("image", env.image_uri(model)),
                    ("model_data_url", env.model_data_url(model)),
                ]
            if isinstance(model.image, PrivateImage):
                inputs.append(
                    ("credentials_provider_arn", Expr(credentials[model.image.credentials_secret]))
                )
            if stage.network is not None:
                inputs.append(
                    (
                        "vpc_config",
                        {
                            "subnet_ids": list(stage.network.subnet_ids),
                            "security_group_ids": list(stage.network.security_group_ids),
                        },
                    )
                )
            inputs.append(("tags", tags))
            source = (
                f"model package {model.model_package.group} v{env.version(model)}"
                if model.model_package is not None
                else "ECR image"
                if isinstance(model.image, EcrImage)
                else "private registry"
            )
            self.module(
                name,
                "sagemaker_model",
                account,
                inputs,
                ["time_sleep.iam_propagation"],
                comment=f"Stage {stage.name}: model {model_name} ({source}).",
            )
        for endpoint_name, endpoint in stage.endpoints.items():
            variants = [
                {
                    "name": v.name,
                    "model_name": Expr(f"module.{model_modules[v.model]}.name"),
                    "instance_type": v.instance_type,
                    "instance_count": v.instance_count,
                    "weight": v.weight,
                }
                for v in endpoint.variants
            ]
            self.module(
                self.unique(ident("endpoint", stage.name, endpoint_name)),
                "sagemaker_endpoint",
                account,
                [
                    ("name", endpoint_name),
                    ("config_name", env.endpoint_config_name(stage, endpoint_name)),
                    *(
                        [("kms_key_arn", Expr(f"module.{key}.key_arn"))]
                        if env.needs_volume_key(stage, endpoint_name)
                        else [("local_storage", True)]
                    ),
                    ("variants", variants),
                    ("tags", tags),
                ],
                comment=f"Stage {stage.name}: endpoint {endpoint_name}.",
            )

    def jumpstart(self) -> None:
        js = self.env.topology.jumpstart
        if js is None:
            return
        principals = [p for p in self.paths if p.side is Side.PORTFOLIO_ASSOCIATION]
        portfolio = principals[0].document.split(":", 1)[1]
        self.module(
            self.unique("jumpstart"),
            "jumpstart",
            self.env.account_id(js.account),
            [
                ("portfolio_id", portfolio),
                ("principal_arns", sorted(p.principal.arn for p in principals)),
            ],
            comment="JumpStart and Projects for custom execution roles (Service Catalog).",
        )

    def outputs(self, key_module: str) -> None:
        env = self.env

        def output(name: str, description: str, value: Any) -> None:
            self.root.outputs.append(
                Block("output", (name,), ((("description", description), ("value", value)),))
            )

        output(
            "training_output_kms_key_arn",
            "Pass as the estimator's output_kms_key in the training account.",
            Expr(f"module.{key_module}.key_arn"),
        )
        output(
            "artifact_bucket",
            "Where training writes model.tar.gz.",
            f"s3://{env.bucket_name}/{env.prefix}",
        )
        output("training_role_arn", "Role the training jobs run as.", env.training_role_arn)
        output(
            "model_package_group_arns",
            "Model package groups, by name.",
            {g: env.group_arn(g) for g in env.topology.registry.model_package_groups},
        )
        output(
            "endpoint_names",
            "Endpoints, by stage.",
            {s.name: sorted(s.endpoints) for s in env.topology.stages},
        )
        output(
            "execution_role_arns",
            "SageMaker execution role of each stage.",
            {s.name: env.execution_role_arn(s) for s in env.topology.stages},
        )


def build_root(env: Environment, modules_source: str) -> RootModule:
    """The root module of an environment. Raises PoliciesTooLargeError before anything is
    written when a policy exceeds its AWS quota."""
    return _Builder(env, modules_source).build()
