output "name" {
  description = "Name of the SageMaker model."
  value       = aws_sagemaker_model.this.name
}

output "arn" {
  description = "ARN of the SageMaker model."
  value       = aws_sagemaker_model.this.arn
}
