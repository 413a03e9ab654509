output "key_arn" {
  description = "ARN of the key (created or existing): the estimator's output_kms_key."
  value       = local.key_arn
}

output "alias_arn" {
  description = "ARN of the created alias, null for an existing key."
  value       = var.create_key ? aws_kms_alias.this[0].arn : null
}

output "grant_ids" {
  description = "IDs of the grants, by name."
  value       = { for name, grant in aws_kms_grant.this : name => grant.grant_id }
}
