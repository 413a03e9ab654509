output "associated_principals" {
  description = "Principal ARNs associated with the portfolio."
  value       = sort([for a in aws_servicecatalog_principal_portfolio_association.this : a.principal_arn])
}
