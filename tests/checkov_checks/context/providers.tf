# Read by CKV_GEN_2 from checkov's working directory: the account behind each alias.
provider "aws" {
  alias               = "training"
  region              = "us-east-1"
  allowed_account_ids = ["222222222222"]
}

provider "aws" {
  alias               = "prod"
  region              = "us-east-1"
  allowed_account_ids = ["555555555555"]
}
