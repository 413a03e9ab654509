variable "name" {
  description = "Name of the model package group."
  type        = string
}

variable "description" {
  description = "Description of the model package group."
  type        = string
}

variable "policy" {
  description = "Resource policy (JSON) of the group."
  type        = string
}

variable "tags" {
  description = "Tags of the group."
  type        = map(string)
  default     = {}
}
