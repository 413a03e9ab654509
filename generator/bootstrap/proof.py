"""Prove each account's terraform_role policy with gen's IAM evaluator.

Sufficient: every request Terraform makes for the rendered root (`calls`) is allowed by the
bootstrap policy of its account together with the resource's policy where gen renders one
(the artifact bucket policy, the key policies, the model package group and ECR repository
policies, the state bucket policy), both sides across accounts.

Scoped: writes outside what gen manages are denied: each write on another name (a role,
bucket, key, group, model, function, ... called `other-<name>`), on the same name in another
account, on a resource gen did not tag, or from a create request that does not tag it gen's;
and a fixed list of escalations (terraform_role changing itself, creating other roles,
writing objects, other environments' state).

Assumptions the evaluator cannot see (and `gen bootstrap` prints): an existing key
(`training.kms_key.arn`) has the default key policy that delegates to IAM; no SCP, RCP or
permissions boundary denies what the policy allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from generator.access import policies
from generator.access.paths import access_paths
from generator.bootstrap.calls import Call
from generator.bootstrap.permissions import state_bucket_policy
from generator.bootstrap.template import Bootstrap
from generator.errors import GenError
from generator.iam.document import Document
from generator.iam.evaluator import Decision, Request, ResourceKind, authorize
from generator.topology import arns

SECURE = {"aws:SecureTransport": ("true",)}
OTHER = "other-"
KEEP_CONTEXT = {"iam:passedtoservice"}


class BootstrapProofError(GenError):
    """A bootstrap policy misses a call Terraform makes, or allows a write outside."""

    exit_code = 1


@dataclass(frozen=True)
class Proof:
    account: str
    what: str  # the resource type, or what the negative stands for
    request: Request
    resource_account: str
    expect_allowed: bool
    decision: Decision

    @property
    def ok(self) -> bool:
        return self.decision.allowed == self.expect_allowed

    def __str__(self) -> str:
        want = "allowed" if self.expect_allowed else "denied"
        got = self.decision.outcome.value
        return (
            f"{self.request.action} on {self.request.resource} ({self.what}) from "
            f"{self.request.principal}: expected {want}, got {got}: {self.decision.reason}"
        )


@dataclass(frozen=True)
class ProofReport:
    proofs: tuple[Proof, ...]

    @property
    def failed(self) -> list[Proof]:
        return [p for p in self.proofs if not p.ok]

    @property
    def ok(self) -> bool:
        return not self.failed

    def counts(self, account: str) -> tuple[int, int]:
        """(calls proven allowed, negatives proven denied) in one account."""
        mine = [p for p in self.proofs if p.account == account and p.ok]
        return (
            sum(p.expect_allowed for p in mine),
            sum(not p.expect_allowed for p in mine),
        )


class _Resources:
    """The resource policy AWS evaluates with a request, where gen renders one."""

    def __init__(self, boot: Bootstrap) -> None:
        env = boot.env
        self.env = env
        self.paths = access_paths(env)
        self.state_bucket = env.topology.state.bucket if env.topology.state else None

    def policy(self, resource: str) -> tuple[Document | None, ResourceKind]:
        env = self.env
        parts = resource.split(":", 5)
        if len(parts) < 6:
            return None, ResourceKind.GENERIC
        service, account, rest = parts[2], parts[4], parts[5]
        if service == "s3":
            bucket = rest.split("/", 1)[0]
            if bucket == env.bucket_name:
                return policies.bucket_policy(self.paths, bucket), ResourceKind.GENERIC
            if bucket == self.state_bucket:
                return state_bucket_policy(env), ResourceKind.GENERIC
            return None, ResourceKind.GENERIC
        if service == "kms" and rest.startswith("key/"):
            # Keys gen creates have policy_key's account statement; an existing key is
            # assumed to have the default key policy (delegates to IAM).
            key_paths = self.paths if account == env.training_account else []
            return policies.key_policy(key_paths, account), ResourceKind.KMS_KEY
        if service == "sagemaker" and rest.startswith(("model-package-group/", "model-package/")):
            group = rest.split("/")[1]
            for name in env.topology.registry.model_package_groups:
                if name.lower() == group and account == env.registry_account:
                    return (
                        policies.model_package_group_policy(self.paths, name),
                        ResourceKind.GENERIC,
                    )
        if service == "ecr" and rest.startswith("repository/"):
            repo = rest.removeprefix("repository/")
            if repo in env.topology.training.image_repositories:
                return policies.ecr_repository_policy(self.paths, repo), ResourceKind.GENERIC
        return None, ResourceKind.GENERIC


def _decide(
    boot: Bootstrap,
    resources: _Resources,
    account: str,
    action: str,
    resource: str,
    context: Mapping[str, tuple[str, ...]],
    resource_account: str,
) -> tuple[Request, Decision]:
    request = Request(
        principal=boot.env.terraform_role_arn(account),
        action=action,
        resource=resource,
        principal_account=account,
        context={**SECURE, **context},
    )
    document, kind = resources.policy(resource)
    decision = authorize(
        request,
        resource_account=resource_account,
        identity_policies=boot.policies[account],
        resource_policy=document,
        kind=kind,
    )
    return request, decision


def _other_name(resource: str) -> str | None:
    """The same ARN naming another resource: `other-` before the resource's name."""
    if resource == "*":
        return None
    parts = resource.split(":", 5)
    if parts[2] == "s3":
        return ":".join(parts[:5]) + ":" + OTHER + parts[5]
    m = re.match(r"^([a-z-]+)([/:])(.*)$", parts[5])
    if m is None:
        return None
    kind, sep, name = m.groups()
    if kind in ("key",):  # keys are told apart by their tags, not their IDs
        return None
    if kind == "model-package":  # <group>/<version>: another group
        return ":".join(parts[:5]) + f":{kind}{sep}{OTHER}{name}"
    return ":".join(parts[:5]) + f":{kind}{sep}{OTHER}{name}"


def _other_account(resource: str, account: str, others: list[str]) -> str | None:
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[4] == "":
        return None
    replacement = next((a for a in others if a != parts[4]), None)
    if replacement is None:
        return None
    return ":".join([*parts[:4], replacement, parts[5]])


def _negatives(call: Call) -> Iterator[tuple[str, str, dict[str, tuple[str, ...]]]]:
    """(what, resource, context) of the requests near `call` that must be denied."""
    context = dict(call.context)
    if call.conditions:
        mutated = {
            k: v if k.lower() in KEEP_CONTEXT else tuple(OTHER + x for x in v)
            for k, v in context.items()
        }
        if mutated != context:
            yield f"{call.resource_type}, not gen's", call.resource, mutated
        if "iam:PassedToService" in context:
            yield (
                f"{call.resource_type}, role passed to another service",
                call.resource,
                {"iam:PassedToService": ("ec2.amazonaws.com",)},
            )
    # A resource whose ID AWS assigns is gen's by its tags (the negatives above), not its name.
    other = _other_name(call.resource)
    if other is not None and call.scope != "*" and not call.conditions:
        yield f"{call.resource_type}, another name", other, context


def prove(boot: Bootstrap) -> ProofReport:
    env = boot.env
    resources = _Resources(boot)
    proofs: list[Proof] = []
    ids = env.account_ids()
    outsider = "000000000000"
    for account in ids:
        others = [a for a in ids if a != account] + [outsider]
        seen: set[tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...]]] = set()
        for call in boot.calls[account]:
            owner = call.resource_account or account
            request, decision = _decide(
                boot, resources, account, call.action, call.resource, dict(call.context), owner
            )
            proofs.append(Proof(account, call.resource_type, request, owner, True, decision))
            if not call.write:
                continue
            candidates = list(_negatives(call))
            moved = _other_account(call.resource, account, others)
            if moved is not None:
                candidates.append(
                    (f"{call.resource_type}, another account", moved, dict(call.context))
                )
            for what, resource, context in candidates:
                key = (call.action, resource, tuple(sorted(context.items())))
                if key in seen:
                    continue
                seen.add(key)
                res_account = resource.split(":")[4] if resource.count(":") >= 5 else account
                res_account = res_account or account
                request, decision = _decide(
                    boot, resources, account, call.action, resource, context, res_account
                )
                proofs.append(Proof(account, what, request, res_account, False, decision))
        proofs.extend(_escalations(boot, resources, account))
    return ProofReport(tuple(proofs))


def _escalations(boot: Bootstrap, resources: _Resources, account: str) -> Iterator[Proof]:
    """Writes terraform_role must never be able to make, whatever the topology."""
    env = boot.env
    me = env.terraform_role_arn(account)
    untagged_key = arns.kms_keys(env.region, account)[:-1] + "not-tagged-by-gen"
    cases: list[tuple[str, str, str]] = [
        ("terraform_role changing its own policies", "iam:PutRolePolicy", me),
        ("terraform_role attaching a policy to itself", "iam:AttachRolePolicy", me),
        ("terraform_role changing who may assume it", "iam:UpdateAssumeRolePolicy", me),
        ("a role gen does not manage", "iam:CreateRole", arns.role(account, "Administrator")),
        ("a role gen does not manage", "iam:PutRolePolicy", arns.role(account, "Administrator")),
        ("passing a role gen does not manage", "iam:PassRole", arns.role(account, "Admin")),
        ("a managed policy", "iam:CreatePolicy", f"arn:{arns.PARTITION}:iam::{account}:policy/x"),
        ("another bucket", "s3:PutBucketPolicy", arns.bucket("someone-elses-bucket")),
        ("objects of the artifact bucket", "s3:PutObject", f"{arns.bucket(env.bucket_name)}/x"),
        ("a key gen did not tag", "kms:PutKeyPolicy", untagged_key),
        ("a key gen did not tag", "kms:ScheduleKeyDeletion", untagged_key),
        ("a key gen did not tag", "kms:CreateGrant", untagged_key),
    ]
    state = env.topology.state
    if state is not None:
        other_env = f"{arns.bucket(state.bucket)}/{state.key_prefix}{OTHER}{env.name}/main/"
        cases.append(("another environment's state", "s3:PutObject", other_env + "x.tfstate"))
        cases.append(("another environment's state", "s3:DeleteObject", other_env + "x.tfstate"))
    for what, action, resource in cases:
        owner = resource.split(":")[4] or account
        if action.startswith("s3:"):
            in_state = "state" in what and env.state_account is not None
            owner = env.state_account if in_state and env.state_account else env.bucket_account
        request, decision = _decide(boot, resources, account, action, resource, {}, owner)
        yield Proof(account, what, request, owner, False, decision)
