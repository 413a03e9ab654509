output "role_name" {
  description = "Name of the role."
  value       = var.name
}

output "role_arn" {
  description = "ARN of the role."
  value       = var.create_role ? aws_iam_role.this[0].arn : null
}

output "policy_id" {
  description = "ID of the inline policy resource (for ordering)."
  value       = aws_iam_role_policy.this.id
}
