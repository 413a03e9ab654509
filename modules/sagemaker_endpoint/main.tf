resource "aws_sagemaker_endpoint_configuration" "this" {
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

  # A new configuration (its name carries a digest of the variants) is created before the
  # endpoint switches to it; the old one goes afterwards.
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint" "this" {
  name                 = var.name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this.name
  tags                 = var.tags
}
