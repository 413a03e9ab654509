# Broken on purpose: the group's description argument is misspelt.
resource "aws_sagemaker_model_package_group" "churn" {
  model_package_group_name       = "churn"
  model_package_group_descripton = "versions of churn"
}
