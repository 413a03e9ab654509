# Broken on purpose: the sagemaker_model module has no output "endpoint_name".
module "model" {
  source = "../../../modules/sagemaker_model"

  name               = "qa-churn-v3"
  execution_role_arn = "arn:aws:iam::444444444444:role/SageMakerExecution"
  model_package_arn  = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn-xgboost/3"
}

output "endpoint_name" {
  value = module.model.endpoint_name
}
