"""Returns the private Docker registry login that SageMaker needs to pull an image.

The credentials live only in Secrets Manager (a JSON secret with "username" and "password");
they are never written into Terraform, its state, or this function's configuration.
"""

import json

import boto3

SECRET_ID = "__SECRET_NAME__"
_client = boto3.client("secretsmanager")


def handler(event, context):
    secret = json.loads(_client.get_secret_value(SecretId=SECRET_ID)["SecretString"])
    return {"Credentials": {"Username": secret["username"], "Password": secret["password"]}}
