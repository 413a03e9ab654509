# The model is created only after every policy it relies on exists and IAM has had time to
# propagate: the caller passes those as depends_on on the module (see README).
resource "aws_sagemaker_model" "this" {
  name                     = var.name
  execution_role_arn       = var.execution_role_arn
  enable_network_isolation = var.enable_network_isolation
  tags                     = var.tags

  primary_container {
    model_package_name = var.model_package_arn
    image              = var.image
    model_data_url     = var.model_data_url

    dynamic "image_config" {
      for_each = var.credentials_provider_arn == null ? [] : [var.credentials_provider_arn]

      content {
        repository_access_mode = "Vpc"

        repository_auth_config {
          repository_credentials_provider_arn = image_config.value
        }
      }
    }
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]

    content {
      subnets            = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}
