# Imports the SageMaker Service Catalog portfolio (JumpStart solutions, Projects templates)
# into the account, then lets each custom execution role use it.
resource "aws_sagemaker_servicecatalog_portfolio_status" "this" {
  status = "Enabled"
}

resource "aws_servicecatalog_principal_portfolio_association" "this" {
  for_each = toset(var.principal_arns)

  portfolio_id   = var.portfolio_id
  principal_arn  = each.value
  principal_type = "IAM"

  depends_on = [aws_sagemaker_servicecatalog_portfolio_status.this]
}
