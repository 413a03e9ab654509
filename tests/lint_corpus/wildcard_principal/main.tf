# Broken on purpose: the repository policy lets anyone ("*") pull images.
module "ecr_policy" {
  source = "../../../modules/ecr_repository_policy"

  repository = "serving-image"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "AnyonePullsImages"
        Effect = "Allow"
        Principal = {
          AWS = "*"
        }
        Action = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      },
    ]
  })
}
