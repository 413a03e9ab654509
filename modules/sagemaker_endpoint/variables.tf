variable "name" {
  description = "Name of the endpoint (what applications invoke)."
  type        = string
}

variable "config_name" {
  description = "Name of the endpoint configuration (gen suffixes a digest of the variants)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the ML storage volumes; null only when a variant uses an instance type with local NVMe storage."
  type        = string
  default     = null
}

# count cannot depend on kms_key_arn: the ARN of a key created in the same apply is unknown at
# plan time ("Invalid count argument"). This flag is a literal in the render.
variable "local_storage" {
  description = "True when a variant uses an instance type with local NVMe storage: the configuration then sets no KMS key."
  type        = bool
  default     = false
}

variable "variants" {
  description = "Production variants, in order."
  type = list(object({
    name           = string
    model_name     = string
    instance_type  = string
    instance_count = number
    weight         = number
  }))
}

variable "tags" {
  description = "Tags of the configuration and the endpoint."
  type        = map(string)
  default     = {}
}
