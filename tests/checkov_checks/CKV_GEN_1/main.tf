# CKV_GEN_1: no "*" principal in an Allow. ok_* must pass, bad_* must fail.

resource "aws_s3_bucket_policy" "ok_deny_everyone_without_tls" {
  bucket = "artifacts"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "StageReads"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::444444444444:role/SageMakerExecution" }
        Action    = "s3:GetObject"
        Resource  = "arn:aws:s3:::artifacts/*"
      },
    ]
  })
}

resource "aws_s3_bucket_policy" "bad_anyone_reads" {
  bucket = "artifacts"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:GetObject", Resource = "arn:aws:s3:::artifacts/*" }]
  })
}

resource "aws_ecr_repository_policy" "bad_any_account_root" {
  repository = "serving"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = ["arn:aws:iam::*:root"] }, Action = "ecr:BatchGetImage" }]
  })
}

resource "aws_s3_bucket_policy" "bad_not_principal" {
  bucket = "artifacts"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", NotPrincipal = { AWS = "arn:aws:iam::444444444444:role/X" }, Action = "s3:GetObject", Resource = "arn:aws:s3:::artifacts/*" }]
  })
}

resource "aws_lambda_permission" "ok_sagemaker_invokes" {
  statement_id   = "SageMaker"
  action         = "lambda:InvokeFunction"
  function_name  = "creds"
  principal      = "sagemaker.amazonaws.com"
  source_account = "555555555555"
}

resource "aws_lambda_permission" "bad_anyone_invokes" {
  statement_id  = "Anyone"
  action        = "lambda:InvokeFunction"
  function_name = "creds"
  principal     = "*"
}

resource "aws_kms_grant" "ok_grant_to_role" {
  key_id            = "arn:aws:kms:us-east-1:222222222222:key/0a1b2c3d-4e5f-6789-0abc-def012345678"
  grantee_principal = "arn:aws:iam::111111111111:role/Registry"
  operations        = ["Decrypt"]
}

resource "aws_kms_grant" "bad_grant_to_anyone" {
  key_id            = "arn:aws:kms:us-east-1:222222222222:key/0a1b2c3d-4e5f-6789-0abc-def012345678"
  grantee_principal = "*"
  operations        = ["Decrypt"]
}

# Inside jsonencode, passed into a module as a variable.
module "ok_module_policy" {
  source = "../_modules/bucket_policy"
  bucket = "artifacts"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::444444444444:role/SageMakerExecution" }, Action = "s3:GetObject", Resource = "arn:aws:s3:::artifacts/*" }]
  })
}

module "bad_module_policy" {
  source = "../_modules/bucket_policy"
  bucket = "artifacts"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "s3:GetObject", Resource = "arn:aws:s3:::artifacts/*" }]
  })
}
