variable "portfolio_id" {
  description = "ID of the SageMaker Service Catalog portfolio (port-...)."
  type        = string
}

variable "principal_arns" {
  description = "ARNs of the custom execution roles to associate with the portfolio."
  type        = list(string)
}
