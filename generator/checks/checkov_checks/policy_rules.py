"""The rules behind gen's checkov checks, as pure functions of checkov's resource values.

No checkov import and no ``generator`` import: checkov imports this file as the top-level
module ``policy_rules`` (its external-checks directory is on ``sys.path``), and gen's tests
import it as ``generator.checks.checkov_checks.policy_rules``.

checkov hands a check each argument as a one-element list. A policy built with
``jsonencode({...})``, in the root or passed into a module as a variable, arrives already
evaluated as a dict; a JSON string is parsed here; anything else (an unresolved
``var.policy``, a ``data.aws_iam_policy_document`` reference) is *unknown* and the checks
neither pass nor fail it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

# checkov's value of an unresolved reference: `var.x`, `local.x`, `module.m.o`,
# `each.value.x`, `aws_t.n.attr`, `vpc_config.value.subnet_ids`, or an interpolation.
_REFERENCE = re.compile(
    r"^(?:\$\{|(?:var|local|module|each|count|data|self|path)\.|[a-z]\w*\.value\b"
    r"|aws_\w+\.[\w-]+)"
)
_ACCOUNT_ROOT = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):root$")
_BARE_ACCOUNT = re.compile(r"^\d{12}$")
_ARN_ACCOUNT = re.compile(r"^arn:aws[\w-]*:[\w-]+:[\w-]*:(\d{12}):")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")

# Instance families with local NVMe instance storage: SageMaker encrypts their volumes in
# hardware and rejects a KmsKeyId for them (the same list gen renders by).
_LOCAL_STORAGE = re.compile(
    r"^ml\.(?:[a-z]+\d+[a-z]*d[a-z]*|g5|g6|g6e|p5|p5e|p5en|trn1|trn1n|trn2)\."
)

# An action is read-only when its name starts with one of these verbs (after `service:`).
_READ_VERBS = ("Get", "List", "Describe", "BatchGet", "BatchCheck", "Head")
_READ_ACTIONS = frozenset({"kms:decrypt"})
# KMS grant operations an account root may receive: using the key for data, never
# re-delegating it (CreateGrant, RetireGrant) or re-encrypting under another key.
DATA_GRANT_OPERATIONS = frozenset(
    {"Decrypt", "DescribeKey", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext"}
)
# Services whose role trust takes an aws:SourceAccount / aws:SourceArn condition.
CONFUSED_DEPUTY_SERVICES = frozenset({"sagemaker.amazonaws.com", "lambda.amazonaws.com"})
PRINCIPAL_ARN_KEYS = frozenset({"aws:principalarn"})
SOURCE_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn"})
FULL_ACCESS_POLICY = "AmazonSageMakerFullAccess"


# Resource type -> the argument holding a resource-based policy (or a trust policy).
RESOURCE_POLICIES: dict[str, str] = {
    "aws_s3_bucket_policy": "policy",
    "aws_s3_access_point": "policy",
    "aws_kms_key": "policy",
    "aws_kms_key_policy": "policy",
    "aws_ecr_repository_policy": "policy",
    "aws_ecr_registry_policy": "policy",
    "aws_sagemaker_model_package_group_policy": "resource_policy",
    "aws_secretsmanager_secret_policy": "policy",
    "aws_secretsmanager_secret": "policy",
    "aws_sns_topic_policy": "policy",
    "aws_sns_topic": "policy",
    "aws_sqs_queue_policy": "policy",
    "aws_sqs_queue": "policy",
    "aws_lambda_layer_version_permission": "policy",
    "aws_cloudwatch_log_resource_policy": "policy_document",
    "aws_efs_file_system_policy": "policy",
    "aws_backup_vault_policy": "policy",
    "aws_vpc_endpoint": "policy",
    "aws_iam_role": "assume_role_policy",
}
IDENTITY_POLICIES: dict[str, str] = {
    "aws_iam_role_policy": "policy",
    "aws_iam_policy": "policy",
    "aws_iam_user_policy": "policy",
    "aws_iam_group_policy": "policy",
}
# Every resource type some CKV_GEN check looks at (gen lint verifies the checks ran).
COVERED_TYPES = frozenset(
    {
        *RESOURCE_POLICIES,
        *IDENTITY_POLICIES,
        "aws_lambda_permission",
        "aws_kms_grant",
        "aws_sagemaker_model",
        "aws_sagemaker_endpoint_configuration",
        "aws_iam_role_policy_attachment",
        "aws_iam_policy_attachment",
    }
)


class Unknown(Exception):
    """The value is not known at check time (an unresolved reference)."""


def first(value: Any) -> Any:
    """checkov wraps every argument in a one-element list."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def is_reference(value: Any) -> bool:
    return isinstance(value, str) and bool(_REFERENCE.match(value.strip()))


def known_string(value: Any) -> str | None:
    """The string, or None when absent, null or an unresolved reference."""
    value = first(value)
    if isinstance(value, str) and value and not is_reference(value):
        return value
    return None


def policy_document(value: Any) -> dict[str, Any] | None:
    """The policy as a dict; None when absent. Raises Unknown when it is not resolved."""
    value = first(value)
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            raise Unknown(value) from None
        if isinstance(parsed, dict):
            return parsed
    raise Unknown(repr(value))


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = document.get("Statement", [])
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        return []
    return [s for s in raw if isinstance(s, dict)]


def label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid!r}" if isinstance(sid, str) and sid else f"statement #{index + 1}"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def principals(statement: Mapping[str, Any], key: str = "Principal") -> list[tuple[str, str]]:
    """(kind, value) of every principal: kind is AWS, Service, Federated, ... or '*'."""
    raw = statement.get(key)
    if raw is None:
        return []
    if isinstance(raw, str):
        return [("*", raw)]
    out: list[tuple[str, str]] = []
    if isinstance(raw, dict):
        for kind, values in raw.items():
            out += [(str(kind), v) for v in _strings(values)]
    return out


def actions(statement: Mapping[str, Any], key: str = "Action") -> list[str]:
    return list(_strings(statement.get(key)))


def is_allow(statement: Mapping[str, Any]) -> bool:
    return str(statement.get("Effect", "")).lower() == "allow"


def condition_keys(statement: Mapping[str, Any]) -> set[str]:
    """Lower-cased condition keys of every operator (`StringEquals`, `ArnLike`, ...)."""
    keys: set[str] = set()
    condition = statement.get("Condition")
    if isinstance(condition, dict):
        for block in condition.values():
            if isinstance(block, dict):
                keys |= {str(k).lower() for k in block}
    return keys


# A "*" principal narrowed to an organisation's OUs (aws:PrincipalOrgPaths, or the whole
# organisation by aws:PrincipalOrgID) and to one role name (aws:PrincipalArn) is how a
# resource policy admits a role in every account of those OUs without naming each ARN
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths).
_ORG_PATH = re.compile(r"^o-[a-z0-9]{10,32}/r-[0-9a-z]{4,32}/ou-[0-9a-z-]+/.*$")
_ROLE_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::(?:\*|[0-9]{12}):role/[^*?]+$")


def _condition_values(statement: Mapping[str, Any], key: str, operators: set[str]) -> list[str]:
    condition = statement.get("Condition")
    found: list[str] = []
    if not isinstance(condition, dict):
        return found
    for operator, block in condition.items():
        if str(operator) not in operators or not isinstance(block, dict):
            continue
        for k, v in block.items():
            if str(k).lower() == key:
                found += list(_strings(v))
    return found


def org_narrowed(statement: Mapping[str, Any]) -> bool:
    """Whether a statement admits only roles of given names under an organisation's OUs:
    every aws:PrincipalOrgPaths value is below an OU, and every aws:PrincipalArn value is a
    role ARN pattern with a literal role name."""
    paths = _condition_values(
        statement,
        "aws:principalorgpaths",
        {"ForAnyValue:StringLike", "ForAnyValue:StringEquals"},
    )
    roles = _condition_values(statement, "aws:principalarn", {"ArnLike", "ArnEquals"})
    return (
        bool(paths)
        and all(_ORG_PATH.match(p) for p in paths)
        and bool(roles)
        and all(_ROLE_PATTERN.match(r) for r in roles)
    )


def account_of_root(principal: str) -> str | None:
    """The account ID of an account-root principal (`arn:...:iam::N:root` or bare `N`)."""
    match = _ACCOUNT_ROOT.match(principal)
    if match:
        return match.group(1)
    if _BARE_ACCOUNT.match(principal):
        return principal
    return None


def resource_accounts(statement: Mapping[str, Any]) -> set[str]:
    """Accounts named by the ARNs in the statement's Resource."""
    out = set()
    for resource in _strings(statement.get("Resource")):
        match = _ARN_ACCOUNT.match(resource)
        if match:
            out.add(match.group(1))
    return out


def is_read_only(action_names: Iterable[str]) -> bool:
    names = list(action_names)
    if not names:
        return False
    for name in names:
        service, _, verb = name.partition(":")
        if not service or not verb or verb == "*":
            return False
        if name.lower() in _READ_ACTIONS:
            continue
        if not verb.startswith(_READ_VERBS):
            return False
    return True


# ----------------------------------------------------------------------------- the rules


def wildcard_principal_problems(document: Mapping[str, Any]) -> list[str]:
    """CKV_GEN_1: Allow statements open to `*` (also `arn:aws:iam::*:root`) or NotPrincipal.

    A Deny statement with `Principal: "*"` restricts everyone (the bucket's deny of non-TLS
    requests) and is accepted, and so is an Allow to `"*"` narrowed to roles of one name
    under an organisation's OUs (`org_narrowed`).
    """
    problems = []
    for index, statement in enumerate(statements(document)):
        if not is_allow(statement):
            continue
        if statement.get("Principal") in ("*", {"AWS": "*"}) and org_narrowed(statement):
            continue
        if statement.get("NotPrincipal") is not None:
            problems.append(f"{label(statement, index)} allows with NotPrincipal")
        for kind, value in principals(statement):
            if "*" in value:
                problems.append(f"{label(statement, index)} allows principal {kind}={value!r}")
    return problems


def account_root_problems(document: Mapping[str, Any], own_accounts: set[str]) -> list[str]:
    """CKV_GEN_2: an account root of another account must be narrowed or read-only.

    Accepted: the resource's own account (``own_accounts``, plus accounts in the statement's
    Resource ARNs), a statement with an ``aws:PrincipalArn`` condition, or one whose every
    action is a read (Get*, List*, Describe*, BatchGet*, kms:Decrypt...).
    """
    problems = []
    for index, statement in enumerate(statements(document)):
        if not is_allow(statement):
            continue
        own = own_accounts | resource_accounts(statement)
        narrowed = bool(condition_keys(statement) & PRINCIPAL_ARN_KEYS)
        read_only = is_read_only(actions(statement))
        for kind, value in principals(statement):
            account = account_of_root(value) if kind in ("AWS", "*") else None
            if account is None or account in own or narrowed or read_only:
                continue
            problems.append(
                f"{label(statement, index)} grants {', '.join(actions(statement)) or 'actions'} "
                f"to the whole account {account} (name the role ARNs, or add an "
                "aws:PrincipalArn condition)"
            )
    return problems


def grant_problems(grantee: str, operations: Iterable[str], own_accounts: set[str]) -> list[str]:
    """CKV_GEN_1/2 for a KMS grant: no wildcard grantee; an account root only for data use."""
    if "*" in grantee:
        return [f"grant to principal {grantee!r}"]
    account = account_of_root(grantee)
    if account is None or account in own_accounts:
        return []
    extra = sorted(set(operations) - DATA_GRANT_OPERATIONS)
    if extra:
        return [f"grant to the whole account {account} includes {', '.join(extra)}"]
    return []


def action_wildcard_problems(document: Mapping[str, Any]) -> list[str]:
    """CKV_GEN_5: no Allow of every action (`*`, `*:*`) and no NotAction in an Allow."""
    problems = []
    for index, statement in enumerate(statements(document)):
        if not is_allow(statement):
            continue
        if statement.get("NotAction") is not None:
            problems.append(f"{label(statement, index)} allows with NotAction")
        if any(a in ("*", "*:*") for a in actions(statement)):
            problems.append(f'{label(statement, index)} allows Action "*"')
    return problems


def service_trust_problems(document: Mapping[str, Any]) -> list[str]:
    """CKV_GEN_6: SageMaker and Lambda trust needs aws:SourceAccount or aws:SourceArn."""
    problems = []
    for index, statement in enumerate(statements(document)):
        if not is_allow(statement):
            continue
        services = [v for k, v in principals(statement) if k == "Service"]
        exposed = sorted(s for s in services if s in CONFUSED_DEPUTY_SERVICES)
        if exposed and not condition_keys(statement) & SOURCE_KEYS:
            problems.append(
                f"{label(statement, index)} trusts {', '.join(exposed)} without an "
                "aws:SourceAccount or aws:SourceArn condition"
            )
    return problems


def has_local_storage(instance_type: str) -> bool:
    return bool(_LOCAL_STORAGE.match(instance_type))


def is_pinned_image(image: str) -> bool:
    return bool(_DIGEST.search(image))


def role_key(arn: str) -> tuple[str, str] | None:
    """(account, role name) of a role ARN; None for anything else."""
    match = re.match(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$", arn)
    return (match.group(1), match.group(2)) if match else None


def networked_roles(topology: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(account, execution role) of stages with a network, from a parsed topology.yaml.

    A role shared by a stage with a network and a stage without one is left out: its
    models cannot be told apart by role, and the check must not fail the stage without.
    """
    accounts = topology.get("accounts")
    stages = topology.get("stages")
    if not isinstance(accounts, dict) or not isinstance(stages, list):
        return set()
    with_network: set[tuple[str, str]] = set()
    without: set[tuple[str, str]] = set()
    for stage in stages:
        if not isinstance(stage, dict):
            continue
        account = accounts.get(stage.get("account"))
        role = stage.get("execution_role")
        if not isinstance(account, str) or not isinstance(role, str):
            continue
        (with_network if stage.get("network") else without).add((account, role))
    return with_network - without
