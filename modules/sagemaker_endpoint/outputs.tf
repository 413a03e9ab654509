output "name" {
  description = "Name of the endpoint."
  value       = aws_sagemaker_endpoint.this.name
}

output "arn" {
  description = "ARN of the endpoint."
  value       = aws_sagemaker_endpoint.this.arn
}

output "config_name" {
  description = "Name of the endpoint configuration in service."
  value       = local.config.name
}
