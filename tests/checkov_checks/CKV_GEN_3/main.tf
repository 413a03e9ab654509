# CKV_GEN_3: a model pulling over the VPC has a complete VpcConfig. Without topology.yaml no
# stage is known to have a network. Direct resources and the project's own module.

resource "aws_sagemaker_model" "ok_private_registry_in_vpc" {
  name               = "custom"
  execution_role_arn = "arn:aws:iam::555555555555:role/SageMakerExecution"

  primary_container {
    image = "registry.example.com/churn@sha256:3f1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809"
    image_config {
      repository_access_mode = "Vpc"
      repository_auth_config {
        repository_credentials_provider_arn = "arn:aws:lambda:us-east-1:555555555555:function:creds"
      }
    }
  }

  vpc_config {
    subnets            = ["subnet-0a1b2c3d4e5f60001"]
    security_group_ids = ["sg-0a1b2c3d4e5f60003"]
  }
}

resource "aws_sagemaker_model" "ok_model_package_without_network" {
  name               = "churn"
  execution_role_arn = "arn:aws:iam::444444444444:role/SageMakerExecution"

  primary_container {
    model_package_name = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3"
  }
}

resource "aws_sagemaker_model" "bad_private_registry_outside_vpc" {
  name               = "custom"
  execution_role_arn = "arn:aws:iam::555555555555:role/SageMakerExecution"

  primary_container {
    image = "registry.example.com/churn@sha256:3f1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809"
    image_config {
      repository_access_mode = "Vpc"
      repository_auth_config {
        repository_credentials_provider_arn = "arn:aws:lambda:us-east-1:555555555555:function:creds"
      }
    }
  }
}

resource "aws_sagemaker_model" "bad_vpc_config_without_groups" {
  name               = "churn"
  execution_role_arn = "arn:aws:iam::555555555555:role/SageMakerExecution"

  primary_container {
    model_package_name = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3"
  }

  vpc_config {
    subnets            = ["subnet-0a1b2c3d4e5f60001"]
    security_group_ids = []
  }
}

module "ok_module_private_registry_in_vpc" {
  source                   = "../../../modules/sagemaker_model"
  name                     = "custom"
  execution_role_arn       = "arn:aws:iam::555555555555:role/SageMakerExecution"
  image                    = "registry.example.com/churn@sha256:3f1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809"
  model_data_url           = "s3://artifacts/models/churn/model.tar.gz"
  credentials_provider_arn = "arn:aws:lambda:us-east-1:555555555555:function:creds"
  vpc_config = {
    subnet_ids         = ["subnet-0a1b2c3d4e5f60001"]
    security_group_ids = ["sg-0a1b2c3d4e5f60003"]
  }
}

module "ok_module_model_package" {
  source             = "../../../modules/sagemaker_model"
  name               = "churn"
  execution_role_arn = "arn:aws:iam::444444444444:role/SageMakerExecution"
  model_package_arn  = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3"
}

module "bad_module_private_registry_outside_vpc" {
  source                   = "../../../modules/sagemaker_model"
  name                     = "custom"
  execution_role_arn       = "arn:aws:iam::555555555555:role/SageMakerExecution"
  image                    = "registry.example.com/churn@sha256:3f1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809"
  model_data_url           = "s3://artifacts/models/churn/model.tar.gz"
  credentials_provider_arn = "arn:aws:lambda:us-east-1:555555555555:function:creds"
}
