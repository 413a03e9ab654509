"""A stand-in for the hashicorp/aws, hashicorp/time and hashicorp/archive providers.

It serves gen's vendored provider schemas (``generator/data/*_provider_schema.json.gz``) to
Terraform over plugin protocol 6 (gRPC behind the go-plugin handshake), so the real
``terraform init``, ``validate``, ``plan`` and ``apply`` run on a render without network,
credentials or the provider binaries:

* plan: computed attributes that the configuration leaves null become unknown on create;
* apply: unknowns become deterministic placeholders of the attribute's type (an ARN shape
  for ``arn`` / ``*_arn`` attributes, the configured region and account where an attribute
  is named so), so the state is real and a second plan is empty;
* data sources: computed attributes get the same placeholders when Terraform reads them.

What it cannot know: every rule the real provider or the AWS API applies (enum values,
ARN/principal validity, ForceNew replacement, server-side defaults). It never contacts AWS.

Run only through a private Terraform CLI configuration with ``dev_overrides`` (see
``generator.terraform.runner``); it exits by itself when its parent process goes away.
"""
