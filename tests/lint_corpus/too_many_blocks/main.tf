# Broken on purpose: a bucket's versioning takes one versioning_configuration block.
resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = "artifacts-111111111111"

  versioning_configuration {
    status = "Enabled"
  }

  versioning_configuration {
    status = "Suspended"
  }
}
