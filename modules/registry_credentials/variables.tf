variable "name" {
  description = "Prefix of the names of this stage's network resources."
  type        = string
}

variable "functions" {
  description = "Credentials functions by function name: the secret each reads and the role it runs as."
  type = map(object({
    secret_name = string
    role_arn    = string
  }))
}

variable "vpc_id" {
  description = "VPC of the stage's models."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the Lambda interface endpoint (the models' subnets)."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups of the models, allowed to reach the endpoint on 443."
  type        = list(string)
}

variable "create_lambda_endpoint" {
  description = "Create the Lambda interface endpoint and its security group; false when the VPC already resolves Lambda privately (a central endpoint)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags of the created resources."
  type        = map(string)
  default     = {}
}
