variable "create_key" {
  description = "Create the key (true) or only add grants to an existing one (false)."
  type        = bool
  default     = true
}

variable "existing_key_arn" {
  description = "ARN of the existing key when create_key is false."
  type        = string
  default     = null
}

variable "alias" {
  description = "Alias of the created key, without the alias/ prefix."
  type        = string
}

variable "description" {
  description = "Description of the created key."
  type        = string
}

variable "policy" {
  description = "Key policy (JSON) of the created key."
  type        = string
  default     = null
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion completes."
  type        = number
  default     = 30
}

variable "grants" {
  description = "KMS grants by name: grantee principal ARN and KMS operations."
  type = map(object({
    grantee_principal = string
    operations        = list(string)
  }))
  default = {}
}

variable "tags" {
  description = "Tags of the created key."
  type        = map(string)
  default     = {}
}
