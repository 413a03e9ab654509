"""gen's checkov checks (CKV_GEN_1..8): what the built-in checks miss for this design.

Runs inside checkov's virtualenv only; see ``__init__.py`` for the table of checks and
``policy_rules.py`` for the rules themselves.

Context beyond one resource: checkov gives a check one resource's arguments, and some rules
need to know more. When checkov runs with the Terraform root as its working directory (as
``gen lint`` runs it), this module reads, once:

* the root's ``provider "aws"`` blocks (``allowed_account_ids``) and each ``module`` block's
  ``providers`` map, to know the account a resource is created in (CKV_GEN_2 accepts the
  resource's own account root: the default key policy's administration statement);
* ``topology.yaml``, to know which stages have a network (CKV_GEN_3).

Without them (checkov run on other Terraform) the checks fall back to what one resource
shows: no own account is known, no stage has a network.
"""
# mypy: disable-error-code="import-not-found,import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import policy_rules as rules
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

_CATEGORY = [CheckCategories.IAM]


# ------------------------------------------------------------------------------- context


@functools.cache
def _root_context() -> tuple[dict[str, str], dict[str, str], set[tuple[str, str]]]:
    """(provider alias -> account, module name -> provider alias, networked stage roles)."""
    aliases: dict[str, str] = {}
    modules: dict[str, str] = {}
    root = Path(os.getcwd())
    import hcl2  # checkov's own (bc-python-hcl2): dicts of one-element lists

    for path in sorted(root.glob("*.tf")):
        try:
            with path.open(encoding="utf-8") as handle:
                parsed = hcl2.load(handle)
        except Exception:  # a file checkov reports as a parsing error itself
            continue
        for provider in parsed.get("provider", []):
            body = provider.get("aws") if isinstance(provider, dict) else None
            if not isinstance(body, dict):
                continue
            alias = rules.first(body.get("alias")) or ""
            ids = rules.first(body.get("allowed_account_ids"))
            if isinstance(ids, list) and len(ids) == 1 and isinstance(ids[0], str):
                aliases[f"aws.{alias}" if alias else "aws"] = ids[0]
        for block in parsed.get("module", []):
            for name, body in block.items() if isinstance(block, dict) else []:
                mapping = rules.first(body.get("providers")) if isinstance(body, dict) else None
                target = mapping.get("aws") if isinstance(mapping, dict) else None
                modules[name] = _provider_ref(target) if isinstance(target, str) else "aws"
    roles: set[tuple[str, str]] = set()
    topology_path = root / "topology.yaml"
    if topology_path.is_file():
        try:
            import yaml

            topology = yaml.safe_load(topology_path.read_text(encoding="utf-8"))
        except Exception:  # gen lint's render check reports a bad topology itself
            topology = None
        if isinstance(topology, dict):
            roles = rules.networked_roles(topology)
    return aliases, modules, roles


def _provider_ref(text: str) -> str:
    return text.strip().removeprefix("${").removesuffix("}").strip()


def own_accounts(conf: dict[str, Any]) -> set[str]:
    """The account the resource is created in, when the root tells it."""
    aliases, modules, _ = _root_context()
    address = str(conf.get("__address__", ""))
    match = re.match(r"^module\.([\w-]+)", address)
    if match:
        alias = modules.get(match.group(1), "aws")
    else:
        provider = rules.first(conf.get("provider"))
        alias = _provider_ref(provider) if isinstance(provider, str) else "aws"
    account = aliases.get(alias)
    return {account} if account else set()


# -------------------------------------------------------------------------------- checks


class _GenCheck(BaseResourceCheck):
    def __init__(self, check_id: str, name: str, resources: Iterable[str]) -> None:
        super().__init__(
            name=name, id=check_id, categories=_CATEGORY, supported_resources=list(resources)
        )

    def outcome(self, problems: list[str]) -> Any:
        self.details.extend(problems)
        return CheckResult.FAILED if problems else CheckResult.PASSED

    def document(self, conf: dict[str, Any], key: str) -> dict[str, Any] | None:
        self.evaluated_keys = [key]
        document: dict[str, Any] | None = rules.policy_document(conf.get(key))
        return document

    def judge(
        self, conf: dict[str, Any], key: str, rule: Callable[[Mapping[str, Any]], list[str]]
    ) -> Any:
        """Apply `rule` to the policy document in `key`: UNKNOWN when it is not a literal
        checkov can read, PASSED when there is none."""
        try:
            document = self.document(conf, key)
        except rules.Unknown:
            return CheckResult.UNKNOWN
        if document is None:
            return CheckResult.PASSED
        return self.outcome(rule(document))


class NoWildcardPrincipal(_GenCheck):
    """CKV_GEN_1."""

    def __init__(self) -> None:
        super().__init__(
            "CKV_GEN_1",
            'Ensure no resource policy, trust policy, permission or grant allows a "*" principal',
            [*rules.RESOURCE_POLICIES, "aws_lambda_permission", "aws_kms_grant"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> Any:
        if self.entity_type == "aws_lambda_permission":
            self.evaluated_keys = ["principal"]
            principal = rules.known_string(conf.get("principal"))
            return self.outcome(
                [f"permission for principal {principal!r}"]
                if principal and "*" in principal
                else []
            )
        if self.entity_type == "aws_kms_grant":
            self.evaluated_keys = ["grantee_principal"]
            grantee = rules.known_string(conf.get("grantee_principal"))
            if grantee is None:
                return CheckResult.UNKNOWN
            return self.outcome([f"grant to principal {grantee!r}"] if "*" in grantee else [])
        return self.judge(
            conf, rules.RESOURCE_POLICIES[self.entity_type], rules.wildcard_principal_problems
        )


class AccountRootOnlyWhereNarrowed(_GenCheck):
    """CKV_GEN_2."""

    def __init__(self) -> None:
        super().__init__(
            "CKV_GEN_2",
            "Ensure a cross-account statement names role ARNs, not an account root, unless an "
            "aws:PrincipalArn condition narrows it or it only grants reads",
            [*rules.RESOURCE_POLICIES, "aws_kms_grant"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> Any:
        own = own_accounts(conf)
        if self.entity_type == "aws_kms_grant":
            self.evaluated_keys = ["grantee_principal", "operations"]
            grantee = rules.known_string(conf.get("grantee_principal"))
            operations = rules.first(conf.get("operations"))
            if grantee is None or not isinstance(operations, list):
                return CheckResult.UNKNOWN
            problems = rules.grant_problems(grantee, [str(o) for o in operations], own)
            return self.outcome([p for p in problems if "whole account" in p])
        return self.judge(
            conf,
            rules.RESOURCE_POLICIES[self.entity_type],
            lambda document: rules.account_root_problems(document, own),
        )


def _blocks(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _flat_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _flat_strings(item)]
    return []


def _vpc_config_state(conf: dict[str, Any]) -> str:
    """'absent', 'complete' or 'incomplete' (a VpcConfig without subnets or groups)."""
    configs = _blocks(conf.get("vpc_config"))
    if not configs:
        return "absent"
    config = configs[0]
    subnets = _flat_strings(config.get("subnets"))
    groups = _flat_strings(config.get("security_group_ids"))
    if any(rules.is_reference(s) for s in subnets + groups):
        return "absent"  # a dynamic block over a null variable: checkov keeps its template
    return "complete" if subnets and groups else "incomplete"


def _uses_vpc_registry(container: dict[str, Any]) -> bool:
    """Whether the container pulls its image over the VPC (image_config Vpc mode)."""
    for dynamic in _blocks(container.get("dynamic")):
        spec = dynamic.get("image_config")
        if isinstance(spec, dict):
            for_each = rules.first(spec.get("for_each"))
            if for_each in (None, "", []) or (
                isinstance(for_each, str) and re.match(r"^var\.\w+$", for_each)
            ):
                return False  # a dynamic image_config over a null variable
    for config in _blocks(container.get("image_config")):
        if rules.first(config.get("repository_access_mode")) == "Vpc":
            return True
    return False


class ModelInNetworkHasVpcConfig(_GenCheck):
    """CKV_GEN_3."""

    def __init__(self) -> None:
        super().__init__(
            "CKV_GEN_3",
            "Ensure every SageMaker model of a stage with a network (or pulling a private "
            "registry image over the VPC) has a VpcConfig with subnets and security groups",
            ["aws_sagemaker_model"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> Any:
        self.evaluated_keys = ["vpc_config", "primary_container", "container"]
        state = _vpc_config_state(conf)
        if state == "incomplete":
            return self.outcome(["vpc_config without subnets or security groups"])
        containers = _blocks(conf.get("primary_container")) + _blocks(conf.get("container"))
        reasons = []
        if any(_uses_vpc_registry(c) for c in containers):
            reasons.append("its image is pulled over the VPC (repository_access_mode Vpc)")
        role = rules.known_string(conf.get("execution_role_arn"))
        key = rules.role_key(role) if role else None
        if key is not None and key in _root_context()[2]:
            reasons.append(f"its stage (execution role {role}) has a network in topology.yaml")
        if state == "absent" and reasons:
            return self.outcome([f"no vpc_config, yet {r}" for r in reasons])
        return CheckResult.PASSED


class EndpointConfigurationHasKmsKey(_GenCheck):
    """CKV_GEN_4."""

    def __init__(self) -> None:
        super().__init__(
            "CKV_GEN_4",
            "Ensure every SageMaker endpoint configuration encrypts its volumes with a KMS key "
            "(unless every variant runs on local NVMe storage)",
            ["aws_sagemaker_endpoint_configuration"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> Any:
        self.evaluated_keys = ["kms_key_arn", "production_variants"]
        key = rules.first(conf.get("kms_key_arn"))
        if isinstance(key, str) and key and not re.match(r"^var\.\w+$", key):
            return CheckResult.PASSED
        variants = _blocks(conf.get("production_variants"))
        types = [rules.known_string(v.get("instance_type")) for v in variants]
        if variants and all(t is not None and rules.has_local_storage(t) for t in types):
            return CheckResult.PASSED
        return self.outcome(["no kms_key_arn for the ML storage volumes"])


class NoActionWildcard(_GenCheck):
    """CKV_GEN_5."""

    def __init__(self) -> None:
        super().__init__(
            "CKV_GEN_5",
            'Ensure no policy statement allows Action "*" or uses NotAction in an Allow',
            [*rules.RESOURCE_POLICIES, *rules.IDENTITY_POLICIES],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> Any:
        key = (
            rules.RESOURCE_POLICIES.get(self.entity_type)
            or rules.IDENTITY_POLICIES[self.entity_type]
        )
        return self.judge(conf, key, rules.action_wildcard_problems)


class ServiceTrustHasSourceCondition(_GenCheck):
    """CKV_GEN_6."""

    def __init__(self) -> None:
        super().__init__(
            "CKV_GEN_6",
            "Ensure a role trusted by SageMaker or Lambda has an aws:SourceAccount or "
            "aws:SourceArn condition",
            ["aws_iam_role"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> Any:
        return self.judge(conf, "assume_role_policy", rules.service_trust_problems)


class ImagePinnedByDigest(_GenCheck):
    """CKV_GEN_7."""

    def __init__(self) -> None:
        super().__init__(
            "CKV_GEN_7",
            "Ensure every SageMaker model container image is pinned by digest (@sha256:)",
            ["aws_sagemaker_model"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> Any:
        self.evaluated_keys = ["primary_container/[0]/image", "container/[0]/image"]
        problems = []
        for container in _blocks(conf.get("primary_container")) + _blocks(conf.get("container")):
            image = rules.known_string(container.get("image"))
            if image is not None and not rules.is_pinned_image(image):
                problems.append(f"image {image!r} is not pinned by digest")
        return self.outcome(problems)


class NoSageMakerFullAccess(_GenCheck):
    """CKV_GEN_8."""

    def __init__(self) -> None:
        super().__init__(
            "CKV_GEN_8",
            "Ensure AmazonSageMakerFullAccess is not attached to any role",
            ["aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_role"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> Any:
        key = "managed_policy_arns" if self.entity_type == "aws_iam_role" else "policy_arn"
        self.evaluated_keys = [key]
        arns = _flat_strings(conf.get(key))
        bad = [a for a in arns if a.endswith(f"/{rules.FULL_ACCESS_POLICY}")]
        return self.outcome([f"attaches {a}" for a in bad])


CHECKS = (
    NoWildcardPrincipal(),
    AccountRootOnlyWhereNarrowed(),
    ModelInNetworkHasVpcConfig(),
    EndpointConfigurationHasKmsKey(),
    NoActionWildcard(),
    ServiceTrustHasSourceCondition(),
    ImagePinnedByDigest(),
    NoSageMakerFullAccess(),
)
