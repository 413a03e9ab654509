# CKV_GEN_5: no Allow of Action "*" and no NotAction in an Allow, in any policy.

resource "aws_iam_role_policy" "bad_allows_everything" {
  name   = "all"
  role   = "Training"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "arn:aws:s3:::artifacts/*" }] })
}

resource "aws_iam_policy" "bad_allows_star_star" {
  name   = "all"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "*:*"], Resource = "*" }] })
}

resource "aws_s3_bucket_policy" "bad_not_action" {
  bucket = "artifacts"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::444444444444:role/X" }, NotAction = "s3:DeleteObject", Resource = "arn:aws:s3:::artifacts/*" }]
  })
}

resource "aws_kms_key" "ok_service_wildcard" {
  description         = "kms:* for the key's administrators is not every action"
  enable_key_rotation = true
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::222222222222:role/KeyAdmin" }, Action = "kms:*", Resource = "*" }]
  })
}

resource "aws_iam_policy" "ok_named_actions" {
  name   = "reads"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::artifacts/*" }] })
}

resource "aws_s3_bucket_policy" "ok_deny_everything_without_tls" {
  bucket = "artifacts"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "*", Resource = "arn:aws:s3:::artifacts/*", Condition = { Bool = { "aws:SecureTransport" = "false" } } }]
  })
}
