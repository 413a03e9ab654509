"""`gen verify --live` against a moto server: an environment seeded and applied from the
rendered root reports no drift; a hand-edited bucket policy is exactly one drift.

Stubbed (botocore Stubber, see aws_fixtures), because moto does not implement them:
sagemaker GetModelPackageGroupPolicy (the group policies `apply_rendered` set are answered
from the test's state), servicecatalog ListAcceptedPortfolioShares and
ListPrincipalsForPortfolio. Every other read goes to moto. moto does not enforce IAM: the
access proofs run on the documents read back, never on moto's answers to requests.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from aws_fixtures import (  # noqa: F401  (the fixtures aws and moto_url)
    BUCKET,
    GROUP,
    PORTFOLIO,
    QA,
    REGISTRY,
    TRAINING,
    Unsupported,
    World,
    apply_rendered,
    aws_fixture,
    moto_url_fixture,
    seed_accounts,
    topology_text,
    write_env,
)
from rich.console import Console
from typer.testing import CliRunner

from generator.aws.live import LiveReport, canonical, differences, read_live, run_live
from generator.aws.session import Aws, AwsSettings
from generator.cli.main import app
from generator.render.pipeline import read_environment, render_directory

runner = CliRunner()


def _deployed(world: World, tmp_path: Path) -> tuple[Path, Unsupported]:
    """Seed the accounts, `gen discover`, render, and apply the rendered root."""
    env_dir = write_env(tmp_path / "env", topology_text(seed_accounts(world)))
    fake = Unsupported()
    with fake.serving(fake.discover_calls()):
        result = runner.invoke(app, ["discover", "--quiet", str(env_dir)])
    assert result.exit_code == 0, result.stderr
    apply_rendered(world, render_directory(env_dir), fake)
    return env_dir, fake


def _read(env_dir: Path, fake: Unsupported) -> LiveReport:
    env = read_environment(env_dir)
    with fake.serving(fake.live_calls()):
        return read_live(env, Aws(AwsSettings.from_environment(env.region, "gen-live")))


def _run(env_dir: Path, fake: Unsupported) -> tuple[int, str]:
    text = io.StringIO()
    with fake.serving(fake.live_calls()):
        code = run_live(env_dir, console=Console(file=text, width=300, highlight=False))
    return code, text.getvalue()


def test_live_reports_no_drift_then_exactly_the_hand_edit(aws: World, tmp_path: Path) -> None:
    env_dir, fake = _deployed(aws, tmp_path)

    report = _read(env_dir, fake)
    assert report.drift == []
    compared = set(report.compared)
    exec_qa = f"arn:aws:iam::{QA}:role/SageMakerExecution"
    for resource in (
        f"bucket policy of {BUCKET}",
        f"resource policy of model package group {GROUP}",
        "repository policy of decision-trees-sample",
        f"inline policy gen-live of role {exec_qa}",
        f"trust policy of role {exec_qa}",
        f"policies of role {exec_qa}",
        "inline policy gen-live of role arn:aws:iam::333333333333:role/ModelDeployPipeline",
        f"principals of portfolio {PORTFOLIO}",
        "endpoint churn-qa",
        "endpoint churn-prod",
    ):
        assert resource in compared, resource
    assert sum(r.startswith("model ") for r in compared) == 3
    assert sum(r.startswith("endpoint configuration ") for r in compared) == 2
    assert sum(r.startswith("key policy of training key") for r in compared) == 1
    # qa's endpoint has a volume key; prod's runs on ml.m5d (local NVMe storage): none.
    assert sum(r.startswith("key policy of live/qa/") for r in compared) == 1
    assert not any("live/prod/" in r for r in compared)
    assert sum(r.startswith("grants on the training output key") for r in compared) == 1
    # The documents read back are the rendered ones, and each says where it was read.
    assert canonical(report.live.bucket[BUCKET]) == canonical(report.rendered.bucket[BUCKET])
    assert canonical(report.live.groups[GROUP]) == canonical(report.rendered.groups[GROUP])
    assert report.live.sources[("bucket", BUCKET)].address == f"s3:GetBucketPolicy {BUCKET}"
    assert REGISTRY in report.live.sources[("bucket", BUCKET)].file
    assert {g.grantee_principal for g in report.live.grants} == {f"arn:aws:iam::{REGISTRY}:root"}

    code, text = _run(env_dir, fake)
    assert "no drift" in text and "drift:" not in text
    assert "access proofs on the live documents" in text
    assert code == (0 if "NOT verified" not in text else 1)

    # The same policy written back in another order (statements, lists) is no drift.
    s3 = aws.client(REGISTRY, "s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    for statement in policy["Statement"]:
        if isinstance(statement.get("Action"), list):
            statement["Action"] = list(reversed(statement["Action"]))
    policy["Statement"].reverse()
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    assert _read(env_dir, fake).drift == []

    # A hand edit: someone lets another account read the artifacts.
    policy["Statement"].append(
        {
            "Sid": "HandEdit",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/models/*",
        }
    )
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    report = _read(env_dir, fake)
    assert [d.resource for d in report.drift] == [f"bucket policy of {BUCKET}"]
    (drift,) = report.drift
    assert drift.account == f"shared-services ({REGISTRY})"
    assert len(drift.lines) == 1
    assert drift.lines[0].startswith("+ Statement[HandEdit]: ")
    assert "999999999999" in drift.lines[0]

    code, text = _run(env_dir, fake)
    assert code == 1
    assert f"drift: bucket policy of {BUCKET} in shared-services ({REGISTRY})" in text
    assert "1 drifted" in text
    # The proofs see the live document: a principal of an account outside the topology.
    assert "NOT verified" in text and "999999999999" in text


def test_live_reports_a_deleted_endpoint_and_a_replaced_trust_policy(
    aws: World, tmp_path: Path
) -> None:
    env_dir, fake = _deployed(aws, tmp_path)
    aws.client(QA, "sagemaker").delete_endpoint(EndpointName="churn-qa")
    iam = aws.client(TRAINING, "iam")
    iam.update_assume_role_policy(
        RoleName="SageMakerTrainingExecution",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "sagemaker.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    report = _read(env_dir, fake)
    by_resource = {d.resource: d.lines for d in report.drift}
    assert set(by_resource) == {
        "endpoint churn-qa",
        f"trust policy of role arn:aws:iam::{TRAINING}:role/SageMakerTrainingExecution",
    }
    assert by_resource["endpoint churn-qa"] == ("- resource: rendered, missing in AWS",)
    trust = by_resource[
        f"trust policy of role arn:aws:iam::{TRAINING}:role/SageMakerTrainingExecution"
    ]
    assert any(line.startswith("- Statement[SageMakerAssumesTrainingRole]") for line in trust)


def test_differences_are_order_insensitive_and_name_the_statement() -> None:
    rendered = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"]},
            {"Sid": "B", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": ["*"]},
        ],
    }
    same = {
        "Statement": [
            {"Resource": "*", "Action": ["kms:Decrypt"], "Effect": "Allow", "Sid": "B"},
            {"Sid": "A", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"]},
        ],
        "Version": "2012-10-17",
    }
    assert differences(rendered, same) == []
    changed = json.loads(json.dumps(same))
    changed["Statement"][1]["Action"].append("s3:DeleteObject")
    del changed["Statement"][0]
    assert differences(rendered, changed) == [
        '+ Statement[A].Action: "s3:DeleteObject"',
        '- Statement[B]: {"Action":"kms:Decrypt","Effect":"Allow","Resource":"*","Sid":"B"} '
        "(rendered, missing in AWS)",
    ]
    assert differences({"a": 1}, None) == ["- resource: rendered, missing in AWS"]
    assert differences(None, {"a": 1}) == ['+ resource: in AWS, gen renders none: {"a":1}']
    assert differences({"n": 1}, {"n": 2}) == ["~ n: rendered 1, AWS 2"]


def test_verify_live_through_the_cli(aws: World, tmp_path: Path) -> None:
    env_dir, fake = _deployed(aws, tmp_path)
    with fake.serving(fake.live_calls()):
        result = runner.invoke(app, ["verify", "--live", str(env_dir)])
    assert result.exit_code == 0, result.output
    assert "drift" in result.output.lower()
    refused = runner.invoke(app, ["verify", "--live", "--format", "json", str(env_dir)])
    assert refused.exit_code == 2
    assert "--format json is not available with --live" in refused.output
