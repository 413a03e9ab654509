"""The CLI as a user meets it (Typer's CliRunner): exit codes, located errors, no tracebacks,
nothing written on bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO
from typer.testing import CliRunner

from generator.cli.main import app
from generator.render.output import MANIFEST

runner = CliRunner()
REFERENCE = (REPO / "envs" / "reference" / "topology.yaml").read_text()


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"fixture edit does not apply: {old!r}"
    return text.replace(old, new, 1)


# Each case: an edit of the reference topology, the field path and a phrase of the message.
INVALID = {
    "yaml-syntax": (('  qa: "444444444444"', '  qa: ["444444444444"'), "(yaml)", "expected"),
    "duplicate-key": (
        ('  prod: "555555555555"', '  prod: "555555555555"\n  prod: "555555555556"'),
        "accounts.prod",
        "duplicate key",
    ),
    "unknown-field": (("terraform_role:", "terraform_rol:"), "terraform_rol", "did you mean"),
    "missing-field": (("terraform_role: TerraformDeployment\n", ""), "terraform_role", "required"),
    "unquoted-account-id": (
        ('  qa: "444444444444"', "  qa: 444444444444"),
        "accounts.qa",
        "must be quoted",
    ),
    "short-account-id": (('  qa: "444444444444"', '  qa: "4444"'), "accounts.qa", "12 digits"),
    "bad-version": (("version: 1", "version: 2"), "version", "only version 1"),
    "unknown-account": (
        ("  account: data-science\n  role:", "  account: datascience\n  role:"),
        "training.account",
        "unknown account 'datascience'",
    ),
    "unknown-group": (
        ("{group: churn-xgboost, version: 4}", "{group: churn, version: 4}"),
        "stages[1].models.churn-v4.model_package.group",
        "unknown model package",
    ),
    "bad-version-number": (
        ("{group: churn-xgboost, version: 4}", "{group: churn-xgboost, version: 0}"),
        "stages[1].models.churn-v4.model_package.version",
        "version number",
    ),
    "latest-approved-without-lock": (
        ("{group: churn-xgboost, version: 4}", "{group: churn-xgboost, version: latest-approved}"),
        "stages[1].models.churn-v4.model_package.version",
        "gen discover",
    ),
    "tag-not-digest": (
        (
            "my-inference-image@sha256:3f1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809",
            "my-inference-image:latest",
        ),
        "stages[1].models.churn-custom.image.uri",
        "pinned by digest",
    ),
    "private-registry-without-network": (
        (
            "    network:\n      vpc_id: vpc-0a1b2c3d4e5f67890\n"
            "      subnet_ids: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002]\n"
            "      security_group_ids: [sg-0a1b2c3d4e5f60003]\n",
            "",
        ),
        "stages[1].models.churn-custom.image.uri",
        "needs a network",
    ),
    "unknown-variant-model": (
        ("model: churn-v4, instance_type", "model: churn-v5, instance_type"),
        "stages[1].endpoints.churn-prod.variants[1].model",
        "unknown model",
    ),
    "instance-type": (
        (
            "instance_type: ml.m5.large, instance_count: 1}\n\n",
            "instance_type: m5.large, instance_count: 1}\n\n",
        ),
        "stages[0].endpoints.churn-qa.variants[0].instance_type",
        "ml.m5.large",
    ),
    "instance-count": (
        ("ml.m5.large, instance_count: 1}\n\n", "ml.m5.large, instance_count: 0}\n\n"),
        "stages[0].endpoints.churn-qa.variants[0].instance_count",
        "must be at least 1",
    ),
    "weight": (
        ("weight: 0.1", "weight: 0"),
        "stages[1].endpoints.churn-prod.variants[1].weight",
        "greater than 0",
    ),
    "prefix-without-slash": (
        ("prefix: models/", "prefix: models"),
        "registry.artifact_bucket.prefix",
        "ending with /",
    ),
    "duplicate-stage": (("  - name: prod", "  - name: qa"), "stages[1].name", "already defined"),
    "bad-role-name": (
        ("role: ModelDeployPipeline", "role: Model Deploy Pipeline"),
        "deployment.role",
        "IAM role name",
    ),
    "model-without-source": (
        (
            "      churn-v3:\n        model_package: {group: churn-xgboost, version: 3}\n"
            "    endpoints:\n      churn-qa",
            "      churn-v3: {}\n    endpoints:\n      churn-qa",
        ),
        "stages[0].models.churn-v3",
        "exactly one source",
    ),
    "unknown-ecr-repository": (
        ("  image_repositories:\n    - decision-trees-sample\n", ""),
        "",
        "",
    ),  # valid: repositories are optional
    "jumpstart-without-portfolio": (
        ("  portfolio_id: port-abcdefghijklm\n", ""),
        "jumpstart",
        "portfolio_id",
    ),
    "key-arn-other-account": (
        (
            "    alias: sagemaker/outkey\n",
            "    alias: sagemaker/outkey\n    arn: arn:aws:kms:us-east-1:999999999999:key/abc\n",
        ),
        "training.kms_key.arn",
        "is in account 999999999999",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_topology_exits_2_with_located_errors(case: str, reference_env: Path) -> None:
    (old, new), path, phrase = INVALID[case]
    topology = reference_env / "topology.yaml"
    topology.write_text(_replace(REFERENCE, old, new))
    before = _snapshot(reference_env)
    result = runner.invoke(app, ["render", str(reference_env)])
    if not path:  # a control case: the edit is valid
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if "topology.yaml:" in line]
    assert lines, result.output
    located = re.compile(r"topology\.yaml:(\d+):(\d+): (\S+): (.+)")
    matches = [located.search(line) for line in lines]
    assert all(matches), lines
    assert any(m and m.group(3) == path and phrase in m.group(4) for m in matches), lines
    # The line points into the file, not at its start, for errors about a field.
    assert all(m and int(m.group(1)) >= 1 for m in matches)
    assert _snapshot(reference_env) == before, "an invalid topology must change nothing"


def test_every_problem_is_reported_at_once(reference_env: Path) -> None:
    text = _replace(REFERENCE, 'qa: "444444444444"', "qa: 444444444444")
    text = _replace(text, "terraform_role:", "terraform_roles:")
    text = _replace(text, "weight: 0.1", "weight: -1")
    (reference_env / "topology.yaml").write_text(text)
    result = runner.invoke(app, ["render", str(reference_env)])
    assert result.exit_code == 2
    # A renamed key is two problems: the unknown key and the missing one.
    assert "4 problems; nothing was written." in result.output
    for path in (
        "accounts.qa",
        "terraform_roles",
        "terraform_role",
        "stages[1].endpoints.churn-prod.variants[1].weight",
    ):
        assert f": {path}: " in result.output


def test_line_numbers_point_at_the_field(reference_env: Path) -> None:
    text = _replace(
        REFERENCE,
        "instance_type: ml.m5.xlarge, instance_count: 1, weight: 0.1",
        "instance_type: ml.m5.xlarge, instance_count: 1, weight: 0.1, colour: red",
    )
    (reference_env / "topology.yaml").write_text(text)
    result = runner.invoke(app, ["render", str(reference_env)])
    expected_line = next(i for i, line in enumerate(text.splitlines(), 1) if "colour" in line)
    assert f"topology.yaml:{expected_line}:" in result.output
    assert "unknown field 'colour'" in result.output


def test_render_then_check(reference_env: Path) -> None:
    first = runner.invoke(app, ["render", str(reference_env)])
    assert first.exit_code == 0, first.output
    assert (reference_env / "main.tf").is_file()
    assert "wrote" in first.output
    check = runner.invoke(app, ["render", "--check", str(reference_env)])
    assert check.exit_code == 0, check.output
    # Same input, same bytes.
    snapshot = _snapshot(reference_env)
    again = runner.invoke(app, ["render", str(reference_env)])
    assert again.exit_code == 0
    assert _snapshot(reference_env) == snapshot
    assert "unchanged" in again.output


def test_check_reports_stale_output_and_writes_nothing(reference_env: Path) -> None:
    assert runner.invoke(app, ["render", "-q", str(reference_env)]).exit_code == 0
    topology = reference_env / "topology.yaml"
    topology.write_text(_replace(topology.read_text(), "instance_count: 2", "instance_count: 3"))
    before = _snapshot(reference_env)
    result = runner.invoke(app, ["render", "--check", str(reference_env)])
    assert result.exit_code == 1
    assert "stale" in result.output and "main.tf" in result.output
    assert _snapshot(reference_env) == before


def test_check_on_a_never_rendered_directory_is_stale(reference_env: Path) -> None:
    result = runner.invoke(app, ["render", "--check", str(reference_env)])
    assert result.exit_code == 1
    assert not (reference_env / "main.tf").exists()


def test_refuses_to_overwrite_a_file_it_did_not_generate(reference_env: Path) -> None:
    mine = reference_env / "main.tf"
    mine.write_text("# my own Terraform\n")
    result = runner.invoke(app, ["render", str(reference_env)])
    assert result.exit_code == 2
    assert "main.tf" in result.output and "did not" in result.output
    assert mine.read_text() == "# my own Terraform\n"
    assert not (reference_env / MANIFEST).exists()


def test_deletes_only_its_own_stale_files(reference_env: Path) -> None:
    assert runner.invoke(app, ["render", "-q", str(reference_env)]).exit_code == 0
    # Pretend an earlier render made one more file, and the user added one of their own.
    manifest = reference_env / MANIFEST
    (reference_env / "old.tf").write_text("# Generated by gen from topology.yaml (earlier)\n")
    manifest.write_text(
        manifest.read_text().replace('"files": {', '"files": {\n    "old.tf": "x",')
    )
    (reference_env / "backend.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    result = runner.invoke(app, ["render", str(reference_env)])
    assert result.exit_code == 0, result.output
    assert not (reference_env / "old.tf").exists()
    assert (reference_env / "backend.tf").is_file()
    assert "deleted" in result.output


def test_missing_topology_and_missing_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", str(tmp_path)])
    assert result.exit_code == 2
    assert "no topology.yaml" in result.output
    result = runner.invoke(app, ["render", str(tmp_path / "nope")])
    assert result.exit_code == 2  # click's own usage error
    assert "Traceback" not in result.output


def test_empty_and_non_mapping_topology(reference_env: Path) -> None:
    topology = reference_env / "topology.yaml"
    topology.write_text("")
    result = runner.invoke(app, ["render", str(reference_env)])
    assert result.exit_code == 2 and "empty" in result.output
    topology.write_text("- a\n- b\n")
    result = runner.invoke(app, ["render", str(reference_env)])
    assert result.exit_code == 2 and "mapping" in result.output


def test_policy_over_its_aws_limit_is_a_clear_error(reference_env: Path) -> None:
    # 250 stages on distinct accounts, each pulling from the one ECR repository and reading
    # the bucket: the repository policy outgrows ECR's 10,240 characters
    # (https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html) and the
    # bucket policy S3's 20 KB (https://docs.aws.amazon.com/AmazonS3/latest/userguide/add-bucket-policy.html).
    text = REFERENCE.split("# Where models are served")[0] + "stages:\n"
    accounts = "".join(f'  s{i}: "{100000000000 + i}"\n' for i in range(250))
    text = _replace(text, "accounts:\n", "accounts:\n" + accounts)
    for i in range(250):
        text += (
            f"  - name: s{i}\n    account: s{i}\n    execution_role: {'R' * 60}{i:03d}\n"
            "    models:\n      m:\n        model_package: {group: churn-xgboost, version: 1}\n"
            "    endpoints:\n      e:\n        variants:\n"
            "          - {name: a, model: m, instance_type: ml.m5.large, instance_count: 1}\n"
        )
    (reference_env / "topology.yaml").write_text(text)
    result = runner.invoke(app, ["render", str(reference_env)])
    assert result.exit_code == 2, result.output
    # Every overflow at once, each with its size and limit, and what to do about it.
    out = " ".join(result.output.split())
    # one located line per policy over its limit
    lines = [line for line in result.output.splitlines() if "(policy)" in line]
    assert len(lines) >= 2, result.output
    assert all(
        line.startswith(f"{reference_env / 'topology.yaml'}:1:1: (policy): ") for line in lines
    )
    assert re.search(
        r"repository policy of \S+: [\d,]+ characters, over the AWS limit of 10,240 characters",
        out,
    )
    assert re.search(r"bucket policy of \S+: [\d,]+ bytes, over the AWS limit of 20,480 bytes", out)
    assert "organization.workload_ou_paths" in out
    assert not (reference_env / "main.tf").exists()


def test_version_and_help() -> None:
    assert "gen 0.1.0" in runner.invoke(app, ["version"]).output
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "render" in result.output


def test_modules_source_option(reference_env: Path) -> None:
    source = "git::https://example.com/gen.git//modules?ref=v0.1.0"
    result = runner.invoke(app, ["render", "-q", "--modules-source", source, str(reference_env)])
    assert result.exit_code == 0, result.output
    main = (reference_env / "main.tf").read_text()
    assert 'source = "git::https://example.com/gen.git//modules/kms_key?ref=v0.1.0"' in main
    stale = runner.invoke(app, ["render", "--check", str(reference_env)])
    assert stale.exit_code == 1  # the default source differs from the pinned one
    same = runner.invoke(app, ["render", "--check", "--modules-source", source, str(reference_env)])
    assert same.exit_code == 0
