"""What the rendered reference root contains and in which order Terraform applies it."""

from __future__ import annotations

import re
from typing import Any

import hcl2
from conftest import GOLDEN_DIRS, REPO


def _modules(env_dir_name: str) -> dict[str, dict[str, Any]]:
    parsed = hcl2.loads((REPO / env_dir_name / "main.tf").read_text())
    return {label.strip('"'): body for item in parsed["module"] for label, body in item.items()}


def _resource_types(module_dir: str) -> set[str]:
    parsed = hcl2.loads((REPO / "modules" / module_dir / "main.tf").read_text())
    return {t.strip('"') for item in parsed.get("resource", []) for t in item}


def test_reference_renders_every_resource_the_contract_names() -> None:
    modules = _modules("envs/reference")
    used = {str(body["source"]).strip('"').rsplit("/", 1)[-1] for body in modules.values()}
    types = set().union(*(_resource_types(m) for m in used))
    required = {
        # training account
        "aws_kms_key",
        "aws_kms_alias",
        "aws_kms_grant",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_ecr_repository_policy",
        # artifact bucket (created, hardened)
        "aws_s3_bucket",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_ownership_controls",
        # registry
        "aws_sagemaker_model_package_group",
        "aws_sagemaker_model_package_group_policy",
        # stages
        "aws_sagemaker_model",
        "aws_sagemaker_endpoint_configuration",
        "aws_sagemaker_endpoint",
        # private registry
        "aws_lambda_function",
        "aws_vpc_endpoint",
        "aws_security_group",
        "aws_vpc_security_group_ingress_rule",
        # JumpStart
        "aws_sagemaker_servicecatalog_portfolio_status",
        "aws_servicecatalog_principal_portfolio_association",
    }
    assert required <= types, sorted(required - types)
    main = (REPO / "envs" / "reference" / "main.tf").read_text()
    version_3 = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn-xgboost/3"
    assert f'model_package_arn  = "{version_3}"' in main
    assert "credentials_provider_arn" in main and "vpc_config" in main
    assert 'resource "time_sleep" "iam_propagation"' in main


def test_policies_come_after_the_roles_they_name() -> None:
    for env_dir in GOLDEN_DIRS:
        parsed = hcl2.loads((env_dir / "main.tf").read_text())
        modules = {label.strip('"'): b for item in parsed["module"] for label, b in item.items()}
        sleep = parsed["resource"][0]['"time_sleep"']['"iam_propagation"']
        after_sleep = {d.strip("${}") for d in sleep["depends_on"]}
        created_roles: dict[str, set[str]] = {}
        for name, body in modules.items():
            if str(body["source"]).endswith('iam_role"') and body.get("create_role") is True:
                created_roles.setdefault(body["name"].strip('"'), set()).add(f"module.{name}")
        checked = 0
        for name, body in modules.items():
            text = str({k: v for k, v in body.items() if k != "depends_on"})
            deps = {d.strip("${}") for d in body.get("depends_on", [])}
            if "time_sleep.iam_propagation" in deps:
                deps |= after_sleep  # ordered after everything the sleep waits for
            for role_name in re.findall(r"arn:aws:iam::\d{12}:role/([\w+=,.@-]+)", text):
                owners = created_roles.get(role_name, set()) - {f"module.{name}"}
                if not owners:
                    continue
                checked += 1
                assert owners & deps, f"{env_dir.name}: {name} names {role_name} before it exists"
        assert checked, f"{env_dir.name}: no policy names a created role"


def test_models_wait_for_every_policy_and_iam_propagation() -> None:
    for env_dir in GOLDEN_DIRS:
        parsed = hcl2.loads((env_dir / "main.tf").read_text())
        modules = {
            label.strip('"'): body for item in parsed["module"] for label, body in item.items()
        }
        sleep = parsed["resource"][0]['"time_sleep"']['"iam_propagation"']
        waited = {d.strip("${}") for d in sleep["depends_on"]}
        policy_modules = {
            f"module.{name}"
            for name, body in modules.items()
            if re.search(
                r"/(iam_role|kms_key|artifact_bucket|ecr_repository_policy|"
                r"model_package_group)\"$",
                str(body["source"]),
            )
            and not name.endswith("endpoint_volumes")
        }
        assert policy_modules and policy_modules <= waited, sorted(policy_modules - waited)
        for name, body in modules.items():
            if str(body["source"]).endswith('sagemaker_model"'):
                assert "${time_sleep.iam_propagation}" in body["depends_on"], name
