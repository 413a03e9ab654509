variable "name" {
  description = "Name of the SageMaker model (gen suffixes a digest of its source)."
  type        = string
}

variable "execution_role_arn" {
  description = "ARN of the execution role SageMaker runs the model as."
  type        = string
}

variable "model_package_arn" {
  description = "ARN of the model package version to serve (model package source)."
  type        = string
  default     = null
}

variable "image" {
  description = "Image, pinned by digest (ECR or private registry source)."
  type        = string
  default     = null
}

variable "model_data_url" {
  description = "S3 URL of model.tar.gz (image sources)."
  type        = string
  default     = null
}

variable "credentials_provider_arn" {
  description = "ARN of the Lambda that returns the private registry credentials; sets image_config with RepositoryAccessMode Vpc."
  type        = string
  default     = null
}

variable "vpc_config" {
  description = "Subnets and security groups of the model's VPC configuration."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "enable_network_isolation" {
  description = "Run the container without outbound network access."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags of the model."
  type        = map(string)
  default     = {}
}
