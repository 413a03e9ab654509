"""`gen discover` against a moto server: facts into topology.lock.json, `gen render` reading
them, findings located at their field, and every failure a one-line error with exit code 3.

Stubbed (botocore Stubber, see aws_fixtures): servicecatalog ListAcceptedPortfolioShares, which
moto does not implement. Injected at the HTTP layer: AccessDenied and throttling answers, which
moto never gives.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import botocore.retries.bucket
import botocore.retries.standard
import pytest
from aws_fixtures import (  # noqa: F401  (the fixtures aws and moto_url)
    ACCOUNTS,
    GROUP,
    PORTFOLIO,
    REGISTRY,
    TRAINING,
    Unsupported,
    World,
    aws_fixture,
    inject_errors,
    moto_url_fixture,
    seed_accounts,
    topology_text,
    write_env,
)
from typer.testing import CliRunner

from generator.aws import session as aws_session
from generator.aws.discover import identity_findings
from generator.aws.session import Identity
from generator.cli.main import app
from generator.topology.lockfile import LOCK_FILE, parse_lock

runner = CliRunner()


def _gen(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _one_line_error(code: int, stderr: str, phrase: str) -> None:
    """Every AWS failure: exit 3, one line that says what to do, no traceback."""
    assert code == 3, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and phrase in lines[0], lines[0]
    assert "Traceback" not in stderr


def test_discover_pins_latest_approved_and_render_uses_it(aws: World, tmp_path: Path) -> None:
    digest = seed_accounts(aws)
    env_dir = write_env(tmp_path / "env", topology_text(digest))
    # Without the lock, latest-approved cannot render.
    code, _, stderr = _gen("render", str(env_dir))
    assert code == 2 and "run `gen discover`" in stderr

    fake = Unsupported()
    with fake.serving(fake.discover_calls()):
        code, stdout, stderr = _gen("discover", str(env_dir))
    assert code == 0, stderr
    lock_path = env_dir / LOCK_FILE
    lock = parse_lock(lock_path.read_text(), str(lock_path))
    assert lock.latest_approved(GROUP) == 5  # 6 is pending, 3 pending, 4 rejected
    assert lock.portfolio_id("data-science") == PORTFOLIO  # not the other vendor's share
    assert lock.of_kind("account_id") == ACCOUNTS
    assert lock.of_kind("model_package_status") == {f"{GROUP}/2": "Approved"}
    assert lock.of_kind("image_digest") == {f"decision-trees-sample@{digest}": "present"}
    roles = lock.of_kind("role_exists")
    assert f"arn:aws:iam::{TRAINING}:role/DataScientistCustomRole" in roles
    assert "arn:aws:iam::333333333333:role/ModelDeployPipeline" in roles
    assert all(str(v).startswith("AROA") for v in roles.values())
    fact = lock.fact("latest_approved_version", GROUP)
    assert fact is not None and REGISTRY in fact.source and "ListModelPackages" in fact.source
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", fact.observed_at)
    # Stable order: by kind, then key.
    entries = json.loads(lock_path.read_text())["facts"]
    assert [(e["kind"], e["key"]) for e in entries] == sorted(
        (e["kind"], e["key"]) for e in entries
    )
    assert "wrote" in stdout

    # gen render reads the lock: version 5 and the discovered portfolio are in the Terraform.
    code, _, stderr = _gen("render", "--quiet", str(env_dir))
    assert code == 0, stderr
    main_tf = (env_dir / "main.tf").read_text()
    assert f"model-package/{GROUP}/5" in main_tf
    assert f"model-package/{GROUP}/6" not in main_tf
    assert f'portfolio_id = "{PORTFOLIO}"' in main_tf

    # Unchanged accounts: same bytes (observation times kept), and --check passes.
    before = lock_path.read_bytes()
    with fake.serving(fake.discover_calls()):
        code, _, stderr = _gen("discover", "--quiet", str(env_dir))
    assert code == 0, stderr
    assert lock_path.read_bytes() == before
    with fake.serving(fake.discover_calls()):
        code, stdout, stderr = _gen("discover", "--check", str(env_dir))
    assert code == 0 and "up to date" in stdout, stderr

    # Version 6 gets approved: the lock is stale, and --check says so without writing.
    aws.client(REGISTRY, "sagemaker").update_model_package(
        ModelPackageArn=f"arn:aws:sagemaker:us-east-1:{REGISTRY}:model-package/{GROUP}/6",
        ModelApprovalStatus="Approved",
    )
    with fake.serving(fake.discover_calls()):
        code, _, stderr = _gen("discover", "--check", str(env_dir))
    assert code == 1
    assert f"latest_approved_version {GROUP}: 5 -> 6" in stderr
    assert lock_path.read_bytes() == before


def test_discover_reports_pending_version_missing_digest_and_wrong_account(
    aws: World, tmp_path: Path
) -> None:
    seed_accounts(aws)
    missing_digest = "sha256:" + "d" * 64
    wrong_qa = "444444444445"  # a typo of 444444444444: the role lands in an empty account
    text = topology_text(missing_digest, pinned=3, accounts={"qa": wrong_qa})
    env_dir = write_env(tmp_path / "env", text)
    fake = Unsupported()
    with fake.serving(fake.discover_calls()):
        code, _, stderr = _gen("discover", str(env_dir))
    assert code == 1
    assert not (env_dir / LOCK_FILE).exists()
    lines = stderr.splitlines()
    file = f"{env_dir / 'topology.yaml'}"

    def line_of(needle: str) -> int:
        return next(i for i, text in enumerate(text.splitlines(), 1) if needle in text)

    pending = [ln for ln in lines if "is PendingManualApproval" in ln]
    assert pending == [
        f"{file}:{line_of('version: 3')}:{pending[0].split(':')[2]}: "
        "stages[1].models.churn-pinned.model_package.version: warning: version 3 of group "
        "churn-xgboost is PendingManualApproval, not Approved: approve it before it is "
        "deployed, or pin an approved version"
    ]
    digest = [ln for ln in lines if missing_digest in ln]
    assert len(digest) == 1
    assert digest[0].startswith(f"{file}:{line_of(missing_digest)}:")
    assert "stages[0].models.churn-image.image.digest: error:" in digest[0]
    assert "is not in ECR repository decision-trees-sample" in digest[0]
    account = [ln for ln in lines if wrong_qa in ln]
    assert len(account) == 1
    assert account[0].startswith(f"{file}:{line_of(wrong_qa)}:")
    assert "accounts.qa: error:" in account[0] and "right ID for 'qa'" in account[0]
    assert lines[-1] == (
        f"error: 2 problems found in AWS; {env_dir / LOCK_FILE} was not written: fix the "
        "topology or the accounts, then run `gen discover` again"
    )


def test_discover_with_only_a_warning_writes_the_lock(aws: World, tmp_path: Path) -> None:
    digest = seed_accounts(aws)
    env_dir = write_env(tmp_path / "env", topology_text(digest, pinned=4))
    fake = Unsupported()
    with fake.serving(fake.discover_calls()):
        code, _, stderr = _gen("discover", "--quiet", str(env_dir))
    assert code == 0, stderr
    assert "version 4 of group churn-xgboost is Rejected" in stderr
    lock = parse_lock((env_dir / LOCK_FILE).read_text(), LOCK_FILE)
    assert lock.of_kind("model_package_status") == {f"{GROUP}/4": "Rejected"}


def test_check_catches_a_pinned_version_that_does_not_exist(aws: World, tmp_path: Path) -> None:
    # Offline commands cannot know whether version 99 exists (README); `discover --check`,
    # which CI runs, must: exit 1, located at the version, and no lock written.
    digest = seed_accounts(aws)
    env_dir = write_env(tmp_path / "env", topology_text(digest, pinned=99))
    fake = Unsupported()
    with fake.serving(fake.discover_calls()):
        code, _, stderr = _gen("discover", "--check", str(env_dir))
    assert code == 1, stderr
    line = next(ln for ln in stderr.splitlines() if "version 99" in ln)
    assert "stages[1].models.churn-pinned.model_package.version: error:" in line
    assert "version 99 of group churn-xgboost does not exist in shared-services" in line
    assert not (env_dir / LOCK_FILE).exists()


def test_identity_after_assume_role_is_compared_with_the_topology() -> None:
    # moto always lands in the account of the role ARN, so this comparison is checked here.
    same = Identity("444444444444", "arn:aws:sts::444444444444:assumed-role/T/gen-live")
    assert identity_findings(["qa"], "444444444444", same) == []
    other = Identity("999999999999", "arn:aws:sts::999999999999:assumed-role/T/gen-live")
    findings = identity_findings(["qa", "qa-too"], "444444444444", other)
    assert [f.path for f in findings] == [("accounts", "qa"), ("accounts", "qa-too")]
    assert all("lands in account 999999999999" in f.message for f in findings)


def test_existing_key_arn_is_checked_against_its_alias(aws: World, tmp_path: Path) -> None:
    digest = seed_accounts(aws)
    kms = aws.client(TRAINING, "kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/sagemaker/outkey", TargetKeyId=key["KeyId"])
    other = kms.create_key()["KeyMetadata"]["Arn"]
    text = topology_text(digest).replace(
        "    alias: sagemaker/outkey\n", f"    alias: sagemaker/outkey\n    arn: {other}\n"
    )
    env_dir = write_env(tmp_path / "env", text)
    fake = Unsupported()
    with fake.serving(fake.discover_calls()):
        code, _, stderr = _gen("discover", str(env_dir))
    assert code == 1
    assert f"training.kms_key.arn: error: alias/sagemaker/outkey points to {key['Arn']}" in stderr
    # Given the right ARN, the key's ARN is a fact of the lock.
    env_dir = write_env(tmp_path / "env2", text.replace(other, str(key["Arn"])))
    with fake.serving(fake.discover_calls()):
        code, _, stderr = _gen("discover", "--quiet", str(env_dir))
    assert code == 0, stderr
    lock = parse_lock((env_dir / LOCK_FILE).read_text(), LOCK_FILE)
    assert lock.key_arn("sagemaker/outkey") == key["Arn"]


def test_a_given_portfolio_id_must_be_the_sagemaker_share(aws: World, tmp_path: Path) -> None:
    digest = seed_accounts(aws)
    text = topology_text(digest).replace(
        "  account: data-science\n  custom_execution_roles:",
        "  account: data-science\n  portfolio_id: port-othervendor01\n  custom_execution_roles:",
    )
    env_dir = write_env(tmp_path / "env", text)
    fake = Unsupported()
    with fake.serving(fake.discover_calls()):
        code, _, stderr = _gen("discover", str(env_dir))
    assert code == 1
    assert (
        "jumpstart.portfolio_id: error: port-othervendor01 is not the accepted Amazon SageMaker "
        f"portfolio of data-science ({TRAINING}) (found: {PORTFOLIO})"
    ) in stderr
    # The SageMaker share is accepted: no portfolio fact (the topology has it), no finding.
    env_dir = write_env(tmp_path / "env2", text.replace("port-othervendor01", PORTFOLIO))
    with fake.serving(fake.discover_calls()):
        code, _, stderr = _gen("discover", "--quiet", str(env_dir))
    assert code == 0, stderr
    lock = parse_lock((env_dir / LOCK_FILE).read_text(), LOCK_FILE)
    assert lock.of_kind("jumpstart_portfolio_id") == {}


# --- failures a user meets: one line, what to do, exit code 3 --------------------------------


def test_no_credentials(aws: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = write_env(tmp_path / "env", topology_text(seed_accounts(aws)))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, _, stderr = _gen("discover", str(env_dir))
    _one_line_error(code, stderr, "no AWS credentials found")


def test_unknown_profile(aws: World, tmp_path: Path) -> None:
    env_dir = write_env(tmp_path / "env", topology_text(seed_accounts(aws)))
    code, _, stderr = _gen("discover", "--profile", "nope", str(env_dir))
    _one_line_error(code, stderr, "AWS profile 'nope' is not in your AWS config")


def test_unreachable_endpoint(aws: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = write_env(tmp_path / "env", topology_text(seed_accounts(aws)))
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv(aws_session.ENDPOINT_ENV, closed)
    monkeypatch.setenv(aws_session.MAX_ATTEMPTS_ENV, "1")
    code, _, stderr = _gen("discover", str(env_dir))
    _one_line_error(code, stderr, f"cannot reach {closed}")


def test_role_that_cannot_be_assumed(aws: World, tmp_path: Path) -> None:
    env_dir = write_env(tmp_path / "env", topology_text(seed_accounts(aws)))
    hook, _ = inject_errors(
        "sts", "AssumeRole", "AccessDenied", "not authorized to perform: sts:AssumeRole"
    )
    aws_session.client_hooks.append(hook)
    code, _, stderr = _gen("discover", str(env_dir))
    _one_line_error(
        code,
        stderr,
        f"cannot assume arn:aws:iam::{TRAINING}:role/TerraformDeployment for data-science "
        f"({TRAINING}) (AccessDenied: not authorized to perform: sts:AssumeRole): check the "
        "account ID in topology.yaml, that the role exists there, and that its trust policy "
        "lets arn:aws:sts::123456789012:user/moto assume it",
    )


def test_access_denied_on_a_read(aws: World, tmp_path: Path) -> None:
    env_dir = write_env(tmp_path / "env", topology_text(seed_accounts(aws)))
    hook, _ = inject_errors("sagemaker", "ListModelPackages", "AccessDeniedException", "denied")
    aws_session.client_hooks.append(hook)
    fake = Unsupported()
    with fake.serving(fake.discover_calls()):
        code, _, stderr = _gen("discover", str(env_dir))
    _one_line_error(
        code,
        stderr,
        f"access denied in shared-services ({REGISTRY}) while listing the Approved versions of "
        f"{GROUP} (ListModelPackages): allow sagemaker:ListModelPackages to the Terraform role",
    )


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore decides every retry; only its waits are cut to zero, to keep the test short."""
    monkeypatch.setattr(
        botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0.0
    )
    monkeypatch.setattr(botocore.retries.bucket.TokenBucket, "_sleep_amount", lambda s, a: 0.0)


@pytest.mark.usefixtures("fast_retries")
def test_throttling_is_retried_adaptively_then_reported(
    aws: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_dir = write_env(tmp_path / "env", topology_text(seed_accounts(aws)))
    monkeypatch.setenv(aws_session.MAX_ATTEMPTS_ENV, "4")
    fake = Unsupported()
    # Throttled twice, then answered: discovery succeeds after botocore's retries.
    hook, counter = inject_errors(
        "ecr", "DescribeImages", "ThrottlingException", "Rate exceeded", times=2
    )
    aws_session.client_hooks.append(hook)
    with fake.serving(fake.discover_calls()):
        code, _, stderr = _gen("discover", "--quiet", str(env_dir))
    assert code == 0, stderr
    assert counter.sent == 3
    aws_session.client_hooks.remove(hook)
    # Throttled every time: 4 attempts, then one line.
    hook, counter = inject_errors("ecr", "DescribeImages", "ThrottlingException", "Rate exceeded")
    aws_session.client_hooks.append(hook)
    with fake.serving(fake.discover_calls(), strict=False):
        code, _, stderr = _gen("discover", str(env_dir))
    assert counter.sent == 4
    _one_line_error(code, stderr, "AWS kept throttling DescribeImages in data-science")


def test_group_that_does_not_exist(aws: World, tmp_path: Path) -> None:
    env_dir = write_env(tmp_path / "env", topology_text(seed_accounts(aws, group=False)))
    fake = Unsupported()
    with fake.serving(fake.discover_calls()):
        code, _, stderr = _gen("discover", str(env_dir))
    _one_line_error(
        code,
        stderr,
        f"model package group {GROUP} does not exist in shared-services ({REGISTRY}): apply",
    )


def test_repository_that_does_not_exist(aws: World, tmp_path: Path) -> None:
    env_dir = write_env(tmp_path / "env", topology_text(seed_accounts(aws, repository=False)))
    fake = Unsupported()
    with fake.serving(fake.discover_calls(), strict=False):
        code, _, stderr = _gen("discover", str(env_dir))
    _one_line_error(
        code, stderr, "ECR repository decision-trees-sample does not exist in data-science"
    )
