# Broken on purpose: the endpoint module has no variable "instance_type", and its required
# "variants" is missing.
module "endpoint" {
  source = "../../../modules/sagemaker_endpoint"

  name          = "churn-qa"
  config_name   = "churn-qa-0957853b"
  kms_key_arn   = "arn:aws:kms:us-east-1:444444444444:key/0a1b2c3d-4e5f-6789-0abc-def012345678"
  instance_type = "ml.m5.large"
}
