locals {
  config = var.local_storage ? aws_sagemaker_endpoint_configuration.local_storage[0] : aws_sagemaker_endpoint_configuration.this[0]
}

# Configurations are named with a digest of their variants: a change creates a new one before
# the endpoint switches to it (create_before_destroy); the old one goes afterwards.
resource "aws_sagemaker_endpoint_configuration" "this" {
  count = var.local_storage ? 0 : 1

  name        = var.config_name
  kms_key_arn = var.kms_key_arn
  tags        = var.tags

  dynamic "production_variants" {
    for_each = var.variants

    content {
      variant_name           = production_variants.value.name
      model_name             = production_variants.value.model_name
      instance_type          = production_variants.value.instance_type
      initial_instance_count = production_variants.value.instance_count
      initial_variant_weight = production_variants.value.weight
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

# Used only when a variant runs on an instance type with local NVMe storage (ml.g4dn, ml.m5d,
# ...): SageMaker encrypts those volumes in hardware and rejects a KmsKeyId for them.
resource "aws_sagemaker_endpoint_configuration" "local_storage" {
  count = var.local_storage ? 1 : 0

  # checkov:skip=CKV_AWS_98:This configuration is used only for instance types with local NVMe storage, which the instance encrypts in hardware; CreateEndpointConfig fails if a KmsKeyId is set for them.
  name = var.config_name
  tags = var.tags

  dynamic "production_variants" {
    for_each = var.variants

    content {
      variant_name           = production_variants.value.name
      model_name             = production_variants.value.model_name
      instance_type          = production_variants.value.instance_type
      initial_instance_count = production_variants.value.instance_count
      initial_variant_weight = production_variants.value.weight
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint" "this" {
  name                 = var.name
  endpoint_config_name = local.config.name
  tags                 = var.tags
}
