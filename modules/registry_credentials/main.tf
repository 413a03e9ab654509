data "aws_region" "current" {}

# One function per secret: each reads exactly one secret, whose ARN is baked into its code.
data "archive_file" "this" {
  for_each = var.functions

  type        = "zip"
  output_path = "${path.root}/.terraform/gen/${each.key}.zip"

  source {
    filename = "handler.py"
    content  = replace(file("${path.module}/src/handler.py"), "__SECRET_NAME__", each.value.secret_name)
  }
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = var.functions

  # checkov:skip=CKV_AWS_158:The group holds invocation records only (the handler never logs the credentials); CloudWatch Logs encrypts it at rest with its own key.
  name              = "/aws/lambda/${each.key}"
  retention_in_days = 365
}

resource "aws_lambda_function" "this" {
  for_each = var.functions

  # checkov:skip=CKV_AWS_117:The function only calls Secrets Manager; SageMaker reaches it through the Lambda interface endpoint below. Placing it in the VPC would add a Secrets Manager endpoint or NAT and protect nothing more.
  # checkov:skip=CKV_AWS_116:SageMaker invokes the function synchronously; a dead-letter queue only receives asynchronous failures.
  # checkov:skip=CKV_AWS_272:The code is the short handler in this module, rendered by gen and reviewed in the repository; there is no signing profile to verify it against.
  function_name                  = each.key
  description                    = "Returns the private Docker registry login for SageMaker (reads ${each.value.secret_name})."
  role                           = each.value.role_arn
  runtime                        = "python3.12"
  handler                        = "handler.handler"
  filename                       = data.archive_file.this[each.key].output_path
  source_code_hash               = data.archive_file.this[each.key].output_base64sha256
  timeout                        = 10
  memory_size                    = 128
  reserved_concurrent_executions = 10
  tags                           = var.tags

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.this]
}

# SageMaker calls lambda.<region>.amazonaws.com from the model's VPC: the interface endpoint
# with private DNS answers that name inside the VPC, so no traffic leaves it. A VPC that
# already has one (a central endpoint shared through a private hosted zone) gets neither:
# a second endpoint with private DNS would conflict with that zone.
resource "aws_security_group" "endpoint" {
  count = var.create_lambda_endpoint ? 1 : 0

  name        = "${var.name}-lambda-endpoint"
  description = "HTTPS from the SageMaker models of this stage to the Lambda interface endpoint"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  for_each = var.create_lambda_endpoint ? toset(var.client_security_group_ids) : toset([])

  security_group_id            = aws_security_group.endpoint[0].id
  description                  = "HTTPS from ${each.value}"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value
}

resource "aws_vpc_endpoint" "lambda" {
  count = var.create_lambda_endpoint ? 1 : 0

  vpc_id              = var.vpc_id
  service_name        = "com.amazonaws.${data.aws_region.current.region}.lambda"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = var.subnet_ids
  security_group_ids  = [aws_security_group.endpoint[0].id]
  tags                = var.tags
}

# Both used to be single resources: state written before the count keeps its objects.
moved {
  from = aws_security_group.endpoint
  to   = aws_security_group.endpoint[0]
}

moved {
  from = aws_vpc_endpoint.lambda
  to   = aws_vpc_endpoint.lambda[0]
}
