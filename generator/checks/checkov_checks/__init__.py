"""gen's own checkov checks, loaded with ``checkov --external-checks-dir <this directory>``.

They run inside checkov's virtualenv (``.venv-checkov``), never in gen's: nothing here may
import ``generator``. checkov puts this directory on ``sys.path`` and imports every ``.py``
file in it, so ``gen_checks`` imports its pure rules as the top-level module ``policy_rules``;
gen's tests import the same rules as ``generator.checks.checkov_checks.policy_rules``.

| id | what fails |
|---|---|
| CKV_GEN_1 | an Allow statement (or permission, or grant) whose principal is or contains ``*``, or
  that uses ``NotPrincipal`` |
| CKV_GEN_2 | an account root of another account as principal, unless the statement has an
  ``aws:PrincipalArn`` condition or grants only reads |
| CKV_GEN_3 | a SageMaker model without a VpcConfig in a stage with a network, or with a
  private-registry image reached over the VPC; a VpcConfig without subnets or groups |
| CKV_GEN_4 | an endpoint configuration without a KMS key (unless every variant runs on an
  instance type with local NVMe storage, which SageMaker encrypts in hardware) |
| CKV_GEN_5 | an Allow statement with ``Action: "*"`` (or ``*:*``) or ``NotAction`` |
| CKV_GEN_6 | a trust policy for SageMaker or Lambda without an ``aws:SourceAccount`` or
  ``aws:SourceArn`` condition (confused deputy) |
| CKV_GEN_7 | a SageMaker container image not pinned by digest (``@sha256:<64 hex>``) |
| CKV_GEN_8 | ``AmazonSageMakerFullAccess`` attached to a role |
"""
