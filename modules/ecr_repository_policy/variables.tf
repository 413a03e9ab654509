variable "repository" {
  description = "Name of the existing ECR repository."
  type        = string
}

variable "policy" {
  description = "Repository policy (JSON)."
  type        = string
}
