"""`gen discover`: the facts that live only in AWS, read with boto3 into topology.lock.json.

For each account (each distinct ID) gen assumes `terraform_role` as Terraform will, checks
that the role lands in the account the topology names, and reads what only that account
knows:

- registry account: the newest Approved version of every group used as `latest-approved`;
  the approval status of every pinned version (pending or rejected: a warning);
- training account: the key behind `training.kms_key.alias` (and that it is the ARN the
  topology gives); that every repository exists and every ECR digest is in its repository;
- JumpStart account: the SageMaker portfolio (the accepted share whose provider is "Amazon
  SageMaker") when the topology has no `portfolio_id`;
- every account: that the roles the topology says exist (terraform_role, an existing training
  role, the deployment role, the JumpStart custom roles) do.

The result is a list of facts (the lock) and of findings (errors and warnings, each located
at the topology field it is about). Nothing here writes files or prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from generator.errors import Problem, TopologyError
from generator.render.pipeline import TOPOLOGY_FILE
from generator.topology import arns, textfile
from generator.topology.environment import Environment
from generator.topology.load import load_topology
from generator.topology.lockfile import (
    ACCOUNT_ID,
    IMAGE_DIGEST,
    JUMPSTART_PORTFOLIO_ID,
    KEY_ARN,
    LATEST_APPROVED_VERSION,
    MODEL_PACKAGE_STATUS,
    ROLE_EXISTS,
    Fact,
    Lock,
)
from generator.topology.model import LATEST_APPROVED, EcrImage
from generator.topology.yaml_positions import MAX_BYTES, Located, load_located

if TYPE_CHECKING:
    from generator.aws.session import Account, Aws, Identity

SAGEMAKER_PROVIDER = "Amazon SageMaker"
APPROVED: Final = "Approved"

Severity = Literal["error", "warning"]
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Finding:
    """Something in AWS that disagrees with the topology, located at the field it is about."""

    severity: Severity
    path: FieldPath
    message: str


@dataclass
class Discovery:
    facts: list[Fact] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def lock(self) -> Lock:
        return Lock(tuple(self.facts)).sorted()


class UndiscoveredLock(Lock):
    """Stands in for the lock while `gen discover` runs: the facts it is about to find count
    as known, so that the topology loads (and every other problem is still reported)."""

    def __init__(self) -> None:
        super().__init__(())

    def latest_approved(self, group: str) -> int | None:
        return 1

    def portfolio_id(self, account: str) -> str | None:
        return "port-undiscovered"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def identity_findings(names: list[str], expected_id: str, identity: Identity) -> list[Finding]:
    """The account `terraform_role` really lands in, against the ID the topology gives."""
    if identity.account_id == expected_id:
        return []
    listed = " and ".join(f"'{n}'" for n in names)
    return [
        Finding(
            "error",
            ("accounts", name),
            f"the topology gives {listed} the ID {expected_id}, but terraform_role lands in "
            f"account {identity.account_id} ({identity.arn}): correct the account ID",
        )
        for name in names
    ]


Check = Callable[["Account"], None]


class _Discoverer:
    def __init__(self, env: Environment, aws: Aws, now: str) -> None:
        self.env = env
        self.t = env.topology
        self.aws = aws
        self.now = now
        self.result = Discovery()
        self.plan: dict[str, list[Check]] = {i: [] for i in env.account_ids()}

    # --- recording ---------------------------------------------------------------------------
    def fact(self, kind: str, key: str, value: str | int, source: str) -> None:
        self.result.facts.append(Fact(kind, key, value, source, self.now))

    def finding(self, severity: Severity, path: FieldPath, message: str) -> None:
        self.result.findings.append(Finding(severity, path, message))

    def label(self, account_id: str) -> str:
        return f"{' and '.join(self.env.account_names(account_id))} ({account_id})"

    # --- the plan ----------------------------------------------------------------------------
    def build(self) -> None:
        env, t = self.env, self.t
        for account_id in env.account_ids():
            self.plan[account_id].append(self.identity)
        self.plan[env.registry_account].append(self.versions)
        self.plan[env.training_account].append(self.key)
        self.plan[env.training_account].append(self.images)
        if t.training.existing_role:
            self.plan[env.training_account].append(
                self.role_check(env.training_role_arn, ("training", "existing_role"), "training")
            )
        self.plan[env.deployment_account].append(
            self.role_check(env.deployment_role_arn, ("deployment", "role"), "deployment")
        )
        js = t.jumpstart
        if js is not None:
            account_id = env.account_id(js.account)
            self.plan[account_id].append(self.portfolio)
            for i, name in enumerate(js.custom_execution_roles):
                self.plan[account_id].append(
                    self.role_check(
                        arns.role(account_id, name),
                        ("jumpstart", "custom_execution_roles", i),
                        "JumpStart custom execution",
                    )
                )

    def run(self, progress: Callable[[str], None] | None) -> Discovery:
        self.build()
        for account_id, checks in self.plan.items():
            label = self.label(account_id)
            if progress is not None:
                progress(label)
            account = self.aws.account(account_id, self.env.terraform_role_arn(account_id), label)
            for check in checks:
                check(account)
        self.result.findings.sort()
        return self.result

    # --- every account -----------------------------------------------------------------------
    def identity(self, account: Account) -> None:
        from generator.aws.session import Identity

        answer = account.call(
            "checking the account terraform_role lands in (sts:GetCallerIdentity)",
            lambda: account.sts().get_caller_identity(),
        )
        identity = Identity(answer["Account"], answer["Arn"])
        names = self.env.account_names(account.account_id)
        problems = identity_findings(names, account.account_id, identity)
        self.result.findings.extend(problems)
        if problems:
            return
        source = f"sts:GetCallerIdentity as {account.role_arn}"
        for name in names:
            self.fact(ACCOUNT_ID, name, identity.account_id, source)
        role = account.find(
            f"reading terraform_role {self.t.terraform_role}",
            lambda: account.iam().get_role(RoleName=self.t.terraform_role),
            missing={"NoSuchEntity"},
        )
        if role is None:
            for name in names:
                self.finding(
                    "error",
                    ("accounts", name),
                    f"account {account.account_id} has no role {self.t.terraform_role} "
                    f"(terraform_role): is {account.account_id} the right ID for '{name}'?",
                )
            return
        self.fact(
            ROLE_EXISTS, account.role_arn, role["Role"]["RoleId"], f"iam:GetRole in {account.label}"
        )

    def role_check(self, role_arn: str, path: FieldPath, what: str) -> Check:
        def check(account: Account) -> None:
            name = role_arn.split("/", 1)[1]
            role = account.find(
                f"reading the {what} role {name}",
                lambda: account.iam().get_role(RoleName=name),
                missing={"NoSuchEntity"},
            )
            if role is None:
                self.finding(
                    "error",
                    path,
                    f"the {what} role {name} does not exist in {account.label}: the topology "
                    "says it exists already; create it, or correct the name",
                )
                return
            self.fact(
                ROLE_EXISTS, role_arn, role["Role"]["RoleId"], f"iam:GetRole in {account.label}"
            )

        return check

    # --- registry ----------------------------------------------------------------------------
    def _model_refs(self) -> Iterator[tuple[FieldPath, str, int | str]]:
        for i, stage in enumerate(self.t.stages):
            for name, model in stage.models.items():
                if model.model_package is not None:
                    path: FieldPath = ("stages", i, "models", name, "model_package", "version")
                    yield path, model.model_package.group, model.model_package.version

    def versions(self, account: Account) -> None:
        from generator.aws.session import require_model_package_group

        refs = list(self._model_refs())
        sm = account.sagemaker()
        for group in sorted({g for _, g, _ in refs}):
            require_model_package_group(account, sm, group)
        latest_groups = sorted({g for _, g, v in refs if v == LATEST_APPROVED})
        for group in latest_groups:
            latest = self._latest_approved(account, group)
            if latest is None:
                for path, g, v in refs:
                    if g == group and v == LATEST_APPROVED:
                        self.finding(
                            "error",
                            path,
                            f"group {group} has no Approved version in {account.label}: approve "
                            "one (sagemaker:UpdateModelPackage) or pin a version number",
                        )
                continue
            self.fact(
                LATEST_APPROVED_VERSION,
                group,
                latest,
                f"sagemaker:ListModelPackages in {account.label}",
            )
        pinned: dict[tuple[str, int], list[FieldPath]] = {}
        for path, g, v in refs:
            if isinstance(v, int):
                pinned.setdefault((g, v), []).append(path)
        for (group, version), paths in sorted(pinned.items()):
            arn = arns.model_package(self.env.region, account.account_id, group, version)
            package = account.find(
                f"reading version {version} of model package group {group}",
                partial(sm.describe_model_package, ModelPackageName=arn),
            )
            if package is None:
                for path in paths:
                    self.finding(
                        "error",
                        path,
                        f"version {version} of group {group} does not exist in {account.label}: "
                        "pin a version that does",
                    )
                continue
            status = str(package.get("ModelApprovalStatus", "unknown"))
            self.fact(
                MODEL_PACKAGE_STATUS,
                f"{group}/{version}",
                status,
                f"sagemaker:DescribeModelPackage in {account.label}",
            )
            if status != APPROVED:
                for path in paths:
                    self.finding(
                        "warning",
                        path,
                        f"version {version} of group {group} is {status}, not Approved: approve "
                        "it before it is deployed, or pin an approved version",
                    )

    def _latest_approved(self, account: Account, group: str) -> int | None:
        sm = account.sagemaker()

        def newest() -> int | None:
            best: int | None = None
            pages = sm.get_paginator("list_model_packages").paginate(
                ModelPackageGroupName=group,
                ModelApprovalStatus=APPROVED,
                ModelPackageType="Versioned",
                SortBy="CreationTime",
                SortOrder="Descending",
            )
            for page in pages:
                for summary in page.get("ModelPackageSummaryList", []):
                    version = summary.get("ModelPackageVersion")
                    if version is None:
                        tail = summary["ModelPackageArn"].rsplit("/", 1)[-1]
                        version = int(tail) if tail.isdigit() else None
                    if version is not None and (best is None or version > best):
                        best = version
            return best

        return account.call(f"listing the Approved versions of {group}", newest)

    # --- training ----------------------------------------------------------------------------
    def key(self, account: Account) -> None:
        spec = self.t.training.kms_key
        path: FieldPath = ("training", "kms_key", "arn" if spec.arn else "alias")
        kms = account.kms()
        found = account.find(
            f"reading the key alias/{spec.alias}",
            lambda: kms.describe_key(KeyId=f"alias/{spec.alias}"),
            missing={"NotFoundException"},
        )
        if found is None:
            if spec.arn is None:
                return  # gen creates the key and its alias
            given = account.find(
                f"reading the key {spec.arn}",
                lambda: kms.describe_key(KeyId=str(spec.arn)),
                missing={"NotFoundException"},
            )
            if given is None:
                self.finding(
                    "error",
                    path,
                    f"no key {spec.arn} and no alias/{spec.alias} in {account.label}: correct "
                    "training.kms_key, or drop its arn so gen creates the key",
                )
            else:
                self.finding(
                    "warning",
                    ("training", "kms_key", "alias"),
                    f"alias/{spec.alias} does not exist in {account.label} (the key {spec.arn} "
                    "does): create the alias or correct training.kms_key.alias",
                )
                self._key_state(given["KeyMetadata"].get("KeyState", ""), path)
            return
        metadata = found["KeyMetadata"]
        arn = str(metadata["Arn"])
        self.fact(KEY_ARN, f"alias/{spec.alias}", arn, f"kms:DescribeKey in {account.label}")
        if spec.arn is not None and spec.arn != arn:
            self.finding(
                "error",
                path,
                f"alias/{spec.alias} points to {arn}, not to {spec.arn}: correct "
                "training.kms_key.arn (or the alias)",
            )
        self._key_state(metadata.get("KeyState", ""), path)

    def _key_state(self, state: str, path: FieldPath) -> None:
        if state and state != "Enabled":
            self.finding(
                "error",
                path,
                f"the training output key is {state}: training jobs cannot encrypt with it; "
                "enable it or name another key",
            )

    def images(self, account: Account) -> None:
        from generator.aws.session import require_ecr_repository

        ecr = account.ecr()
        images: dict[tuple[str, str], list[FieldPath]] = {}
        for i, stage in enumerate(self.t.stages):
            for name, model in stage.models.items():
                if isinstance(model.image, EcrImage):
                    key = (model.image.repository, model.image.digest)
                    images.setdefault(key, []).append(
                        ("stages", i, "models", name, "image", "digest")
                    )
        repositories = sorted({*self.t.training.image_repositories, *(r for r, _ in images)})
        for repo in repositories:
            require_ecr_repository(account, ecr, repo)
        for (repo, digest), paths in sorted(images.items()):
            image = account.find(
                f"looking up {digest} in ECR repository {repo}",
                partial(
                    ecr.describe_images, repositoryName=repo, imageIds=[{"imageDigest": digest}]
                ),
                missing={"ImageNotFoundException"},
            )
            if image is None or not image.get("imageDetails"):
                for path in paths:
                    self.finding(
                        "error",
                        path,
                        f"{digest} is not in ECR repository {repo} of {account.label}: push "
                        "the image, or pin a digest that is there",
                    )
                continue
            self.fact(
                IMAGE_DIGEST,
                f"{repo}@{digest}",
                "present",
                f"ecr:DescribeImages in {account.label}",
            )

    # --- JumpStart ---------------------------------------------------------------------------
    def portfolio(self, account: Account) -> None:
        js = self.t.jumpstart
        assert js is not None
        sc = account.servicecatalog()

        def shares() -> list[str]:
            found = []
            for page in sc.get_paginator("list_accepted_portfolio_shares").paginate():
                for detail in page.get("PortfolioDetails", []):
                    if detail.get("ProviderName") == SAGEMAKER_PROVIDER:
                        found.append(str(detail["Id"]))
            return sorted(set(found))

        ids = account.call("listing the accepted Service Catalog portfolio shares", shares)
        if js.portfolio_id is not None:
            if js.portfolio_id not in ids:
                self.finding(
                    "error",
                    ("jumpstart", "portfolio_id"),
                    f"{js.portfolio_id} is not the accepted {SAGEMAKER_PROVIDER} portfolio of "
                    f"{account.label} (found: {', '.join(ids) or 'none'}): correct it, or drop "
                    "it and let `gen discover` find it",
                )
            return
        if len(ids) == 1:
            self.fact(
                JUMPSTART_PORTFOLIO_ID,
                js.account,
                ids[0],
                f"servicecatalog:ListAcceptedPortfolioShares in {account.label}",
            )
            return
        if not ids:
            message = (
                f"no accepted portfolio share from {SAGEMAKER_PROVIDER} in {account.label}: "
                "enable SageMaker Projects and JumpStart in the account once (`aws sagemaker "
                "enable-sagemaker-servicecatalog-portfolio`), or set jumpstart.portfolio_id"
            )
        else:
            message = (
                f"{account.label} has accepted several {SAGEMAKER_PROVIDER} portfolios "
                f"({', '.join(ids)}): set jumpstart.portfolio_id to the one to use"
            )
        self.finding("error", ("jumpstart",), message)


def read_for_discovery(
    directory: Path, display: Callable[[Path], str]
) -> tuple[Environment, Located, str]:
    """The environment of `directory` with its lock set aside (discovery rewrites it), the
    located YAML (to place findings at their line) and the topology's text."""
    path = directory / TOPOLOGY_FILE
    shown = display(path)
    if not textfile.exists(path):
        raise TopologyError([Problem(shown, 1, 1, "(file)", "no topology.yaml in this directory")])
    text = textfile.read_text(path, shown, MAX_BYTES)
    topology = load_topology(text, shown, UndiscoveredLock())
    return Environment(topology, None), load_located(text, shown), text


def discover(
    env: Environment,
    aws: Aws,
    progress: Callable[[str], None] | None = None,
    now: str | None = None,
) -> Discovery:
    """Read every fact of the environment from AWS. `progress` is called with each account's
    label before its checks run."""
    return _Discoverer(env, aws, now or utc_now()).run(progress)
