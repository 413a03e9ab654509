# Broken on purpose: the module block is never closed.
module "ecr_policy" {
  source = "../../../modules/ecr_repository_policy"

  repository = "serving-image"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = []
  })
