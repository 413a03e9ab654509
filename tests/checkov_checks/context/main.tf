# Checks that need the root's context (checkov runs with this directory as cwd).

# CKV_GEN_2: the key's own account root may administer it (the default key policy); the
# account is known from the module's provider.
module "ok_own_root_administers_key" {
  source = "../../../modules/kms_key"
  providers = {
    aws = aws.training
  }
  alias       = "ok"
  description = "own account"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "KeyAdministrationByAccount", Effect = "Allow", Principal = { AWS = "arn:aws:iam::222222222222:root" }, Action = "kms:*", Resource = "*" }]
  })
}

module "bad_foreign_root_administers_key" {
  source = "../../../modules/kms_key"
  providers = {
    aws = aws.training
  }
  alias       = "bad"
  description = "another account"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "KeyAdministrationByAccount", Effect = "Allow", Principal = { AWS = "arn:aws:iam::555555555555:root" }, Action = "kms:*", Resource = "*" }]
  })
}

# CKV_GEN_3: every model of the prod stage (which has a network) needs a VpcConfig.
module "ok_networked_stage_model" {
  source = "../../../modules/sagemaker_model"
  providers = {
    aws = aws.prod
  }
  name               = "prod-churn"
  execution_role_arn = "arn:aws:iam::555555555555:role/SageMakerExecution"
  model_package_arn  = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3"
  vpc_config = {
    subnet_ids         = ["subnet-0a1b2c3d4e5f60001"]
    security_group_ids = ["sg-0a1b2c3d4e5f60003"]
  }
}

module "bad_networked_stage_model_without_vpc" {
  source = "../../../modules/sagemaker_model"
  providers = {
    aws = aws.prod
  }
  name               = "prod-churn-v4"
  execution_role_arn = "arn:aws:iam::555555555555:role/SageMakerExecution"
  model_package_arn  = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/4"
}

module "ok_stage_without_network" {
  source             = "../../../modules/sagemaker_model"
  name               = "qa-churn"
  execution_role_arn = "arn:aws:iam::444444444444:role/SageMakerExecution"
  model_package_arn  = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3"
}
