# A policy passed in as a variable, built with jsonencode by the caller (as gen renders).
variable "bucket" {
  type = string
}

variable "policy" {
  type = string
}

resource "aws_s3_bucket_policy" "this" {
  bucket = var.bucket
  policy = var.policy
}
