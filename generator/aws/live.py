"""`gen verify --live`: read back what runs in AWS and compare it with what gen renders.

Every policy the environment manages is read with boto3 in the account that owns it (through
the assumed terraform_role): the bucket policy, the key policies and the grants on the
training key, the repository policies, the model package group policies, each role's inline
and trust policies, the JumpStart portfolio associations, and the models, endpoint
configurations and endpoints. The rendered side is derived from the access model with
`policies.py`, exactly as the renderer does. Both are compared as JSON values, insensitive to
the order of lists and to a one-element list written as its element; the drift is printed per
resource. The live documents then go through the access proofs of `gen verify`.

A value not known before apply (the ARN of a created key) is read from AWS by its alias and
used on both sides. Drift includes what was added by hand: a statement, a grant on the
training key, an inline or attached managed policy on a role gen creates. Not compared: the
bucket's other settings (versioning, encryption, public access block), the credentials Lambda
and its VPC endpoint, and principals associated with the portfolio by others (only gen's are).
A missing repository or group is an error (exit 3); any other missing resource is drift.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from rich.console import Console

from generator.access import policies
from generator.access.paths import AccessPath, Side, access_paths
from generator.iam.document import Document
from generator.proofs.documents import KmsGrant, PolicyDocuments, Source
from generator.topology import arns
from generator.topology.environment import Environment
from generator.topology.model import PrivateImage, Stage

if TYPE_CHECKING:
    from generator.aws.session import Account, Aws
    from generator.proofs.verify import VerifyReport

MISSING = None


# --- comparing JSON values ------------------------------------------------------------------


def canonical(value: Any) -> Any:
    """A JSON value in a form where equal policies are equal: keys sorted, lists sorted and
    without repeats, a one-element list written as its element."""
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        items = {_key(canonical(v)): canonical(v) for v in value}
        ordered = [items[k] for k in sorted(items)]
        return ordered[0] if len(ordered) == 1 else ordered
    return value


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def compact(value: Any) -> str:
    return json.dumps(canonical(value), sort_keys=True, separators=(",", ":"))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def differences(rendered: Any, live: Any, path: str = "") -> list[str]:
    """One line per difference: `-` rendered but not in AWS, `+` in AWS but not rendered,
    `~` a value that differs."""
    r, a = canonical(rendered), canonical(live)
    if r == a:
        return []
    where = path or "resource"
    if r is MISSING:
        return [f"+ {where}: in AWS, gen renders none: {compact(a)}"]
    if a is MISSING:
        return [f"- {where}: rendered, missing in AWS"]
    if isinstance(r, dict) and isinstance(a, dict):
        lines: list[str] = []
        for k in sorted(r.keys() | a.keys()):
            sub = f"{path}.{k}" if path else k
            if k == "Statement":
                lines += _statement_differences(r.get(k, []), a.get(k, []), sub)
            elif k not in a:
                lines.append(f"- {sub}: {compact(r[k])} (rendered, missing in AWS)")
            elif k not in r:
                lines.append(f"+ {sub}: {compact(a[k])} (in AWS, not rendered)")
            else:
                lines += differences(r[k], a[k], sub)
        return lines
    neither_dict = not isinstance(r, dict) and not isinstance(a, dict)
    if neither_dict and (isinstance(r, list) or isinstance(a, list)):
        rs, as_ = _as_list(r), _as_list(a)
        return [f"- {where}: {compact(x)}" for x in rs if x not in as_] + [
            f"+ {where}: {compact(x)}" for x in as_ if x not in rs
        ]
    return [f"~ {where}: rendered {compact(r)}, AWS {compact(a)}"]


def _statement_differences(rendered: Any, live: Any, path: str) -> list[str]:
    rs, as_ = _as_list(rendered), _as_list(live)

    def index(statements: list[Any]) -> dict[str, Any]:
        sids = [s.get("Sid") if isinstance(s, dict) else None for s in statements]
        if all(sids) and len(set(sids)) == len(sids):
            return {str(s["Sid"]): s for s in statements}
        return {_key(s): s for s in statements}

    r_by, a_by = index(rs), index(as_)
    lines: list[str] = []
    for k in sorted(r_by.keys() | a_by.keys()):
        label = f"{path}[{k}]" if not k.startswith("{") else path
        if k not in a_by:
            lines.append(f"- {label}: {compact(r_by[k])} (rendered, missing in AWS)")
        elif k not in r_by:
            lines.append(f"+ {label}: {compact(a_by[k])} (in AWS, not rendered)")
        else:
            lines += differences(r_by[k], a_by[k], label)
    return lines


def policy_json(value: Any) -> Document | None:
    """A policy document as AWS returns it (JSON text, URL-encoded JSON, or already parsed)."""
    if value is None or isinstance(value, dict):
        return value
    text = str(value)
    if text.startswith("%7B") or text.startswith("%7b"):
        text = unquote(text)
    parsed = json.loads(text)
    return parsed if isinstance(parsed, dict) else {"_": parsed}


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """One resource whose live state differs from the rendered one."""

    resource: str
    account: str
    lines: tuple[str, ...]


@dataclass
class LiveReport:
    compared: list[str] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    rendered: PolicyDocuments = field(default_factory=PolicyDocuments)
    live: PolicyDocuments = field(default_factory=PolicyDocuments)
    # Portfolio associations read from AWS: (portfolio ID, principal ARN, where read).
    associations: list[tuple[str, str, Source]] = field(default_factory=list)
    proofs: VerifyReport | None = None


Check = Callable[["Account"], None]


def _role_name(arn: str) -> str:
    return arn.split("/", 1)[1]


class _LiveReader:
    def __init__(self, env: Environment, aws: Aws) -> None:
        self.env = env
        self.t = env.topology
        self.aws = aws
        self.paths: list[AccessPath] = access_paths(env)
        self.report = LiveReport()
        self.plan: dict[str, list[Check]] = {i: [] for i in env.account_ids()}

    # --- recording ---------------------------------------------------------------------------
    def compare(self, resource: str, account: Account, rendered: Any, live: Any) -> None:
        self.report.compared.append(resource)
        lines = differences(rendered, live)
        if lines:
            self.report.drift.append(Drift(resource, account.label, tuple(lines)))

    def source(self, kind: str, name: str, account: Account, call: str) -> None:
        self.report.live.sources[(kind, name)] = Source(f"aws:{account.label}", call)

    def label(self, account_id: str) -> str:
        return f"{' and '.join(self.env.account_names(account_id))} ({account_id})"

    # --- the plan ----------------------------------------------------------------------------
    def build(self) -> None:
        env, t = self.env, self.t
        for arn in policies.rendered_principals(self.paths):
            self.plan[arn.split(":")[4]].append(partial(self.role, arn))
        self.plan[env.bucket_account].append(self.bucket)
        self.plan[env.training_account].append(self.training_key)
        self.plan[env.training_account].append(self.repositories)
        self.plan[env.registry_account].append(self.groups)
        for stage in t.stages:
            self.plan[env.stage_account(stage)].append(partial(self.stage, stage))
        js = t.jumpstart
        if js is not None:
            self.plan[env.account_id(js.account)].append(self.portfolio)

    def run(self, progress: Callable[[str], None] | None) -> LiveReport:
        self.build()
        for account_id, checks in self.plan.items():
            if not checks:
                continue
            label = self.label(account_id)
            if progress is not None:
                progress(label)
            account = self.aws.account(account_id, self.env.terraform_role_arn(account_id), label)
            for check in checks:
                check(account)
        return self.report

    # --- roles -------------------------------------------------------------------------------
    def created(self, arn: str) -> bool:
        env = self.env
        existing_training = arn == env.training_role_arn and self.t.training.existing_role
        return not (existing_training or arn == env.deployment_role_arn)

    def role(self, arn: str, account: Account) -> None:
        iam = account.iam()
        name = _role_name(arn)
        policy_name = f"gen-{self.env.name}"
        inline = policies.identity_policy(self.paths, arn)
        self.report.rendered.identity[arn] = [inline]
        created = self.created(arn)
        trust = policies.trust_policy(self.paths, arn) if created else None
        if trust is not None:
            self.report.rendered.trust[arn] = trust
        role = account.find(
            f"reading role {name}", partial(iam.get_role, RoleName=name), missing={"NoSuchEntity"}
        )
        what = f"inline policy {policy_name} of role {arn}"
        if role is None:
            self.compare(f"role {arn}", account, {"RoleName": name}, MISSING)
            return
        names = account.call(
            f"listing the inline policies of {name}",
            lambda: [
                n
                for page in iam.get_paginator("list_role_policies").paginate(RoleName=name)
                for n in page["PolicyNames"]
            ],
        )
        documents: dict[str, Document] = {}
        for policy in sorted(names):
            answer = account.find(
                f"reading inline policy {policy} of role {name}",
                partial(iam.get_role_policy, RoleName=name, PolicyName=policy),
                missing={"NoSuchEntity"},
            )
            parsed = policy_json(answer["PolicyDocument"]) if answer else None
            if parsed is not None:
                documents[policy] = parsed
        # A role gen creates is all gen's: every inline policy on it counts for the proofs.
        # Of a role that exists outside gen, only the policy gen adds is gen's side.
        ours = sorted(documents) if created else [n for n in documents if n == policy_name]
        self.report.live.identity[arn] = [documents[n] for n in ours]
        self.source("identity", arn, account, f"iam:GetRolePolicy {name}")
        self.compare(what, account, inline, documents.get(policy_name))
        if not created:
            return
        live_trust = policy_json(role["Role"].get("AssumeRolePolicyDocument"))
        if live_trust is not None:
            self.report.live.trust[arn] = live_trust
            self.source("trust", arn, account, f"iam:GetRole {name}")
        self.compare(f"trust policy of role {arn}", account, trust, live_trust)
        attached = account.call(
            f"listing the managed policies attached to {name}",
            lambda: [
                p["PolicyArn"]
                for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
                for p in page["AttachedPolicies"]
            ],
        )
        self.compare(
            f"policies of role {arn}",
            account,
            {"InlinePolicies": [policy_name], "AttachedPolicies": []},
            {"InlinePolicies": sorted(names), "AttachedPolicies": sorted(attached)},
        )

    # --- bucket ------------------------------------------------------------------------------
    def bucket(self, account: Account) -> None:
        bucket = self.env.bucket_name
        rendered = policies.bucket_policy(self.paths, bucket)
        self.report.rendered.bucket[bucket] = rendered
        s3 = account.s3()
        answer = account.find(
            f"reading the policy of bucket {bucket}",
            partial(s3.get_bucket_policy, Bucket=bucket),
            missing={"NoSuchBucketPolicy", "NoSuchBucket"},
        )
        live = policy_json(answer["Policy"]) if answer else None
        if live is not None:
            self.report.live.bucket[bucket] = live
            self.source("bucket", bucket, account, f"s3:GetBucketPolicy {bucket}")
        self.compare(f"bucket policy of {bucket}", account, rendered, live)

    # --- keys --------------------------------------------------------------------------------
    def key_arn(self, account: Account, alias: str) -> str | None:
        kms = account.kms()
        found = account.find(
            f"reading the key alias/{alias}",
            partial(kms.describe_key, KeyId=f"alias/{alias}"),
            missing={"NotFoundException"},
        )
        return str(found["KeyMetadata"]["Arn"]) if found else None

    def key_policy(self, account: Account, name: str, key_arn: str, rendered: Document) -> None:
        kms = account.kms()
        self.report.rendered.key[name] = rendered
        answer = account.call(
            f"reading the key policy of {key_arn}",
            partial(kms.get_key_policy, KeyId=key_arn, PolicyName="default"),
        )
        live = policy_json(answer.get("Policy"))
        if live is not None:
            self.report.live.key[name] = live
            self.source("key", name, account, f"kms:GetKeyPolicy {key_arn}")
        self.compare(f"key policy of {name} key {key_arn}", account, rendered, live)

    def training_key(self, account: Account) -> None:
        env = self.env
        alias = self.t.training.kms_key.alias
        rendered_grants = [
            {
                "Name": f"{g.name}-{arns.short_hash(g.grantee, length=6)}",
                "GranteePrincipal": g.grantee,
                "Operations": list(g.operations),
            }
            for g in policies.grants(self.paths)
        ]
        for g in rendered_grants:
            self.report.rendered.grants.append(
                KmsGrant(
                    "training",
                    str(g["Name"]),
                    str(g["GranteePrincipal"]),
                    tuple(g["Operations"]),
                    Source("rendered", "policies.grants"),
                )
            )
        key_arn = self.t.training.kms_key.arn or self.key_arn(account, alias)
        if key_arn is None:
            self.compare(f"training output key alias/{alias}", account, {"alias": alias}, MISSING)
            return
        if env.key_is_created:
            rendered = policies.key_policy(self.paths, env.training_account)
            self.key_policy(account, "training", key_arn, rendered)
        kms = account.kms()
        grants = account.call(
            f"listing the grants on {key_arn}",
            lambda: [
                g
                for page in kms.get_paginator("list_grants").paginate(KeyId=key_arn)
                for g in page["Grants"]
            ],
        )
        live_grants: list[dict[str, Any]] = []
        for grant in grants:
            entry: dict[str, Any] = {
                "Name": grant.get("Name", ""),
                "GranteePrincipal": grant.get("GranteePrincipal", ""),
                "Operations": sorted(grant.get("Operations", [])),
            }
            live_grants.append(entry)
            self.report.live.grants.append(
                KmsGrant(
                    "training",
                    str(entry["Name"]),
                    str(entry["GranteePrincipal"]),
                    tuple(entry["Operations"]),
                    Source(f"aws:{account.label}", f"kms:ListGrants {key_arn}"),
                )
            )
        self.compare(
            f"grants on the training output key {key_arn}",
            account,
            {"Grants": rendered_grants},
            {"Grants": live_grants},
        )

    # --- repositories and groups -------------------------------------------------------------
    def repositories(self, account: Account) -> None:
        from generator.aws.session import require_ecr_repository

        ecr = account.ecr()
        for repo in self.t.training.image_repositories:
            rendered: Document | None = policies.ecr_repository_policy(self.paths, repo)
            if rendered is not None and not rendered["Statement"]:
                rendered = None  # gen renders no policy for it
            else:
                self.report.rendered.ecr[repo] = rendered or {}
            require_ecr_repository(account, ecr, repo)
            answer = account.find(
                f"reading the policy of ECR repository {repo}",
                partial(ecr.get_repository_policy, repositoryName=repo),
                missing={"RepositoryPolicyNotFoundException"},
            )
            live = policy_json(answer["policyText"]) if answer else None
            if live is not None:
                self.report.live.ecr[repo] = live
                self.source("ecr", repo, account, f"ecr:GetRepositoryPolicy {repo}")
            self.compare(f"repository policy of {repo}", account, rendered, live)

    def groups(self, account: Account) -> None:
        from generator.aws.session import require_model_package_group

        sm = account.sagemaker()
        for group in self.t.registry.model_package_groups:
            rendered = policies.model_package_group_policy(self.paths, group)
            self.report.rendered.groups[group] = rendered
            require_model_package_group(account, sm, group)
            answer = account.find(
                f"reading the resource policy of model package group {group}",
                partial(sm.get_model_package_group_policy, ModelPackageGroupName=group),
            )
            live = policy_json(answer["ResourcePolicy"]) if answer else None
            if live is not None:
                self.report.live.groups[group] = live
                self.source(
                    "groups", group, account, f"sagemaker:GetModelPackageGroupPolicy {group}"
                )
            self.compare(f"resource policy of model package group {group}", account, rendered, live)

    # --- stages ------------------------------------------------------------------------------
    def stage(self, stage: Stage, account: Account) -> None:
        env = self.env
        volume_arn: str | None = None
        if any(env.needs_volume_key(stage, e) for e in stage.endpoints):
            alias = env.volume_key_alias(stage)
            volume_arn = self.key_arn(account, alias)
            if volume_arn is None:
                self.compare(f"endpoint volume key alias/{alias}", account, {"alias": alias}, None)
            else:
                rendered = policies.key_policy([], account.account_id)
                self.key_policy(account, alias, volume_arn, rendered)
        sm = account.sagemaker()
        for model_name in stage.models:
            name = env.sagemaker_model_name(stage, model_name)
            answer = account.find(
                f"reading model {name}", partial(sm.describe_model, ModelName=name)
            )
            rendered_model = expected_model(env, stage, model_name)
            self.compare(
                f"model {name}", account, rendered_model, live_model(answer, rendered_model)
            )
        for endpoint in stage.endpoints:
            config = env.endpoint_config_name(stage, endpoint)
            rendered_config = expected_endpoint_config(env, stage, endpoint, volume_arn)
            found = account.find(
                f"reading endpoint configuration {config}",
                partial(sm.describe_endpoint_config, EndpointConfigName=config),
            )
            live_config: dict[str, Any] | None = None
            if found is not None:
                live_config = {
                    "ProductionVariants": [
                        {k: v.get(k) for k in _VARIANT_KEYS} for v in found["ProductionVariants"]
                    ],
                }
                if found.get("KmsKeyId"):
                    live_config["KmsKeyId"] = self.resolve_key(account, str(found["KmsKeyId"]))
            self.compare(f"endpoint configuration {config}", account, rendered_config, live_config)
            running = account.find(
                f"reading endpoint {endpoint}", partial(sm.describe_endpoint, EndpointName=endpoint)
            )
            self.compare(
                f"endpoint {endpoint}",
                account,
                {"EndpointConfigName": config},
                {"EndpointConfigName": running["EndpointConfigName"]} if running else None,
            )

    def resolve_key(self, account: Account, key: str) -> str:
        if key.startswith("arn:") and ":key/" in key:
            return key
        kms = account.kms()
        found = account.find(
            f"reading the key {key}",
            partial(kms.describe_key, KeyId=key),
            missing={"NotFoundException"},
        )
        return str(found["KeyMetadata"]["Arn"]) if found else key

    # --- JumpStart ---------------------------------------------------------------------------
    def portfolio(self, account: Account) -> None:
        js = self.t.jumpstart
        assert js is not None
        associations = [p for p in self.paths if p.side is Side.PORTFOLIO_ASSOCIATION]
        if not associations:
            return
        portfolio = associations[0].document.split(":", 1)[1]
        rendered = sorted({p.principal.arn for p in associations})
        sc = account.servicecatalog()
        live = account.call(
            f"listing the principals of portfolio {portfolio}",
            lambda: sorted(
                {
                    str(p["PrincipalARN"])
                    for page in sc.get_paginator("list_principals_for_portfolio").paginate(
                        PortfolioId=portfolio
                    )
                    for p in page.get("Principals", [])
                }
            ),
        )
        where = Source(
            f"aws:{account.label}", f"servicecatalog:ListPrincipalsForPortfolio {portfolio}"
        )
        self.report.associations += [(portfolio, arn, where) for arn in live]
        # Other principals (a Studio domain's own role, ...) are not gen's: only those it
        # associates are compared.
        self.compare(
            f"principals of portfolio {portfolio}",
            account,
            {"PrincipalARNs": rendered},
            {"PrincipalARNs": [a for a in live if a in rendered]},
        )


_VARIANT_KEYS = (
    "VariantName",
    "ModelName",
    "InstanceType",
    "InitialInstanceCount",
    "InitialVariantWeight",
)
_CONTAINER_KEYS = ("ModelPackageName", "Image", "ModelDataUrl", "ImageConfig")


def expected_model(env: Environment, stage: Stage, model_name: str) -> dict[str, Any]:
    """The model as modules/sagemaker_model creates it from the root's inputs."""
    model = stage.models[model_name]
    container: dict[str, Any] = {}
    if model.model_package is not None:
        container["ModelPackageName"] = env.model_package_arn(model)
    else:
        container["Image"] = env.image_uri(model)
        container["ModelDataUrl"] = env.model_data_url(model)
    if isinstance(model.image, PrivateImage):
        provider = env.credentials_function_arn(stage, model.image.credentials_secret)
        container["ImageConfig"] = {
            "RepositoryAccessMode": "Vpc",
            "RepositoryAuthConfig": {"RepositoryCredentialsProviderArn": provider},
        }
    doc: dict[str, Any] = {
        "ExecutionRoleArn": env.execution_role_arn(stage),
        "PrimaryContainer": container,
        "EnableNetworkIsolation": True,  # the module's default; the root does not set it
    }
    if stage.network is not None:
        doc["VpcConfig"] = {
            "Subnets": list(stage.network.subnet_ids),
            "SecurityGroupIds": list(stage.network.security_group_ids),
        }
    return doc


def live_model(answer: Any, rendered: dict[str, Any]) -> dict[str, Any] | None:
    if answer is None:
        return None
    container = {k: answer.get("PrimaryContainer", {}).get(k) for k in _CONTAINER_KEYS}
    if "ModelPackageName" in rendered["PrimaryContainer"] and container.get("ModelPackageName"):
        # AWS may fill in the image and artifact of a model package: the package decides them.
        container.pop("Image", None)
        container.pop("ModelDataUrl", None)
    doc: dict[str, Any] = {
        "ExecutionRoleArn": answer.get("ExecutionRoleArn"),
        "PrimaryContainer": {k: v for k, v in container.items() if v is not None},
        "EnableNetworkIsolation": bool(answer.get("EnableNetworkIsolation", False)),
    }
    if answer.get("VpcConfig"):
        vpc = answer["VpcConfig"]
        doc["VpcConfig"] = {
            "Subnets": list(vpc.get("Subnets", [])),
            "SecurityGroupIds": list(vpc.get("SecurityGroupIds", [])),
        }
    return doc


def expected_endpoint_config(
    env: Environment, stage: Stage, endpoint: str, volume_key_arn: str | None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "ProductionVariants": [
            {
                "VariantName": v.name,
                "ModelName": env.sagemaker_model_name(stage, v.model),
                "InstanceType": v.instance_type,
                "InitialInstanceCount": v.instance_count,
                "InitialVariantWeight": v.weight,
            }
            for v in stage.endpoints[endpoint].variants
        ]
    }
    if env.needs_volume_key(stage, endpoint):
        doc["KmsKeyId"] = volume_key_arn or f"alias/{env.volume_key_alias(stage)}"
    return doc


def read_live(
    env: Environment, aws: Aws, progress: Callable[[str], None] | None = None
) -> LiveReport:
    """Read every managed document and resource from AWS and compare it with the rendered
    one. Raises AwsError (exit 3) on the failures a user can meet."""
    return _LiveReader(env, aws).run(progress)


# --- the access proofs -----------------------------------------------------------------------


def run_proofs(env: Environment, report: LiveReport) -> VerifyReport:
    """The access proofs of `gen verify`, on the documents read from AWS."""
    from generator.proofs.verify import Association, verify_documents

    associations = [Association(p, arn, where) for p, arn, where in report.associations]
    js = env.topology.jumpstart
    return verify_documents(
        env,
        access_paths(env),
        report.live,
        associations=associations if js is not None else None,
    )


# --- the command -----------------------------------------------------------------------------


def print_proofs(proofs: VerifyReport, console: Console) -> None:
    console.print("access proofs on the live documents:", markup=False)
    for line in proofs.summary_lines():
        console.print(line, markup=False)


def print_report(report: LiveReport, console: Console) -> None:
    for drift in report.drift:
        console.print(f"drift: {drift.resource} in {drift.account}", markup=False)
        for line in drift.lines:
            console.print(f"  {line}", markup=False)
    n, d = len(report.compared), len(report.drift)
    console.print(
        f"{n} resources compared with AWS: " + (f"{d} drifted" if d else "no drift"),
        markup=False,
    )


def run_live(
    env_dir: Path,
    *,
    profile: str | None = None,
    endpoint_url: str | None = None,
    console: Console | None = None,
    progress_console: Console | None = None,
    aws: Aws | None = None,
) -> int:
    """`gen verify --live ENV_DIR`: print the drift per resource, then the access proofs on
    the live documents. Returns the exit code: 0 when nothing drifted and every proof holds,
    1 otherwise. AWS failures raise AwsError (exit code 3)."""
    from generator.aws.progress import account_progress
    from generator.aws.session import Aws, AwsSettings
    from generator.console import plain_console
    from generator.render.pipeline import read_environment

    out = console or plain_console()
    bar_console = progress_console or plain_console(stderr=True)
    env = read_environment(env_dir)
    if aws is None:
        settings = AwsSettings.from_environment(
            env.region, f"gen-{env.name}", profile, endpoint_url
        )
        aws = Aws(settings)
    with account_progress(bar_console, len(env.account_ids()), "reading") as step:
        report = read_live(env, aws, progress=step)
    print_report(report, out)
    report.proofs = run_proofs(env, report)
    print_proofs(report.proofs, out)
    return 1 if report.drift or not report.proofs.ok else 0
