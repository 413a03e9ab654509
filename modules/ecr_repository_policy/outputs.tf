output "repository" {
  description = "Name of the repository whose policy is managed."
  value       = aws_ecr_repository_policy.this.repository
}
