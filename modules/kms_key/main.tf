locals {
  key_arn = var.create_key ? aws_kms_key.this[0].arn : var.existing_key_arn
}

resource "aws_kms_key" "this" {
  count = var.create_key ? 1 : 0

  description             = var.description
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = var.policy
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  count = var.create_key ? 1 : 0

  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this[0].key_id
}

# Grants let principals of other accounts use the key without a key policy change (the only
# way to share a key gen does not own). Grantees are role or account-root ARNs, never IDs.
resource "aws_kms_grant" "this" {
  for_each = var.grants

  name              = each.key
  key_id            = local.key_arn
  grantee_principal = each.value.grantee_principal
  operations        = each.value.operations
}
