# Broken on purpose: the arguments are not aligned as terraform fmt aligns them.
module "ecr_policy" {
  source = "../../../modules/ecr_repository_policy"

  repository = "serving-image"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "StagePullsImages"
        Effect = "Allow"
        Principal = {
          AWS = "arn:aws:iam::444444444444:role/SageMakerExecution"
        }
        Action = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      },
    ]
  })
}
