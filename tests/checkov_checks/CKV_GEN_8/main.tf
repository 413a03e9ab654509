# CKV_GEN_8: AmazonSageMakerFullAccess is attached to no role.

resource "aws_iam_role_policy_attachment" "bad_full_access" {
  role       = "SageMakerExecution"
  policy_arn = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
}

resource "aws_iam_policy_attachment" "bad_shared_full_access" {
  name       = "full"
  roles      = ["SageMakerExecution"]
  policy_arn = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
}

resource "aws_iam_role_policy_attachment" "ok_read_only" {
  role       = "Auditor"
  policy_arn = "arn:aws:iam::aws:policy/AmazonSageMakerReadOnly"
}
