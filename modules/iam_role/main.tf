resource "aws_iam_role" "this" {
  count = var.create_role ? 1 : 0

  name                 = var.name
  description          = var.description
  assume_role_policy   = var.trust_policy
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = var.policy_name
  role   = var.create_role ? aws_iam_role.this[0].name : var.name
  policy = var.policy
}
