# Broken on purpose: the image comes from a private registry over the VPC
# (repository_access_mode Vpc), yet the model has no VpcConfig.
module "model" {
  source = "../../../modules/sagemaker_model"

  name                     = "prod-churn-custom"
  execution_role_arn       = "arn:aws:iam::555555555555:role/SageMakerExecution"
  image                    = "registry.example.com/churn@sha256:3f1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809"
  model_data_url           = "s3://artifacts-111111111111/models/churn/model.tar.gz"
  credentials_provider_arn = "arn:aws:lambda:us-east-1:555555555555:function:prod-creds"
}
