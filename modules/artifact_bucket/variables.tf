variable "bucket" {
  description = "Name of the artifact bucket."
  type        = string
}

variable "create_bucket" {
  description = "Create the bucket, hardened (true), or only manage the policy of an existing one (false)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key for default SSE-KMS encryption of a created bucket."
  type        = string
  default     = null
}

variable "policy" {
  description = "Bucket policy (JSON)."
  type        = string
}

variable "tags" {
  description = "Tags of the created bucket."
  type        = map(string)
  default     = {}
}
