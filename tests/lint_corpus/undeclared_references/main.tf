# Broken on purpose: a misspelt variable, an undeclared local value and resource, and an
# attribute the resource type does not have.
locals {
  prefix = "churn"
}

resource "aws_sagemaker_model_package_group" "churn" {
  model_package_group_name = var.group_nam
}

output "group" {
  value = "${aws_sagemaker_model_package_group.churn.model_package_group_name}/${local.prefx}"
}

output "group_arn" {
  value = aws_sagemaker_model_package_group.churn.group_arn
}

output "other_group" {
  value = aws_sagemaker_model_package_group.other.arn
}
