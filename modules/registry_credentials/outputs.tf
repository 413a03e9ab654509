output "function_arns" {
  description = "ARNs of the credentials functions, by name."
  value       = { for name, fn in aws_lambda_function.this : name => fn.arn }
}

output "vpc_endpoint_id" {
  description = "ID of the Lambda interface endpoint (null when the VPC's existing one is used)."
  value       = one(aws_vpc_endpoint.lambda[*].id)
}

output "security_group_id" {
  description = "ID of the endpoint's security group (null when the VPC's existing endpoint is used)."
  value       = one(aws_security_group.endpoint[*].id)
}
