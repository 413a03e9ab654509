# CKV_GEN_2: an account root of another account only narrowed by aws:PrincipalArn or for
# reads. No root context here (no providers.tf): only Resource ARNs tell the own account.

resource "aws_ecr_repository_policy" "ok_registry_root_reads_images" {
  repository = "serving"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "RegistryReadsImages", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111111111111:root" }, Action = ["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"] }]
  })
}

resource "aws_s3_bucket_policy" "ok_root_narrowed_by_principal_arn" {
  bucket = "artifacts"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::222222222222:root" }
      Action    = "s3:PutObject"
      Resource  = "arn:aws:s3:::artifacts/models/*"
      Condition = { ArnLike = { "aws:PrincipalArn" = "arn:aws:iam::222222222222:role/Training*" } }
    }]
  })
}

resource "aws_sagemaker_model_package_group_policy" "ok_own_account_root" {
  model_package_group_name = "churn"
  resource_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::111111111111:root" }, Action = "sagemaker:UpdateModelPackage", Resource = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/*" }]
  })
}

resource "aws_sagemaker_model_package_group_policy" "bad_foreign_root_creates_models" {
  model_package_group_name = "churn"
  resource_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::444444444444:root" }, Action = ["sagemaker:CreateModel", "sagemaker:DescribeModelPackage"], Resource = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/*" }]
  })
}

resource "aws_kms_key" "bad_unknown_root_administers_key" {
  description         = "no provider context: the key's account is not known"
  enable_key_rotation = true
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::444444444444:root" }, Action = "kms:*", Resource = "*" }]
  })
}

resource "aws_iam_role" "bad_bare_account_assumes" {
  name = "shared"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "444444444444" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role" "ok_root_assumes_with_principal_arn" {
  name = "shared"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::444444444444:root" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:PrincipalArn" = "arn:aws:iam::444444444444:role/Deployer" } }
    }]
  })
}

resource "aws_kms_grant" "ok_registry_uses_key_for_data" {
  key_id            = "arn:aws:kms:us-east-1:222222222222:key/0a1b2c3d-4e5f-6789-0abc-def012345678"
  grantee_principal = "arn:aws:iam::111111111111:root"
  operations        = ["Decrypt", "GenerateDataKey"]
}

resource "aws_kms_grant" "bad_root_may_regrant" {
  key_id            = "arn:aws:kms:us-east-1:222222222222:key/0a1b2c3d-4e5f-6789-0abc-def012345678"
  grantee_principal = "arn:aws:iam::111111111111:root"
  operations        = ["Decrypt", "CreateGrant"]
}
