"""A validated topology with every name resolved: account IDs, versions, ARNs, AWS names.

This is the one place that answers "which account is X in" and "what is X called in AWS";
the access model and the renderer only ask it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from generator.topology import arns
from generator.topology.lockfile import Lock
from generator.topology.model import EcrImage, Model, PrivateImage, Stage, Topology

# SageMaker hosting instance families whose instances carry local NVMe instance storage: a "d"
# after the generation (m5d, c5d, r5d, g4dn, p3dn, p4d, m6id, ...) or families that always
# have it (g5, g6, g6e, p5, trn1, trn2).
_LOCAL_STORAGE = re.compile(
    r"^ml\.(?:[a-z]+\d+[a-z]*d[a-z]*|g5|g6|g6e|p5|p5e|p5en|trn1|trn1n|trn2)\."
)


def has_local_storage(instance_type: str) -> bool:
    return bool(_LOCAL_STORAGE.match(instance_type))


@dataclass(frozen=True)
class Environment:
    topology: Topology
    lock: Lock | None = None

    # --- accounts -------------------------------------------------------------------------
    def account_id(self, name: str) -> str:
        return self.topology.accounts[name]

    @functools.cached_property
    def _names_by_id(self) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        for name, account_id in self.topology.accounts.items():
            names.setdefault(account_id, []).append(name)
        return names

    def provider_alias(self, account_id: str) -> str:
        """One provider per distinct account ID, named after the first name that uses it."""
        return self._names_by_id[account_id][0].replace("-", "_")

    def account_ids(self) -> list[str]:
        """Distinct account IDs, in the order the topology first names them."""
        return list(dict.fromkeys(self.topology.accounts.values()))

    def account_names(self, account_id: str) -> list[str]:
        return list(self._names_by_id.get(account_id, []))

    @property
    def region(self) -> str:
        return self.topology.region

    @property
    def name(self) -> str:
        return self.topology.environment

    # --- training -------------------------------------------------------------------------
    @property
    def training_account(self) -> str:
        return self.account_id(self.topology.training.account)

    @property
    def training_role_arn(self) -> str:
        return arns.role(self.training_account, self.topology.training.role)

    @property
    def key_is_created(self) -> bool:
        return self.topology.training.kms_key.arn is None

    @property
    def key_arn_in_policies(self) -> str:
        """The key as identity policies name it: its ARN when known before apply (given in the
        topology, or found behind the alias by `gen discover` once gen created it); else every
        key of the training account, the key policy naming each role being the gate."""
        key = self.topology.training.kms_key
        discovered = self.lock.key_arn(key.alias) if self.lock else None
        keys_of_account = arns.kms_keys(self.region, self.training_account)
        if key.arn:
            return key.arn
        if discovered and discovered.startswith(keys_of_account[:-1]):
            return discovered
        return keys_of_account

    # --- registry and bucket --------------------------------------------------------------
    @property
    def registry_account(self) -> str:
        return self.account_id(self.topology.registry.account)

    @property
    def bucket_account(self) -> str:
        owner = self.topology.registry.artifact_bucket.account or self.topology.registry.account
        return self.account_id(owner)

    @property
    def bucket_name(self) -> str:
        return self.topology.registry.artifact_bucket.name

    @property
    def prefix(self) -> str:
        return self.topology.registry.artifact_bucket.prefix

    @property
    def deployment_account(self) -> str:
        return self.account_id(self.topology.deployment.account)

    @property
    def deployment_role_arn(self) -> str:
        return arns.role(self.deployment_account, self.topology.deployment.role)

    def group_arn(self, group: str) -> str:
        return arns.model_package_group(self.region, self.registry_account, group)

    # --- stages ---------------------------------------------------------------------------
    def stage_account(self, stage: Stage) -> str:
        return self.account_id(stage.account)

    def execution_role_arn(self, stage: Stage) -> str:
        return arns.role(self.stage_account(stage), stage.execution_role)

    def terraform_role_arn(self, account_id: str) -> str:
        return arns.role(account_id, self.topology.terraform_role)

    # --- running it: remote state ---------------------------------------------------------
    @property
    def state_account(self) -> str | None:
        """The account of the state bucket (default: the registry's), None without state."""
        state = self.topology.state
        if state is None:
            return None
        return self.account_id(state.account or self.topology.registry.account)

    @property
    def state_region(self) -> str | None:
        state = self.topology.state
        return None if state is None else state.region or self.region

    def state_key(self, root: str = "main") -> str:
        """The state object of one root: <key_prefix><environment>/<root>/terraform.tfstate."""
        state = self.topology.state
        assert state is not None
        return f"{state.key_prefix}{self.name}/{root}/terraform.tfstate"

    def version(self, model: Model) -> int:
        ref = model.model_package
        assert ref is not None
        if isinstance(ref.version, int):
            return ref.version
        assert self.lock is not None  # load.py refuses latest-approved without a lock entry
        resolved = self.lock.latest_approved(ref.group)
        assert resolved is not None
        return resolved

    def model_package_arn(self, model: Model) -> str:
        assert model.model_package is not None
        return arns.model_package(
            self.region, self.registry_account, model.model_package.group, self.version(model)
        )

    def image_uri(self, model: Model) -> str:
        image = model.image
        if isinstance(image, EcrImage):
            return arns.ecr_image(
                self.region, self.training_account, image.repository, image.digest
            )
        assert isinstance(image, PrivateImage)
        return image.uri

    def model_data_url(self, model: Model) -> str:
        return f"s3://{self.bucket_name}/{self.prefix}{model.model_data}"

    def private_secrets(self, stage: Stage) -> list[str]:
        return sorted(
            {
                m.image.credentials_secret
                for m in stage.models.values()
                if isinstance(m.image, PrivateImage)
            }
        )

    def ecr_repositories_read(self, stage: Stage) -> list[str]:
        """Training-account repositories a stage pulls from: its images, and for model
        packages every listed repository (a package's image is fixed at registration)."""
        repos = set()
        for model in stage.models.values():
            if isinstance(model.image, EcrImage):
                repos.add(model.image.repository)
            if model.model_package is not None:
                repos.update(self.topology.training.image_repositories)
        return sorted(repos)

    def credentials_function_name(self, stage: Stage, secret: str) -> str:
        """One credentials function per (stage, secret); also the name of its role."""
        return f"{self.name}-{stage.name}-creds-{arns.short_hash(secret, length=6)}"

    def credentials_function_arn(self, stage: Stage, secret: str) -> str:
        return arns.lambda_function(
            self.region, self.stage_account(stage), self.credentials_function_name(stage, secret)
        )

    def sagemaker_model_name(self, stage: Stage, model_name: str) -> str:
        """Model names carry a digest of what they run, so a change creates a new model
        before the old one goes (create_before_destroy) and endpoints switch without a gap."""
        model = stage.models[model_name]
        source = (
            self.model_package_arn(model)
            if model.model_package is not None
            else f"{self.image_uri(model)}|{self.model_data_url(model)}"
        )
        digest = arns.short_hash(source, stage.execution_role, _vpc_config_text(stage))
        return f"{stage.name}-{model_name}"[:54] + f"-{digest}"

    def endpoint_config_name(self, stage: Stage, endpoint: str) -> str:
        spec = stage.endpoints[endpoint]
        parts = [
            f"{v.name}:{self.sagemaker_model_name(stage, v.model)}:{v.instance_type}:"
            f"{v.instance_count}:{v.weight}"
            for v in spec.variants
        ]
        return f"{endpoint}"[:54] + f"-{arns.short_hash(*parts)}"

    def needs_volume_key(self, stage: Stage, endpoint: str) -> bool:
        """False when a variant runs on an instance type with local NVMe storage: SageMaker
        encrypts those volumes in hardware and CreateEndpointConfig fails if KmsKeyId is set
        (CreateEndpointConfig API reference, KmsKeyId)."""
        return not any(
            has_local_storage(v.instance_type) for v in stage.endpoints[endpoint].variants
        )

    def volume_key_alias(self, stage: Stage) -> str:
        return f"{self.name}/{stage.name}/sagemaker-endpoint-volumes"


def _vpc_config_text(stage: Stage) -> str:
    """What of the stage's network a model runs in (its VpcConfig), as text for a digest.

    Only the fields the model's VpcConfig carries: how Lambda is reached
    (`lambda_endpoint`) does not change the model, so it must not rename it.
    """
    if stage.network is None:
        return "None"
    n = stage.network
    return (
        f"vpc_id={n.vpc_id!r} subnet_ids={list(n.subnet_ids)!r} "
        f"security_group_ids={list(n.security_group_ids)!r}"
    )
