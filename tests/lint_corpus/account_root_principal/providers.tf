provider "aws" {
  alias               = "registry"
  region              = "us-east-1"
  allowed_account_ids = ["111111111111"]
}
