"""ARNs and AWS names that the topology determines, built in one place."""

from __future__ import annotations

import hashlib

PARTITION = "aws"


def role(account_id: str, name: str) -> str:
    return f"arn:{PARTITION}:iam::{account_id}:role/{name}"


def account_root(account_id: str) -> str:
    return f"arn:{PARTITION}:iam::{account_id}:root"


def bucket(name: str) -> str:
    return f"arn:{PARTITION}:s3:::{name}"


def objects(name: str, prefix: str) -> str:
    return f"arn:{PARTITION}:s3:::{name}/{prefix}*"


def kms_keys(region: str, account_id: str) -> str:
    return f"arn:{PARTITION}:kms:{region}:{account_id}:key/*"


def ecr_repository(region: str, account_id: str, name: str) -> str:
    return f"arn:{PARTITION}:ecr:{region}:{account_id}:repository/{name}"


def ecr_image(region: str, account_id: str, repository: str, digest: str) -> str:
    return f"{account_id}.dkr.ecr.{region}.amazonaws.com/{repository}@{digest}"


# SageMaker writes resource names into its ARNs in lowercase; IAM compares ARNs case-sensitively.
def model_package_group(region: str, account_id: str, group: str) -> str:
    return f"arn:{PARTITION}:sagemaker:{region}:{account_id}:model-package-group/{group.lower()}"


def model_packages(region: str, account_id: str, group: str) -> str:
    return f"arn:{PARTITION}:sagemaker:{region}:{account_id}:model-package/{group.lower()}/*"


def model_package(region: str, account_id: str, group: str, version: int) -> str:
    return (
        f"arn:{PARTITION}:sagemaker:{region}:{account_id}:model-package/{group.lower()}/{version}"
    )


def lambda_function(region: str, account_id: str, name: str) -> str:
    return f"arn:{PARTITION}:lambda:{region}:{account_id}:function:{name}"


def secret(region: str, account_id: str, name: str) -> str:
    # Secrets Manager appends "-" and six random characters to a secret's name in its ARN.
    return f"arn:{PARTITION}:secretsmanager:{region}:{account_id}:secret:{name}-??????"


def log_group(region: str, account_id: str, name: str) -> str:
    return f"arn:{PARTITION}:logs:{region}:{account_id}:log-group:{name}"


def short_hash(*parts: str, length: int = 8) -> str:
    """A stable digest of the parts: names that change when what they name changes."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:length]
