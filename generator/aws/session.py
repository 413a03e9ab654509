"""boto3 sessions into the environment's accounts, reached as Terraform reaches them.

The caller's credentials come from the default chain (environment, `--profile`, SSO, instance
role); in every account gen assumes `terraform_role` with the session name the rendered
providers use. Every client retries with botocore's adaptive mode (client-side rate limiting
on throttling) before a failure is reported.

Every failure a user can meet becomes an `AwsError`: one line saying what failed and what to
do, exit code 3. Tests point boto3 at a local moto server with `GEN_AWS_ENDPOINT_URL` (or
`endpoint_url=`) and may inspect or stub each client through `client_hooks`.

boto3 is imported only here and only when a command needs AWS, so `gen render` works without
the `aws` extra.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from generator.errors import ToolError

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_ecr.client import ECRClient
    from mypy_boto3_iam.client import IAMClient
    from mypy_boto3_kms.client import KMSClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sagemaker.client import SageMakerClient
    from mypy_boto3_servicecatalog.client import ServiceCatalogClient
    from mypy_boto3_sts.client import STSClient

ENDPOINT_ENV = "GEN_AWS_ENDPOINT_URL"
MAX_ATTEMPTS_ENV = "GEN_AWS_MAX_ATTEMPTS"
DEFAULT_MAX_ATTEMPTS = 8

T = TypeVar("T")

# (service name, account ID, client): called once for every client gen creates.
ClientHook = Callable[[str, str, Any], None]
client_hooks: list[ClientHook] = []

THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "BandwidthLimitExceeded",
    }
)
ACCESS_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)
BAD_CREDENTIALS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "InvalidToken",
    }
)
_NOT_FOUND_TEXT = re.compile(
    r"does not exist|not found|could not find|cannot find|"
    r"does not have an? (?:resource )?policy|no (?:resource )?policy",
    re.I,
)


class AwsError(ToolError):
    """AWS could not be reached or refused a call: one line with what to do (exit code 3)."""


@dataclass(frozen=True)
class AwsSettings:
    region: str
    session_name: str
    profile: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    hooks: tuple[ClientHook, ...] = ()

    @staticmethod
    def from_environment(
        region: str,
        session_name: str,
        profile: str | None = None,
        endpoint_url: str | None = None,
    ) -> AwsSettings:
        """Settings from the command line, completed by GEN_AWS_* environment variables."""
        attempts = os.environ.get(MAX_ATTEMPTS_ENV, "")
        if attempts and not (attempts.isdigit() and 1 <= int(attempts) <= 50):
            raise AwsError(f"{MAX_ATTEMPTS_ENV}={attempts!r}: expected a whole number, 1 to 50")
        return AwsSettings(
            region=region,
            session_name=session_name,
            profile=profile or None,
            endpoint_url=endpoint_url or os.environ.get(ENDPOINT_ENV) or None,
            max_attempts=int(attempts) if attempts else DEFAULT_MAX_ATTEMPTS,
            hooks=tuple(client_hooks),
        )


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    message = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
    return " ".join(message.split())


def is_not_found(exc: ClientError) -> bool:
    """SageMaker says "not found" with a ValidationException; the others have their codes."""
    code = error_code(exc)
    if code.endswith(("NotFound", "NotFoundException", "NoSuchEntity")) or code.startswith(
        "NoSuch"
    ):
        return True
    return code in {"ValidationException", "ResourceNotFound"} and bool(
        _NOT_FOUND_TEXT.search(error_message(exc))
    )


def _import_boto3() -> Any:
    try:
        import boto3
    except ImportError:
        raise AwsError(
            "boto3 is not installed: install gen with its aws extra (pip install 'gen[aws]')"
        ) from None
    return boto3


@dataclass(frozen=True)
class Identity:
    account_id: str
    arn: str


@dataclass
class Account:
    """One account, reached through its assumed terraform_role."""

    aws: Aws
    account_id: str
    label: str  # "shared-services (111111111111)"
    role_arn: str
    credentials: dict[str, str]  # the assumed role's temporary credentials
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.aws.new_client(service, self.account_id, self.credentials)
        return self._clients[service]

    def clients(self) -> list[tuple[str, Any]]:
        return list(self._clients.items())

    def sts(self) -> STSClient:
        client: STSClient = self.client("sts")
        return client

    def iam(self) -> IAMClient:
        client: IAMClient = self.client("iam")
        return client

    def s3(self) -> S3Client:
        client: S3Client = self.client("s3")
        return client

    def kms(self) -> KMSClient:
        client: KMSClient = self.client("kms")
        return client

    def ecr(self) -> ECRClient:
        client: ECRClient = self.client("ecr")
        return client

    def sagemaker(self) -> SageMakerClient:
        client: SageMakerClient = self.client("sagemaker")
        return client

    def servicecatalog(self) -> ServiceCatalogClient:
        client: ServiceCatalogClient = self.client("servicecatalog")
        return client

    def call(self, what: str, call: Callable[[], T]) -> T:
        """Run one AWS call; every failure becomes an AwsError naming `what` and this
        account."""
        with self.aws.errors(what, self):
            return call()

    def find(self, what: str, call: Callable[[], T], missing: Collection[str] = ()) -> T | None:
        """Like `call`, but None when AWS answers that the thing does not exist: error codes
        in `missing`, or any not-found answer when `missing` is empty."""
        from botocore.exceptions import ClientError

        with self.aws.errors(what, self):
            try:
                return call()
            except ClientError as exc:
                code = error_code(exc)
                if code in missing or (not missing and is_not_found(exc)):
                    return None
                raise


def require_ecr_repository(account: Account, ecr: Any, repo: str) -> None:
    """Fail with what to do when an ECR repository the topology names does not exist."""
    found = account.find(
        f"reading ECR repository {repo}",
        lambda: ecr.describe_repositories(repositoryNames=[repo]),
        missing={"RepositoryNotFoundException"},
    )
    if found is None:
        raise AwsError(
            f"ECR repository {repo} does not exist in {account.label}: create it (gen only "
            "manages its policy) or correct training.image_repositories and the images that "
            "name it"
        )


def require_model_package_group(account: Account, sagemaker: Any, group: str) -> None:
    """Fail with what to do when a model package group of the topology does not exist."""
    found = account.find(
        f"reading model package group {group}",
        lambda: sagemaker.describe_model_package_group(ModelPackageGroupName=group),
    )
    if found is None:
        raise AwsError(
            f"model package group {group} does not exist in {account.label}: apply the "
            "environment first (terraform apply creates it) or check registry.account"
        )


class Aws:
    """The caller's session, and the credentials of terraform_role in each account, assumed
    on demand (once per account and run)."""

    def __init__(self, settings: AwsSettings) -> None:
        self.settings = settings
        self._boto3 = _import_boto3()
        self._accounts: dict[str, Account] = {}
        self._caller: Identity | None = None
        self._sts: STSClient | None = None
        with self.errors("reading your AWS configuration", None):
            self.base = self._boto3.Session(
                profile_name=settings.profile, region_name=settings.region
            )

    # --- clients -------------------------------------------------------------------------
    def _config(self) -> Any:
        from botocore.config import Config

        return Config(
            region_name=self.settings.region,
            retries={"mode": "adaptive", "total_max_attempts": self.settings.max_attempts},
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra="gen",
        )

    def new_client(
        self, service: str, account_id: str, credentials: dict[str, str] | None = None
    ) -> Any:
        """A client of `service`: with `credentials` (an assumed role's), or the caller's.
        Every client comes from the one base session, which loads each service model once."""
        with self.errors(f"creating the {service} client", None):
            client = self.base.client(
                service,
                endpoint_url=self.settings.endpoint_url,
                config=self._config(),
                **(credentials or {}),
            )
        for hook in self.settings.hooks:
            hook(service, account_id, client)
        return client

    def base_sts(self) -> STSClient:
        """STS with the caller's own credentials."""
        if self._sts is None:
            self._sts = self.new_client("sts", "")
        return self._sts

    # --- identities ----------------------------------------------------------------------
    def caller(self) -> Identity:
        """Who the default credential chain (or --profile) says you are."""
        if self._caller is None:
            sts = self.base_sts()
            with self.errors("finding your identity (sts:GetCallerIdentity)", None):
                answer = sts.get_caller_identity()
            self._caller = Identity(answer["Account"], answer["Arn"])
        return self._caller

    def account(self, account_id: str, role_arn: str, label: str) -> Account:
        """The account as `role_arn`, assumed like Terraform's provider does."""
        if account_id in self._accounts:
            return self._accounts[account_id]
        caller = self.caller()
        sts = self.base_sts()
        with self.errors(f"assuming {role_arn}", None, assuming=(role_arn, label, caller)):
            credentials = sts.assume_role(
                RoleArn=role_arn, RoleSessionName=self.settings.session_name
            )["Credentials"]
        keys = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
        account = Account(self, account_id, label, role_arn, keys)
        self._accounts[account_id] = account
        return account

    # --- errors --------------------------------------------------------------------------
    @contextmanager
    def errors(
        self,
        what: str,
        account: Account | None,
        assuming: tuple[str, str, Identity] | None = None,
    ) -> Iterator[None]:
        """Turn every botocore failure inside into one AwsError line."""
        from botocore import exceptions as bx

        try:
            yield
        except AwsError:
            raise
        except bx.ProfileNotFound as exc:
            raise AwsError(
                f"AWS profile {exc.kwargs.get('profile', self.settings.profile)!r} is not in "
                "your AWS config: check --profile (or AWS_PROFILE), or run `aws configure "
                "--profile NAME`"
            ) from None
        except (bx.NoCredentialsError, bx.PartialCredentialsError, bx.CredentialRetrievalError):
            raise AwsError(
                "no AWS credentials found: run `aws configure` or `aws sso login`, set "
                "AWS_PROFILE, or pass --profile (gen uses the default credential chain)"
            ) from None
        except (bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError, bx.TokenRetrievalError):
            raise AwsError(
                "your AWS SSO session has expired or was never started: run `aws sso login`"
                + (f" --profile {self.settings.profile}" if self.settings.profile else "")
            ) from None
        except (
            bx.EndpointConnectionError,
            bx.ConnectTimeoutError,
            bx.ReadTimeoutError,
            bx.ConnectionClosedError,
            bx.ProxyConnectionError,
            bx.SSLError,
            bx.HTTPClientError,
        ) as exc:
            where = exc.kwargs.get("endpoint_url") or self.settings.endpoint_url or "AWS"
            raise AwsError(
                f"cannot reach {where} ({type(exc).__name__}) while {what}: check your network, "
                f"proxy settings (HTTPS_PROXY) and the region ({self.settings.region})"
            ) from None
        except bx.ClientError as exc:
            raise self._client_error(exc, what, account, assuming) from None
        except bx.BotoCoreError as exc:
            raise AwsError(f"AWS SDK error while {what}: {exc}") from None

    def _client_error(
        self,
        exc: ClientError,
        what: str,
        account: Account | None,
        assuming: tuple[str, str, Identity] | None,
    ) -> AwsError:
        code = error_code(exc)
        message = error_message(exc)
        where = f" in {account.label}" if account else ""
        operation = getattr(exc, "operation_name", "") or "the call"
        if code in THROTTLING:
            return AwsError(
                f"AWS kept throttling {operation}{where} after {self.settings.max_attempts} "
                f"attempts (adaptive retries) while {what}: wait a minute and run again, or "
                f"raise {MAX_ATTEMPTS_ENV}"
            )
        if code in BAD_CREDENTIALS:
            return AwsError(
                f"AWS rejected your credentials ({code}) while {what}: refresh them "
                "(`aws sso login`, new access keys) and run again"
            )
        if assuming is not None:
            role_arn, label, caller = assuming
            return AwsError(
                f"cannot assume {role_arn} for {label} ({code}: {message}): check the account "
                f"ID in topology.yaml, that the role exists there, and that its trust policy "
                f"lets {caller.arn} assume it"
            )
        if code in ACCESS_DENIED:
            return AwsError(
                f"access denied{where} while {what} ({operation}): allow "
                f"{_iam_action(account, operation)} to the Terraform role "
                f"({account.role_arn if account else 'your identity'}), then run again"
            )
        return AwsError(f"AWS refused {operation}{where} while {what}: {code}: {message}")


def _iam_action(account: Account | None, operation: str) -> str:
    """The IAM action of an API operation: the service prefix and the operation's name."""
    if account is None:
        return operation
    for service, client in account.clients():
        model = client.meta.service_model
        if operation in model.operation_names:
            return f"{model.signing_name or service}:{operation}"
    return operation
