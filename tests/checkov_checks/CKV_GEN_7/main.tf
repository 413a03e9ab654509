# CKV_GEN_7: container images are pinned by digest.

resource "aws_sagemaker_model" "ok_pinned" {
  name               = "custom"
  execution_role_arn = "arn:aws:iam::555555555555:role/SageMakerExecution"
  primary_container {
    image = "222222222222.dkr.ecr.us-east-1.amazonaws.com/serving@sha256:3f1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809"
  }
}

resource "aws_sagemaker_model" "ok_model_package" {
  name               = "churn"
  execution_role_arn = "arn:aws:iam::555555555555:role/SageMakerExecution"
  primary_container {
    model_package_name = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3"
  }
}

resource "aws_sagemaker_model" "bad_tag" {
  name               = "custom"
  execution_role_arn = "arn:aws:iam::555555555555:role/SageMakerExecution"
  primary_container {
    image = "222222222222.dkr.ecr.us-east-1.amazonaws.com/serving:latest"
  }
}

resource "aws_sagemaker_model" "bad_short_digest" {
  name               = "custom"
  execution_role_arn = "arn:aws:iam::555555555555:role/SageMakerExecution"
  primary_container {
    image = "registry.example.com/serving@sha256:3f1b2c4d"
  }
}

resource "aws_sagemaker_model" "bad_container_tag" {
  name               = "pipeline"
  execution_role_arn = "arn:aws:iam::555555555555:role/SageMakerExecution"
  container {
    image = "registry.example.com/serving:1.0"
  }
}
