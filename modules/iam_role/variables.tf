variable "name" {
  description = "Name of the role."
  type        = string
}

variable "create_role" {
  description = "Create the role (true) or only add the inline policy to an existing role (false)."
  type        = bool
  default     = true
}

variable "description" {
  description = "Description of the created role."
  type        = string
  default     = null
}

variable "trust_policy" {
  description = "Trust (assume role) policy (JSON) of the created role."
  type        = string
  default     = null
}

variable "policy_name" {
  description = "Name of the inline policy."
  type        = string
}

variable "policy" {
  description = "Inline policy (JSON)."
  type        = string
}

variable "tags" {
  description = "Tags of the created role."
  type        = map(string)
  default     = {}
}
