# Broken on purpose: an endpoint configuration needs at least one production_variants block.
resource "aws_sagemaker_endpoint_configuration" "churn" {
  name        = "churn-qa"
  kms_key_arn = "arn:aws:kms:us-east-1:444444444444:key/0a1b2c3d-4e5f-6789-0abc-def012345678"
}
