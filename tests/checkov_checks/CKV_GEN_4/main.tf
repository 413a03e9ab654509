# CKV_GEN_4: an endpoint configuration has a KMS key, unless every variant runs on an
# instance type with local NVMe storage. Direct resources and the project's own module.

resource "aws_sagemaker_endpoint_configuration" "ok_with_key" {
  name        = "churn"
  kms_key_arn = "arn:aws:kms:us-east-1:444444444444:key/0a1b2c3d-4e5f-6789-0abc-def012345678"

  production_variants {
    variant_name           = "primary"
    model_name             = "churn"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}

resource "aws_sagemaker_endpoint_configuration" "ok_local_storage_without_key" {
  name = "churn"

  production_variants {
    variant_name           = "primary"
    model_name             = "churn"
    instance_type          = "ml.g4dn.xlarge"
    initial_instance_count = 1
  }
}

resource "aws_sagemaker_endpoint_configuration" "bad_without_key" {
  name = "churn"

  production_variants {
    variant_name           = "primary"
    model_name             = "churn"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}

resource "aws_sagemaker_endpoint_configuration" "bad_mixed_storage_without_key" {
  name = "churn"

  production_variants {
    variant_name           = "current"
    model_name             = "churn"
    instance_type          = "ml.g4dn.xlarge"
    initial_instance_count = 1
  }

  production_variants {
    variant_name           = "candidate"
    model_name             = "churn"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}

module "ok_module_with_key" {
  source      = "../../../modules/sagemaker_endpoint"
  name        = "churn"
  config_name = "churn-1"
  kms_key_arn = "arn:aws:kms:us-east-1:444444444444:key/0a1b2c3d-4e5f-6789-0abc-def012345678"
  variants    = [{ name = "primary", model_name = "churn", instance_type = "ml.m5.large", instance_count = 1, weight = 1 }]
}

module "ok_module_local_storage" {
  source      = "../../../modules/sagemaker_endpoint"
  name        = "churn"
  config_name = "churn-2"
  variants    = [{ name = "primary", model_name = "churn", instance_type = "ml.g4dn.xlarge", instance_count = 1, weight = 1 }]
}

module "bad_module_without_key" {
  source      = "../../../modules/sagemaker_endpoint"
  name        = "churn"
  config_name = "churn-3"
  variants    = [{ name = "primary", model_name = "churn", instance_type = "ml.m5.large", instance_count = 1, weight = 1 }]
}
