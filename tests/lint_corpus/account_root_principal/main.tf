# Broken on purpose: the whole QA account may create models from every version, where the
# contract names the stage's Terraform role (and the registry's own root is fine).
module "group" {
  source = "../../../modules/model_package_group"
  providers = {
    aws = aws.registry
  }

  name        = "churn-xgboost"
  description = "versions of churn-xgboost"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "RegistryAdministersGroup"
        Effect = "Allow"
        Principal = {
          AWS = "arn:aws:iam::111111111111:root"
        }
        Action   = "sagemaker:UpdateModelPackage"
        Resource = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn-xgboost/*"
      },
      {
        Sid    = "QaCreatesModels"
        Effect = "Allow"
        Principal = {
          AWS = "arn:aws:iam::444444444444:root"
        }
        Action   = ["sagemaker:CreateModel", "sagemaker:DescribeModelPackage"]
        Resource = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn-xgboost/*"
      },
    ]
  })
}
