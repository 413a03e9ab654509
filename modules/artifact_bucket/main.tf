resource "aws_s3_bucket" "this" {
  count = var.create_bucket ? 1 : 0

  # checkov:skip=CKV_AWS_18:Server access logs need a separate log bucket the organisation owns; gen does not invent one. Object reads by every role are already named in the bucket policy, and CloudTrail data events are the audit trail.
  # checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice outside this environment's single region; artifacts can be re-registered from training.
  # checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications exists in this design; model versions are announced by the model registry, not by S3 events.
  bucket        = var.bucket
  force_destroy = false
  tags          = var.tags
}

resource "aws_s3_bucket_versioning" "this" {
  count = var.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = var.create_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = var.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

# Objects written by the training account belong to the bucket owner, so the registry and
# the stages can read them under the bucket policy (no object ACLs).
resource "aws_s3_bucket_ownership_controls" "this" {
  count = var.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = var.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = var.create_bucket ? aws_s3_bucket.this[0].id : var.bucket
  policy = var.policy

  depends_on = [aws_s3_bucket_public_access_block.this, aws_s3_bucket_ownership_controls.this]
}
