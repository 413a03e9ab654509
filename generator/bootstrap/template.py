"""The bootstrap as one CloudFormation template for a service-managed StackSet (pure).

One template serves every account: a StackSet deploys the same template to each account of
its target OUs, including accounts added later (auto-deployment), so what each account gets
is chosen by conditions on AWS::AccountId and AWS::Region:

- `terraform_role` (trusting exactly `terraform_principal`) in every account the topology
  names, with that account's managed policies (`permissions`), in the topology's region only
  (IAM is global: one stack instance per account creates it);
- the state bucket (versioned, encrypted, TLS only, public access blocked, owner-enforced)
  in the state account and region;
- in any other account of the OU: nothing but a WaitConditionHandle (a stack needs one
  resource).
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/conditions-section-structure.html
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.bootstrap.calls import Call, account_calls
from generator.bootstrap.inventory import Managed, by_account, inventory
from generator.bootstrap.permissions import (
    split,
    state_bucket_policy,
    statements,
    terraform_principal_policy,
    trust_policy,
)
from generator.errors import GenError
from generator.iam.document import Document
from generator.render.root_module import build_root
from generator.topology.environment import Environment

FN_OR_MAX = 10  # Fn::Or takes 2 to 10 conditions


class BootstrapInputError(GenError):
    """The topology lacks what the bootstrap needs (terraform_principal)."""

    exit_code = 2


@dataclass
class Bootstrap:
    env: Environment
    items: list[Managed]
    calls: dict[str, list[Call]]  # account ID -> the requests terraform_role makes there
    policies: dict[str, list[Document]]  # account ID -> its managed policy documents
    template: dict[str, Any] = field(default_factory=dict)

    @property
    def stack_set_name(self) -> str:
        return f"gen-{self.env.name}-bootstrap"

    def regions(self) -> list[str]:
        return list(dict.fromkeys([self.env.region, self.env.state_region or self.env.region]))


def _condition_name(account_id: str) -> str:
    return f"InAccount{account_id}"


def _any_of(names: Sequence[str], conditions: dict[str, Any], label: str) -> dict[str, Any]:
    """A condition that holds when any of `names` does (Fn::Or nested past ten)."""
    refs = [{"Condition": n} for n in names]
    if len(refs) == 1:
        return dict(conditions[names[0]])
    while len(refs) > FN_OR_MAX:
        chunks = [refs[i : i + FN_OR_MAX] for i in range(0, len(refs), FN_OR_MAX)]
        refs = []
        for n, chunk in enumerate(chunks):
            if len(chunk) == 1:
                refs.append(chunk[0])
                continue
            name = f"{label}Part{n + 1}"
            conditions[name] = {"Fn::Or": chunk}
            refs.append({"Condition": name})
    return {"Fn::Or": refs}


def build_bootstrap(env: Environment, modules_source: str = "modules") -> Bootstrap:
    """What `gen bootstrap` writes, from the environment's rendered root."""
    t = env.topology
    if t.terraform_principal is None:
        raise BootstrapInputError(
            "topology.yaml: terraform_principal is not set; gen bootstrap makes terraform_role "
            "trust exactly that principal (the identity that runs Terraform, e.g. the CI role)"
        )
    root = build_root(env, modules_source)
    items = inventory(env, root)
    grouped = by_account(env, items)
    calls = {a: list(account_calls(env, grouped[a], a)) for a in env.account_ids()}
    policies = {
        a: split(
            statements(calls[a]),
            f"terraform_role policy in {' and '.join(env.account_names(a))} ({a})",
        )
        if calls[a]
        else []
        for a in env.account_ids()
    }
    boot = Bootstrap(env, items, calls, policies)
    boot.template = _template(boot)
    return boot


def _tags(env: Environment) -> list[dict[str, str]]:
    tags = {"Environment": env.name, "ManagedBy": "gen", **env.topology.tags}
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _template(boot: Bootstrap) -> dict[str, Any]:
    env, t = boot.env, boot.env.topology
    conditions: dict[str, Any] = {}
    for account in env.account_ids():
        conditions[_condition_name(account)] = {"Fn::Equals": [{"Ref": "AWS::AccountId"}, account]}
    conditions["InTopologyAccount"] = _any_of(
        [_condition_name(a) for a in env.account_ids()], conditions, "InTopologyAccount"
    )
    conditions["InTopologyRegion"] = {"Fn::Equals": [{"Ref": "AWS::Region"}, env.region]}
    conditions["CreatesRole"] = {
        "Fn::And": [{"Condition": "InTopologyAccount"}, {"Condition": "InTopologyRegion"}]
    }
    resources: dict[str, Any] = {
        "TerraformRole": {
            "Type": "AWS::IAM::Role",
            "Condition": "CreatesRole",
            "Properties": {
                "RoleName": t.terraform_role,
                "Description": f"gen ({env.name}): runs Terraform for {t.terraform_principal}",
                "AssumeRolePolicyDocument": trust_policy(env),
                "MaxSessionDuration": 3600,
                "Tags": _tags(env),
            },
        }
    }
    for account in env.account_ids():
        for n, document in enumerate(boot.policies[account], start=1):
            conditions[f"CreatesPolicyIn{account}"] = {
                "Fn::And": [
                    {"Condition": _condition_name(account)},
                    {"Condition": "InTopologyRegion"},
                ]
            }
            resources[f"TerraformPolicy{account}Part{n}"] = {
                "Type": "AWS::IAM::ManagedPolicy",
                "Condition": f"CreatesPolicyIn{account}",
                "Properties": {
                    "ManagedPolicyName": f"gen-{env.name}-terraform-{n}",
                    "Description": f"gen ({env.name}): what Terraform manages in "
                    f"{' and '.join(env.account_names(account))} (part {n})",
                    "PolicyDocument": document,
                    "Roles": [{"Ref": "TerraformRole"}],
                },
            }
    outside = ["CreatesRole"]
    outputs: dict[str, Any] = {
        "TerraformRoleArn": {
            "Condition": "CreatesRole",
            "Description": "terraform_role of this account",
            "Value": {"Fn::GetAtt": ["TerraformRole", "Arn"]},
        }
    }
    state = t.state
    if state is not None:
        assert env.state_account is not None and env.state_region is not None
        conditions["CreatesStateBucket"] = {
            "Fn::And": [
                {"Condition": _condition_name(env.state_account)},
                {"Fn::Equals": [{"Ref": "AWS::Region"}, env.state_region]},
            ]
        }
        outside.append("CreatesStateBucket")
        resources["StateBucket"] = {
            "Type": "AWS::S3::Bucket",
            "Condition": "CreatesStateBucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": state.bucket,
                "VersioningConfiguration": {"Status": "Enabled"},
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "Tags": _tags(env),
            },
        }
        resources["StateBucketPolicy"] = {
            "Type": "AWS::S3::BucketPolicy",
            "Condition": "CreatesStateBucket",
            "Properties": {
                "Bucket": {"Ref": "StateBucket"},
                "PolicyDocument": state_bucket_policy(env),
            },
        }
        outputs["StateBucket"] = {
            "Condition": "CreatesStateBucket",
            "Description": "Terraform state bucket",
            "Value": {"Ref": "StateBucket"},
        }
    conditions["NothingHere"] = {
        "Fn::Not": [
            {"Fn::Or": [{"Condition": c} for c in outside]}
            if len(outside) > 1
            else {"Condition": outside[0]}
        ]
    }
    resources["NothingHere"] = {
        "Type": "AWS::CloudFormation::WaitConditionHandle",
        "Condition": "NothingHere",
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"gen bootstrap ({env.name}): terraform_role {t.terraform_role} in every "
        "account of the topology, trusting terraform_principal"
        + ("; the Terraform state bucket" if state else "")
        + ". Deploy as a service-managed StackSet (see `gen bootstrap`).",
        "Conditions": conditions,
        "Resources": resources,
        "Outputs": outputs,
    }


def template_json(boot: Bootstrap) -> str:
    return json.dumps(boot.template, indent=2) + "\n"


def principal_policy_json(env: Environment) -> str:
    return json.dumps(terraform_principal_policy(env), indent=2) + "\n"


def deploy_commands(
    boot: Bootstrap, template_path: str, ou_ids: Sequence[str], delegated_admin: bool
) -> list[str]:
    """The AWS CLI commands that deploy the StackSet (run by the management account or a
    delegated administrator of StackSets)."""
    name = boot.stack_set_name
    call_as = ["--call-as", "DELEGATED_ADMIN"] if delegated_admin else []
    ous = ",".join(ou_ids)
    create = [
        "aws",
        "cloudformation",
        "create-stack-set",
        "--stack-set-name",
        name,
        "--template-body",
        f"file://{template_path}",
        "--permission-model",
        "SERVICE_MANAGED",
        "--auto-deployment",
        "Enabled=true,RetainStacksOnAccountRemoval=false",
        "--capabilities",
        "CAPABILITY_NAMED_IAM",
        *call_as,
    ]
    instances = [
        "aws",
        "cloudformation",
        "create-stack-instances",
        "--stack-set-name",
        name,
        "--deployment-targets",
        f"OrganizationalUnitIds={ous}",
        "--regions",
        *boot.regions(),
        "--operation-preferences",
        "FailureToleranceCount=0,MaxConcurrentCount=5",
        *call_as,
    ]
    return [shlex.join(create), shlex.join(instances)]
