output "arn" {
  description = "ARN of the model package group."
  value       = aws_sagemaker_model_package_group.this.arn
}

output "name" {
  description = "Name of the model package group."
  value       = aws_sagemaker_model_package_group.this.model_package_group_name
}

output "policy_id" {
  description = "ID of the group policy resource (for ordering)."
  value       = aws_sagemaker_model_package_group_policy.this.id
}
