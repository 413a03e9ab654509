output "bucket_name" {
  description = "Name of the artifact bucket."
  value       = var.bucket
}

output "bucket_arn" {
  description = "ARN of the artifact bucket."
  value       = "arn:aws:s3:::${var.bucket}"
}

output "policy_id" {
  description = "ID of the bucket policy resource (for ordering)."
  value       = aws_s3_bucket_policy.this.id
}
