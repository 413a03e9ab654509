"""AWS for the tests: a moto server on 127.0.0.1, accounts seeded in it, `terraform apply`
played from the rendered root, and botocore Stubbers for the calls moto does not implement.

- `moto_url` (session; import `moto_url_fixture`): one ThreadedMotoServer bound to 127.0.0.1
  on a free port, stopped at the end of the session. `aws` (per test; import `aws_fixture`):
  the server reset, fake credentials in the environment, ~/.aws config files pointed at
  nothing, and GEN_AWS_ENDPOINT_URL at moto.
  gen reaches every account the production way: sts:AssumeRole of terraform_role (moto
  answers with credentials of the account in the role ARN).
- moto does not enforce IAM: nothing here treats a moto answer as proof of access.
- moto lacks the model package group policy API (Get/PutModelPackageGroupPolicy) and the
  Service Catalog calls gen makes (ListAcceptedPortfolioShares, ListPrincipalsForPortfolio,
  AssociatePrincipalWithPortfolio). `Unsupported` answers exactly those operations with
  botocore's Stubber, from state the tests set; every other call of the same client still
  goes to moto.
- moto's CreateModel drops EnableNetworkIsolation: `apply_rendered` sets it in moto's backend
  (the server runs in the test process).
- moto never throttles nor denies: `inject_errors` makes botocore receive an AWS error response
  for one operation (at `before-send`, so botocore's parsing and adaptive retries run as they
  would against AWS).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from generator.aws import session as aws_session
from generator.render.files import Rendered
from generator.render.hcl import Expr, JsonEncode

REGION = "us-east-1"
ADMIN_ROLE = "OrganizationAccountAccessRole"  # how the tests seed each account
TERRAFORM_ROLE = "TerraformDeployment"

ACCOUNTS = {
    "data-science": "222222222222",
    "shared-services": "111111111111",
    "deployment": "333333333333",
    "qa": "444444444444",
    "prod": "555555555555",
}
TRAINING, REGISTRY, DEPLOYMENT, QA, PROD = (
    ACCOUNTS["data-science"],
    ACCOUNTS["shared-services"],
    ACCOUNTS["deployment"],
    ACCOUNTS["qa"],
    ACCOUNTS["prod"],
)
GROUP = "churn-xgboost"
REPOSITORY = "decision-trees-sample"
BUCKET = "mlops-shared-artifacts-111111111111"
PORTFOLIO = "port-sagemaker0001"
CUSTOM_ROLES = ["DataScientistCustomRole", "MLEngineerCustomRole"]
# Versions 1..6 of the group: the newest (6) is pending, the newest Approved is 5.
STATUSES = [
    "Approved",
    "Approved",
    "PendingManualApproval",
    "Rejected",
    "Approved",
    "PendingManualApproval",
]

TOPOLOGY = """\
version: 1
environment: live
region: us-east-1
accounts:
  data-science: "{data-science}"
  shared-services: "{shared-services}"
  deployment: "{deployment}"
  qa: "{qa}"
  prod: "{prod}"
terraform_role: TerraformDeployment
training:
  account: data-science
  role: SageMakerTrainingExecution
  kms_key:
    alias: sagemaker/outkey
  image_repositories:
    - decision-trees-sample
registry:
  account: shared-services
  model_package_groups:
    - churn-xgboost
  artifact_bucket:
    name: mlops-shared-artifacts-111111111111
deployment:
  account: deployment
  role: ModelDeployPipeline
stages:
  - name: qa
    account: qa
    execution_role: SageMakerExecution
    models:
      churn-latest:
        model_package: {{group: churn-xgboost, version: latest-approved}}
      churn-image:
        image: {{repository: decision-trees-sample, digest: "{digest}"}}
        model_data: churn/image/model.tar.gz
    endpoints:
      churn-qa:
        variants:
          - {{name: primary, model: churn-latest, instance_type: ml.m5.large, instance_count: 1}}
          - name: image
            model: churn-image
            instance_type: ml.m5.large
            instance_count: 1
            weight: 0.5
  - name: prod
    account: prod
    execution_role: SageMakerExecution
    models:
      churn-pinned:
        model_package: {{group: churn-xgboost, version: {pinned}}}
    endpoints:
      churn-prod:
        variants:
          - {{name: current, model: churn-pinned, instance_type: ml.m5d.xlarge, instance_count: 2}}
jumpstart:
  account: data-science
  custom_execution_roles:
    - DataScientistCustomRole
    - MLEngineerCustomRole
"""


def topology_text(digest: str, pinned: int = 2, accounts: dict[str, str] | None = None) -> str:
    return TOPOLOGY.format(**{**ACCOUNTS, **(accounts or {})}, digest=digest, pinned=pinned)


# --- the server ------------------------------------------------------------------------------


@pytest.fixture(scope="session", name="moto_url")
def moto_url_fixture() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    assert host == "127.0.0.1"
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(name="aws")
def aws_fixture(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    """A fresh moto and an environment where boto3 finds only the test's credentials."""
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv(aws_session.ENDPOINT_ENV, moto_url)
    monkeypatch.setenv(aws_session.MAX_ATTEMPTS_ENV, "3")
    monkeypatch.setattr(aws_session, "client_hooks", [])
    yield World(moto_url)


# --- the accounts ----------------------------------------------------------------------------


class World:
    """The accounts in moto, reached as their administrators (assume_role)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.base = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        self._credentials: dict[str, dict[str, str]] = {}
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, account_id: str, service: str) -> Any:
        if account_id not in self._credentials:
            sts = self.base.client("sts", endpoint_url=self.url)
            credentials = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account_id}:role/{ADMIN_ROLE}", RoleSessionName="seed"
            )["Credentials"]
            self._credentials[account_id] = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        if (account_id, service) not in self._clients:
            self._clients[(account_id, service)] = self.base.client(  # type: ignore[call-overload]
                service, endpoint_url=self.url, **self._credentials[account_id]
            )
        return self._clients[(account_id, service)]


def _trust(principal: dict[str, str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


def seed_accounts(
    world: World,
    *,
    group: bool = True,
    repository: bool = True,
    statuses: list[str] | None = None,
) -> str:
    """What exists before gen: terraform_role in every account, the group and its versions,
    the repository and one image, the deployment and JumpStart roles. Returns the image's
    digest (ECR computes it from the manifest)."""
    for account_id in sorted(set(ACCOUNTS.values())):
        world.client(account_id, "iam").create_role(
            RoleName=TERRAFORM_ROLE,
            AssumeRolePolicyDocument=_trust({"AWS": "arn:aws:iam::123456789012:root"}),
        )
    if group:
        sm = world.client(REGISTRY, "sagemaker")
        sm.create_model_package_group(ModelPackageGroupName=GROUP)
        for status in statuses if statuses is not None else STATUSES:
            sm.create_model_package(
                ModelPackageGroupName=GROUP,
                ModelApprovalStatus=status,
                InferenceSpecification={
                    "Containers": [{"Image": f"{TRAINING}.dkr.ecr.{REGION}.amazonaws.com/x"}],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
            )
    digest = "sha256:" + "0" * 64
    if repository:
        ecr = world.client(TRAINING, "ecr")
        ecr.create_repository(repositoryName=REPOSITORY)
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": "sha256:" + "c" * 64,
            },
            "layers": [],
        }
        image = ecr.put_image(
            repositoryName=REPOSITORY, imageManifest=json.dumps(manifest), imageTag="v1"
        )
        digest = str(image["image"]["imageId"]["imageDigest"])
    world.client(DEPLOYMENT, "iam").create_role(
        RoleName="ModelDeployPipeline",
        AssumeRolePolicyDocument=_trust({"Service": "codebuild.amazonaws.com"}),
    )
    for name in CUSTOM_ROLES:
        world.client(TRAINING, "iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=_trust({"Service": "sagemaker.amazonaws.com"})
        )
    return digest


def write_env(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "topology.yaml").write_text(text)
    return directory


# --- calls moto does not implement -----------------------------------------------------------


class OperationStubber(Stubber):
    """botocore's Stubber, answering only `operations`: the client's other calls go on to the
    moto server."""

    def __init__(self, client: Any, operations: set[str]) -> None:
        super().__init__(client)
        self.operations = operations

    def _assert_expected_params(self, model: Any, params: Any, context: Any, **kwargs: Any) -> None:
        if model.name in self.operations:
            cast(Any, super())._assert_expected_params(model, params, context, **kwargs)

    def _get_response_handler(self, model: Any, params: Any, context: Any, **kwargs: Any) -> Any:
        if model.name in self.operations:
            return cast(Any, super())._get_response_handler(model, params, context, **kwargs)
        return None


@dataclass(frozen=True)
class StubbedCall:
    service: str
    account_id: str
    method: str
    params: dict[str, Any]
    response: dict[str, Any] | None  # None: the not-found error AWS answers
    error: tuple[str, str] = ("ValidationException", "not found")


@dataclass
class Unsupported:
    """What moto cannot hold: group policies and the SageMaker portfolio share and principals.
    `apply_rendered` fills it like Terraform would; the Stubbers answer from it."""

    group_policies: dict[str, str] = field(default_factory=dict)
    shares: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "Id": "port-othervendor01",
                "ARN": f"arn:aws:catalog:{REGION}:999999999999:portfolio/port-othervendor01",
                "DisplayName": "Another vendor's products",
                "ProviderName": "Example Vendor",
                "CreatedTime": datetime(2025, 1, 1),
            },
            {
                "Id": PORTFOLIO,
                "ARN": f"arn:aws:catalog:{REGION}:000000000000:portfolio/{PORTFOLIO}",
                "DisplayName": "Amazon SageMaker Solutions and ML Ops products",
                "ProviderName": "Amazon SageMaker",
                "CreatedTime": datetime(2025, 1, 1),
            },
        ]
    )
    principals: dict[str, list[str]] = field(default_factory=dict)
    stubbers: list[OperationStubber] = field(default_factory=list)

    def discover_calls(self, jumpstart_account: str = TRAINING) -> list[StubbedCall]:
        return [
            StubbedCall(
                "servicecatalog",
                jumpstart_account,
                "list_accepted_portfolio_shares",
                {},
                {"PortfolioDetails": self.shares},
            )
        ]

    def live_calls(self) -> list[StubbedCall]:
        policy = self.group_policies.get(GROUP)
        return [
            StubbedCall(
                "sagemaker",
                REGISTRY,
                "get_model_package_group_policy",
                {"ModelPackageGroupName": GROUP},
                {"ResourcePolicy": policy} if policy else None,
                ("ValidationException", f"Cannot find resource policy for {GROUP}"),
            ),
            StubbedCall(
                "servicecatalog",
                TRAINING,
                "list_principals_for_portfolio",
                {"PortfolioId": PORTFOLIO},
                {
                    "Principals": [
                        {"PrincipalARN": arn, "PrincipalType": "IAM"}
                        for arn in self.principals.get(PORTFOLIO, [])
                    ]
                },
            ),
        ]

    @contextmanager
    def serving(self, calls: list[StubbedCall], strict: bool = True) -> Iterator[None]:
        """Stub `calls` (in order) on the clients gen creates; afterwards (when `strict`),
        check that gen made every one of them."""
        pending = list(calls)
        stubbers: list[OperationStubber] = []

        def hook(service: str, account_id: str, client: Any) -> None:
            mine = [c for c in pending if c.service == service and c.account_id == account_id]
            if not mine:
                return
            names = {client.meta.method_to_api_mapping[c.method] for c in mine}
            stubber = OperationStubber(client, names)
            for c in mine:
                pending.remove(c)
                if c.response is None:
                    stubber.add_client_error(
                        c.method, c.error[0], c.error[1], expected_params=c.params
                    )
                else:
                    stubber.add_response(c.method, c.response, c.params)
            stubber.activate()
            stubbers.append(stubber)

        aws_session.client_hooks.append(hook)
        try:
            yield
        finally:
            aws_session.client_hooks.remove(hook)
        if not strict:
            return
        assert not pending, f"gen created no client for these stubbed calls: {pending}"
        for stubber in stubbers:
            stubber.assert_no_pending_responses()


# --- errors AWS answers and moto does not ----------------------------------------------------


class _Body:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.body


def _error_body(protocol: str, code: str, message: str) -> tuple[bytes, dict[str, str]]:
    if protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>test</RequestId></ErrorResponse>"
        )
        return body.encode(), {"Content-Type": "text/xml"}
    if protocol == "rest-xml":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        return body.encode(), {"Content-Type": "application/xml"}
    body = json.dumps({"__type": code, "message": message})
    return body.encode(), {"Content-Type": "application/x-amz-json-1.1"}


@dataclass
class InjectedErrors:
    """Counts how often botocore sent the operation (first tries and retries)."""

    sent: int = 0


def inject_errors(
    service: str, operation: str, code: str, message: str, times: int | None = None
) -> tuple[Callable[[str, str, Any], None], InjectedErrors]:
    """A client hook: the first `times` sends of `operation` (all when None) get the AWS
    error `code` instead of reaching moto."""
    counter = InjectedErrors()

    def hook(name: str, account_id: str, client: Any) -> None:
        if name != service:
            return
        model = client.meta.service_model
        status = 403 if "Denied" in code else 400

        def before_send(request: Any, **kwargs: Any) -> AWSResponse | None:
            counter.sent += 1
            if times is not None and counter.sent > times:
                return None
            body, fields = _error_body(model.protocol, code, message)
            headers = HTTPHeaders()
            for key, value in fields.items():
                headers[key] = value
            return AWSResponse(request.url, status, headers, _Body(body))

        client.meta.events.register(
            f"before-send.{model.service_id.hyphenize()}.{operation}", before_send
        )

    return hook, counter


# --- terraform apply, played from the rendered root ------------------------------------------


def _inputs(block: Any) -> dict[str, Any]:
    return {k: v for group in block.groups for k, v in group}


def _json(value: Any) -> str:
    assert isinstance(value, JsonEncode), value
    return json.dumps(value.value)


def _keep_network_isolation(account_id: str, model_name: str) -> None:
    """moto's CreateModel drops EnableNetworkIsolation (it always answers false); AWS keeps
    it. The server runs in this process, so the flag is set in moto's backend directly."""
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[account_id][REGION]
    backend._models[model_name].enable_network_isolation = True


def apply_rendered(world: World, rendered: Rendered, unsupported: Unsupported) -> None:
    """Create in moto what `terraform apply` creates from the rendered root: every module
    call, in order, with the inputs the renderer gave it."""
    env = rendered.env
    accounts = {env.provider_alias(i): i for i in env.account_ids()}
    outputs: dict[str, dict[str, str]] = {}

    def resolve(value: Any) -> Any:
        if isinstance(value, Expr):
            _, module, attribute = value.text.split(".", 2)
            return outputs[module][attribute]
        return value

    for block in rendered.root.blocks:
        if block.type != "module":
            continue
        name = block.labels[0]
        inputs = _inputs(block)
        kind = str(inputs["source"]).rsplit("/", 1)[-1]
        account = accounts[inputs["providers"]["aws"].text.split(".", 1)[1]]
        if kind == "iam_role":
            iam = world.client(account, "iam")
            if inputs["create_role"]:
                iam.create_role(
                    RoleName=inputs["name"],
                    AssumeRolePolicyDocument=_json(inputs["trust_policy"]),
                    Description=inputs["description"],
                )
            iam.put_role_policy(
                RoleName=inputs["name"],
                PolicyName=inputs["policy_name"],
                PolicyDocument=_json(inputs["policy"]),
            )
        elif kind == "kms_key":
            kms = world.client(account, "kms")
            if inputs.get("create_key", True):
                key = kms.create_key(Policy=_json(inputs["policy"]))["KeyMetadata"]
                kms.create_alias(AliasName=f"alias/{inputs['alias']}", TargetKeyId=key["KeyId"])
                arn = str(key["Arn"])
            else:
                arn = str(inputs["existing_key_arn"])
            for grant_name, grant in inputs.get("grants", {}).items():
                kms.create_grant(
                    KeyId=arn,
                    Name=grant_name,
                    GranteePrincipal=grant["grantee_principal"],
                    Operations=grant["operations"],
                )
            outputs[name] = {"key_arn": arn}
        elif kind == "artifact_bucket":
            s3 = world.client(account, "s3")
            if inputs["create_bucket"]:
                s3.create_bucket(Bucket=inputs["bucket"])
            s3.put_bucket_policy(Bucket=inputs["bucket"], Policy=_json(inputs["policy"]))
        elif kind == "ecr_repository_policy":
            world.client(account, "ecr").set_repository_policy(
                repositoryName=inputs["repository"], policyText=_json(inputs["policy"])
            )
        elif kind == "model_package_group":
            # The group exists already (seeded, with its versions); moto has no policy API.
            unsupported.group_policies[inputs["name"]] = _json(inputs["policy"])
        elif kind == "sagemaker_model":
            container: dict[str, Any] = {}
            if "model_package_arn" in inputs:
                container["ModelPackageName"] = inputs["model_package_arn"]
            else:
                container["Image"] = inputs["image"]
                container["ModelDataUrl"] = inputs["model_data_url"]
            params: dict[str, Any] = {
                "ModelName": inputs["name"],
                "ExecutionRoleArn": inputs["execution_role_arn"],
                "PrimaryContainer": container,
                "EnableNetworkIsolation": True,  # the module's default
            }
            if "vpc_config" in inputs:
                params["VpcConfig"] = {
                    "Subnets": inputs["vpc_config"]["subnet_ids"],
                    "SecurityGroupIds": inputs["vpc_config"]["security_group_ids"],
                }
            world.client(account, "sagemaker").create_model(**params)
            _keep_network_isolation(account, inputs["name"])
            outputs[name] = {"name": inputs["name"]}
        elif kind == "sagemaker_endpoint":
            sm = world.client(account, "sagemaker")
            config: dict[str, Any] = {
                "EndpointConfigName": inputs["config_name"],
                "ProductionVariants": [
                    {
                        "VariantName": v["name"],
                        "ModelName": resolve(v["model_name"]),
                        "InstanceType": v["instance_type"],
                        "InitialInstanceCount": v["instance_count"],
                        "InitialVariantWeight": v["weight"],
                    }
                    for v in inputs["variants"]
                ],
            }
            if "kms_key_arn" in inputs:
                config["KmsKeyId"] = resolve(inputs["kms_key_arn"])
            sm.create_endpoint_config(**config)
            sm.create_endpoint(
                EndpointName=inputs["name"], EndpointConfigName=inputs["config_name"]
            )
        elif kind == "jumpstart":
            unsupported.principals[inputs["portfolio_id"]] = list(inputs["principal_arns"])
        else:
            raise AssertionError(f"the test's apply does not know module {kind}")
