"""The commented starter topology `gen init` writes: it renders as it is (placeholder
account IDs), and every line says what to change."""

from __future__ import annotations

STARTER = """\
# yaml-language-server: $schema={schema_url}
# A gen environment: `gen render {env_dir}` turns this file into a Terraform root here.
# Every field is described in docs/topology.md of gen's repository ({repository}).
# Replace the placeholder account IDs and names below with yours, then run
#   gen render {env_dir} && gen lint {env_dir} && gen verify {env_dir}
version: 1
environment: {environment}   # goes into resource names and the Environment tag
region: {region}

# Your accounts by short name -> 12-digit account ID (quoted: an ID may start with 0).
# Two names may share one ID in a small organisation.
accounts:
  data-science: "111111111111"
  registry: "222222222222"
  deployment: "333333333333"
  staging: "444444444444"
  prod: "555555555555"

# The role Terraform assumes in every account; it must exist already.
terraform_role: TerraformDeployment

# Where models are trained. gen creates the training role (existing_role: true to keep
# yours) and the KMS key that encrypts training output (kms_key.arn to use an existing key).
training:
  account: data-science
  role: SageMakerTrainingExecution
  kms_key:
    alias: sagemaker/{environment}-training-output
  # image_repositories: [my-inference-image]   # ECR repositories that serve models

# The model registry: the groups training registers versions in, and the artifact bucket
# (created and hardened by gen; existing: true to manage only its policy).
registry:
  account: registry
  model_package_groups:
    - my-model
  artifact_bucket:
    name: {environment}-model-artifacts-222222222222
    prefix: models/

# The CI/CD role that approves versions and promotes them; it must exist already.
deployment:
  account: deployment
  role: ModelDeployPipeline

# Where models are served, in promotion order. Each stage gets its execution role, its
# models and its endpoints; each resource is tagged Stage=<name>.
stages:
  - name: staging
    account: staging
    execution_role: SageMakerExecution
    models:
      my-model-v1:
        model_package: {{group: my-model, version: 1}}   # or version: latest-approved
    endpoints:
      my-model-staging:
        variants:
          - {{name: primary, model: my-model-v1, instance_type: ml.m5.large, instance_count: 1}}

  - name: prod
    account: prod
    execution_role: SageMakerExecution
    # network:                 # the models' VPC; needed for a private registry image
    #   vpc_id: vpc-0123456789abcdef0
    #   subnet_ids: [subnet-0123456789abcdef0]
    #   security_group_ids: [sg-0123456789abcdef0]
    #   lambda_endpoint: create   # existing: the VPC already has a Lambda endpoint
    models:
      my-model-v1:
        model_package: {{group: my-model, version: 1}}
    endpoints:
      my-model-prod:
        variants:
          - {{name: primary, model: my-model-v1, instance_type: ml.m5.xlarge, instance_count: 2}}

# Optional: let Studio users with custom execution roles use JumpStart.
# jumpstart:
#   account: data-science
#   custom_execution_roles: [DataScientistRole]

# Optional: tags added to every resource (besides Environment, Stage and ManagedBy).
# tags:
#   CostCenter: ml-platform
"""


def starter_topology(
    environment: str, region: str, env_dir: str, schema_url: str, repository: str
) -> str:
    return STARTER.format(
        environment=environment,
        region=region,
        env_dir=env_dir,
        schema_url=schema_url,
        repository=repository,
    )
