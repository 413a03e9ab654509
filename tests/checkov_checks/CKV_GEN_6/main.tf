# CKV_GEN_6: SageMaker and Lambda trust carries aws:SourceAccount or aws:SourceArn.

resource "aws_iam_role" "ok_sagemaker_with_source_account" {
  name = "SageMakerExecution"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "sagemaker.amazonaws.com" }, Action = "sts:AssumeRole", Condition = { StringEquals = { "aws:SourceAccount" = "444444444444" } } }]
  })
}

resource "aws_iam_role" "ok_lambda_with_source_arn" {
  name = "creds"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = ["lambda.amazonaws.com"] }, Action = "sts:AssumeRole", Condition = { ArnLike = { "aws:SourceArn" = "arn:aws:lambda:us-east-1:555555555555:function:creds" } } }]
  })
}

resource "aws_iam_role" "ok_other_service" {
  name = "instance"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role" "bad_sagemaker_without_condition" {
  name = "SageMakerExecution"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "sagemaker.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role" "bad_lambda_without_condition" {
  name = "creds"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = ["lambda.amazonaws.com", "edgelambda.amazonaws.com"] }, Action = "sts:AssumeRole" }]
  })
}
