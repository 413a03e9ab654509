"""`gen verify`: the golden environments verify; each kind of mistake fails with its path named.

The mutations edit a scratch copy of envs/reference/main.tf the way a hand edit (or a bug in
gen) would, and the verifier must name the path or negative, the side and the statement.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from conftest import GOLDEN_DIRS, REPO
from typer.testing import CliRunner

from generator.access import policies
from generator.access.paths import Side, access_paths
from generator.cli.main import app as gen_app
from generator.proofs.directory import verify_directory
from generator.proofs.documents import KmsGrant, PolicyDocuments, Source
from generator.proofs.hcl_reader import HclReadError, read_directory, read_hcl
from generator.proofs.verify import (
    DENIED,
    FAILED,
    NEGATIVE_CATEGORIES,
    OUT_OF_SCOPE,
    PROVEN,
    RESOURCE_SIDE,
    VerifyReport,
    verify_documents,
)
from generator.render.pipeline import read_environment

IDS = [str(d.relative_to(REPO)) for d in GOLDEN_DIRS]
REFERENCE = REPO / "envs" / "reference"
PROD_ROLE = '"arn:aws:iam::555555555555:role/SageMakerExecution",\n'
QA_ROLE = '"arn:aws:iam::444444444444:role/SageMakerExecution",\n'


def _app() -> typer.Typer:
    return gen_app


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


# --- every golden environment ----------------------------------------------------------------


@pytest.mark.parametrize("env_dir", GOLDEN_DIRS, ids=IDS)
def test_golden_environment_verifies(env_dir: Path) -> None:
    _, report = verify_directory(env_dir)
    assert report.failures == []
    assert report.ok
    counts = report.counts()
    assert counts["paths"] >= 10 and counts["negatives"] >= 40
    assert counts["paths_failed"] == 0 and counts["negatives_failed"] == 0
    assert {p.status for p in report.paths} <= {PROVEN, RESOURCE_SIDE, OUT_OF_SCOPE}
    assert all(n.status == DENIED for n in report.negatives)
    # Every rendered identity is proven on both sides, with the statements that allow.
    for proof in report.paths:
        if proof.status == PROVEN and proof.path.principal.kind == "role":
            assert proof.identity.verdict == "allows" and proof.identity.statements
            assert proof.identity.source is not None
    # Every category that applies to every environment ran and denied something.
    categories = {n.category for n in report.negatives}
    assert {
        "consumer-writes",
        "other-prefix",
        "other-group",
        "no-path",
        "unknown-role",
        "outside-account",
        "foreign-trust",
        "insecure-transport",
    } <= categories
    assert categories <= set(NEGATIVE_CATEGORIES)
    assert not any("differ from what topology.yaml renders" in n for n in report.notes)


def test_reference_proves_every_path_and_negative() -> None:
    env, report = verify_directory(REFERENCE)
    counts = report.counts()
    assert counts["paths"] == len(access_paths(env))
    assert counts["proven"] >= 27
    assert counts["proven_resource_side"] == 4  # registry grant + images, two Terraform roles
    assert counts["out_of_scope"] == 2  # the two JumpStart portfolio associations
    assert counts["negatives"] >= 150 and counts["requests"] >= 700
    registry = [p for p in report.paths if p.path.sid == "RegistryDecryptsArtifacts"]
    assert registry[0].status == RESOURCE_SIDE
    assert "delegated to account shared-services (111111111111)" in registry[0].identity.note
    assert registry[0].resource_side.name == "KMS grant"
    jumpstart = [p for p in report.paths if p.path.sid == "JumpStartLaunchesProducts"]
    assert all(p.resource_side.verdict == "present" for p in jumpstart)
    assert all("out of scope of the evaluator" in p.resource_side.note for p in jumpstart)


@pytest.mark.parametrize("env_dir", GOLDEN_DIRS, ids=IDS)
def test_hcl_reader_reads_back_exactly_what_gen_rendered(env_dir: Path) -> None:
    """The documents read from the HCL are the documents gen built, statement for statement."""
    env = read_environment(env_dir)
    paths = access_paths(env)
    docs = read_directory(env_dir, training_key_alias=env.topology.training.kms_key.alias)
    d = docs.documents
    assert d.bucket == {env.bucket_name: policies.bucket_policy(paths, env.bucket_name)}
    for arn in policies.rendered_principals(paths):
        assert d.identity[arn] == [policies.identity_policy(paths, arn)]
    for group in env.topology.registry.model_package_groups:
        assert d.groups[group] == policies.model_package_group_policy(paths, group)
    if env.key_is_created:
        assert d.key["training"] == policies.key_policy(paths, env.training_account)
    assert sorted((g.grantee_principal, g.operations) for g in d.grants) == sorted(
        (g.grantee, g.operations) for g in policies.grants(paths)
    )
    for (kind, name), source in d.sources.items():
        assert re.match(r"^.+\.tf:[0-9]+$", source.file), (kind, name, source)
        assert source.address.startswith("module."), source


# --- mutations -------------------------------------------------------------------------------


def _scratch(tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    target.mkdir()
    for f in REFERENCE.iterdir():
        if f.is_file() and (f.suffix == ".tf" or f.name == "topology.yaml"):
            shutil.copy(f, target / f.name)
    return target


def _edit_module(env_dir: Path, module: str, old: str, new: str) -> None:
    main = env_dir / "main.tf"
    text = main.read_text()
    start = text.index(f'module "{module}" {{')
    end = text.index("\n}\n", start)
    block = text[start:end]
    assert old in block, f"{old!r} not in module {module}"
    main.write_text(text[:start] + block.replace(old, new, 1) + text[end:])


Mutation = Callable[[Path], None]
MUTATIONS: dict[str, tuple[Mutation, list[str]]] = {
    "bucket policy missing the prod role": (
        lambda d: _edit_module(d, "artifact_bucket", " " * 12 + PROD_ROLE, ""),
        [
            "path StageReadsArtifacts: prod execution role SageMakerExecution -> s3:GetObject",
            "resource side bucket policy",
            "module.artifact_bucket.aws_s3_bucket_policy.this) denies",
            "expected statement StageReadsArtifacts (as gen renders it) to allow it",
        ],
    ),
    "key policy without the qa stage": (
        lambda d: _edit_module(d, "kms_training_output", " " * 12 + QA_ROLE, ""),
        [
            "path StageDecryptsArtifacts: qa execution role SageMakerExecution -> kms:Decrypt",
            "module.kms_training_output.aws_kms_key.this[0]) denies",
            "expected statement StageDecryptsArtifacts",
        ],
    ),
    "stray s3:PutObject for the consumers in the bucket policy": (
        lambda d: _edit_module(
            d,
            "artifact_bucket",
            'Action   = ["s3:GetObject", "s3:GetObjectVersion"]',
            'Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]',
        ),
        [
            "negative consumer-writes: prod execution role SageMakerExecution cannot write",
            "s3:PutObject on arn:aws:s3:::mlops-shared-artifacts-111111111111/models/",
            "resource side bucket policy",
            "allows [StageReadsArtifacts]",
        ],
    ),
    "stray s3:PutObject in a consumer's own inline policy": (
        lambda d: _edit_module(
            d,
            "role_qa_execution",
            'Action   = ["s3:GetObject", "s3:GetObjectVersion"]',
            'Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]',
        ),
        [
            "negative consumer-writes: qa execution role SageMakerExecution cannot write",
            "identity side identity policy",
            "module.role_qa_execution.aws_iam_role_policy.this) allows [StageReadsArtifacts]",
        ],
    ),
    "group policy open to another account": (
        lambda d: _edit_module(
            d,
            "model_package_group_churn_xgboost",
            'AWS = "arn:aws:iam::333333333333:role/ModelDeployPipeline"',
            'AWS = ["arn:aws:iam::333333333333:role/ModelDeployPipeline", '
            '"arn:aws:iam::123456789012:root"]',
        ),
        [
            "negative outside-account: account 123456789012 (not in the topology) has no access "
            "to model package group churn-xgboost",
            "sagemaker:UpdateModelPackage",
            "group policy",
            "allows [DeployerApprovesVersions]",
        ],
    ),
    "group policy open to everyone": (
        lambda d: _edit_module(
            d,
            "model_package_group_churn_xgboost",
            'AWS = "arn:aws:iam::333333333333:role/ModelDeployPipeline"',
            'AWS = "*"',
        ),
        [
            "negative outside-account: account 999999999999 (not in the topology)",
            "negative unknown-role: a role not in the topology in qa (444444444444)",
        ],
    ),
    "group policy naming a role outside the model": (
        lambda d: _edit_module(
            d,
            "model_package_group_churn_xgboost",
            'AWS = "arn:aws:iam::333333333333:role/ModelDeployPipeline"',
            'AWS = ["arn:aws:iam::333333333333:role/ModelDeployPipeline", '
            '"arn:aws:iam::333333333333:role/Intruder"]',
        ),
        [
            "negative unknown-role: arn:aws:iam::333333333333:role/Intruder (named in a policy, "
            "not in the access model)",
        ],
    ),
    "stage allowed every version of the group": (
        lambda d: _edit_module(
            d,
            "model_package_group_churn_xgboost",
            'Resource = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn-xgboost/3"',
            'Resource = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn-xgboost/*"',
        ),
        [
            "negative other-version: qa Terraform role TerraformDeployment cannot use version 4",
            "sagemaker:CreateModel",
        ],
    ),
    "bucket prefix without its slash": (
        lambda d: _edit_module(
            d,
            "artifact_bucket",
            '"arn:aws:s3:::mlops-shared-artifacts-111111111111/models/*"',
            '"arn:aws:s3:::mlops-shared-artifacts-111111111111/models*"',
        ),
        [
            "negative other-prefix: qa execution role SageMakerExecution cannot reach objects "
            "outside s3://mlops-shared-artifacts-111111111111/models/",
            "models-other/",
        ],
    ),
    "trust policy without the confused-deputy condition": (
        lambda d: _edit_module(
            d,
            "role_prod_execution",
            'StringEquals = {\n            "aws:SourceAccount" = "555555555555"',
            'StringLike = {\n            "aws:SourceAccount" = "*"',
        ),
        [
            "negative foreign-trust: sagemaker.amazonaws.com cannot assume "
            "arn:aws:iam::555555555555:role/SageMakerExecution for another account",
            "trust policy",
        ],
    ),
    "trust policy opened to Lambda": (
        lambda d: _edit_module(
            d,
            "role_training",
            'Service = "sagemaker.amazonaws.com"',
            'Service = ["lambda.amazonaws.com", "sagemaker.amazonaws.com"]',
        ),
        [
            "negative foreign-trust: lambda.amazonaws.com cannot assume "
            "arn:aws:iam::222222222222:role/SageMakerTrainingExecution",
        ],
    ),
    "registry grant without GenerateDataKey": (
        lambda d: _edit_module(
            d,
            "kms_training_output",
            'operations        = ["Decrypt", "GenerateDataKey"]',
            'operations        = ["Decrypt"]',
        ),
        [
            "path RegistryDecryptsArtifacts: registry account shared-services -> "
            "kms:GenerateDataKey",
            "expected grant RegistryDecryptsArtifacts to arn:aws:iam::111111111111:root",
        ],
    ),
    "bucket policy without its TLS deny": (
        lambda d: _edit_module(
            d, "artifact_bucket", '"aws:SecureTransport" = "false"', '"aws:SecureTransport" = "no"'
        ),
        ["negative insecure-transport:", "expected an explicit deny from the bucket policy"],
    ),
    "identity policy of the training role without the key": (
        lambda d: _edit_module(
            d,
            "role_training",
            'Resource = "arn:aws:kms:us-east-1:222222222222:key/*"',
            'Resource = "arn:aws:kms:us-east-1:222222222222:key/other"',
        ),
        [
            "path TrainingUsesOutputKey: training role SageMakerTrainingExecution -> kms:Decrypt",
            "identity side identity policy",
            "expected statement TrainingUsesOutputKey (as gen renders it) to allow it",
        ],
    ),
    "a JumpStart association removed": (
        lambda d: _edit_module(
            d, "jumpstart", '    "arn:aws:iam::222222222222:role/MLEngineerCustomRole",\n', ""
        ),
        ["path JumpStartLaunchesProducts: JumpStart role MLEngineerCustomRole: no association"],
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_fails_with_the_right_path_named(name: str, tmp_path: Path) -> None:
    mutate, expected = MUTATIONS[name]
    env_dir = _scratch(tmp_path)
    mutate(env_dir)
    _, report = verify_directory(env_dir)
    assert not report.ok
    text = "\n".join(report.failures)
    for fragment in expected:
        assert fragment in text, f"{name}: {fragment!r} not in\n{text[:3000]}"
    assert any("differ from what topology.yaml renders" in n for n in report.notes)


def test_mutation_through_the_cli_exits_1_and_reports_json(tmp_path: Path) -> None:
    env_dir = _scratch(tmp_path)
    MUTATIONS["bucket policy missing the prod role"][0](env_dir)
    code, out, _ = run("verify", str(env_dir))
    assert code == 1
    assert "FAIL path StageReadsArtifacts: prod execution role SageMakerExecution" in out
    assert "NOT verified" in out
    code, out, _ = run("verify", "--format", "json", str(env_dir))
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    failed = [p for p in data["paths"] if p["status"] == FAILED]
    assert [(p["sid"], p["principal"]["arn"]) for p in failed] == [
        ("StageReadsArtifacts", "arn:aws:iam::555555555555:role/SageMakerExecution")
    ]
    assert (
        failed[0]["resource_side"]["address"] == "module.artifact_bucket.aws_s3_bucket_policy.this"
    )


def test_cli_verify_reference_exits_0() -> None:
    code, out, _ = run("verify", str(REFERENCE))
    assert code == 0, out
    assert re.search(r"gen verify .*envs/reference: \d+ access paths, \d+ negatives", out)
    assert "verified" in out.splitlines()[-1]
    code, out, _ = run("verify", "--format", "json", str(REFERENCE))
    data = json.loads(out)
    assert code == 0 and data["ok"] is True
    assert data["summary"]["paths_failed"] == 0
    assert "permissions boundaries" in data["not_modelled"]


# --- the documents, however they were read -----------------------------------------------------


def _reference_documents() -> tuple[object, PolicyDocuments]:
    env = read_environment(REFERENCE)
    hcl = read_directory(REFERENCE, training_key_alias="sagemaker/outkey")
    return env, hcl.documents


def test_verify_documents_takes_documents_from_anywhere() -> None:
    """`gen verify --live` fills PolicyDocuments from AWS: the proofs use only that shape."""
    env = read_environment(REFERENCE)
    paths = access_paths(env)
    docs = read_directory(REFERENCE, training_key_alias="sagemaker/outkey").documents
    assert verify_documents(env, paths, docs).ok
    # A grant missing from what AWS returned fails that path, with no file behind it.
    docs.grants = [g for g in docs.grants if "111111111111" not in g.grantee_principal]
    docs.sources = {k: v for k, v in docs.sources.items() if k[0] != "grants"}
    report = verify_documents(env, paths, docs)
    assert [p.path.sid for p in report.paths if p.status == FAILED] == ["RegistryDecryptsArtifacts"]
    # An extra grant to an outside account is caught by the negatives.
    docs.grants.append(
        KmsGrant(
            "training",
            "stray",
            "arn:aws:iam::999999999999:root",
            ("Decrypt",),
            Source("aws kms list-grants", "stray"),
        )
    )
    report = verify_documents(env, paths, docs)
    assert any(
        "account 999999999999 (not in the topology)" in f and "KMS grant" in f
        for f in report.failures
    )


def test_a_document_out_of_scope_is_never_allowed() -> None:
    env = read_environment(REFERENCE)
    paths = access_paths(env)
    docs = read_directory(REFERENCE, training_key_alias="sagemaker/outkey").documents
    bucket = docs.bucket["mlops-shared-artifacts-111111111111"]
    for st in bucket["Statement"]:
        if st.get("Sid") == "StageReadsArtifacts":
            st["Condition"] = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    report = verify_documents(env, paths, docs)
    failed = {p.path.sid for p in report.paths if p.status == FAILED}
    assert failed == {"StageReadsArtifacts"}
    assert any("out-of-scope" in f and "IpAddress" in f for f in report.failures)


def test_an_invalid_document_is_refused_never_judged() -> None:
    """A statement AWS would refuse (an action without its service prefix:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html)
    makes every request on that bucket undecidable, with the statement named: gen neither
    proves the paths nor the negatives through it."""
    env = read_environment(REFERENCE)
    paths = access_paths(env)
    docs = read_directory(REFERENCE, training_key_alias="sagemaker/outkey").documents
    bucket = docs.bucket["mlops-shared-artifacts-111111111111"]
    bucket["Statement"].append(
        {"Sid": "Typo", "Effect": "Deny", "Principal": "*", "Action": "s3*", "Resource": "*"}
    )
    report = verify_documents(env, paths, docs)
    assert not report.ok
    assert any(
        "invalid policy: Typo: Action 's3*' is not service:action" in f for f in report.failures
    )
    bucket_paths = [p for p in report.paths if p.path.side is Side.BUCKET_POLICY]
    assert bucket_paths and all(p.status == FAILED for p in bucket_paths)


def test_a_rendered_role_without_its_inline_policy_fails() -> None:
    env = read_environment(REFERENCE)
    docs = read_directory(REFERENCE, training_key_alias="sagemaker/outkey").documents
    del docs.identity["arn:aws:iam::333333333333:role/ModelDeployPipeline"]
    report = verify_documents(env, access_paths(env), docs)
    assert {p.path.sid for p in report.paths if p.status == FAILED} == {
        "DeployerApprovesVersions",
        "DeployerDescribesGroup",
    }
    assert any("no inline policy of arn:aws:iam::333333333333" in f for f in report.failures)


def test_report_json_is_stable() -> None:
    env = read_environment(REFERENCE)
    docs = read_directory(REFERENCE, training_key_alias="sagemaker/outkey").documents
    report: VerifyReport = verify_documents(env, access_paths(env), docs)
    data = json.loads(report.json_text())
    assert set(data) == {
        "environment",
        "ok",
        "summary",
        "failures",
        "paths",
        "negatives",
        "negative_categories",
        "notes",
        "not_modelled",
    }
    path = data["paths"][0]
    assert {
        "sid",
        "principal",
        "actions",
        "resources",
        "status",
        "identity",
        "resource_side",
    } <= set(path)
    assert set(path["identity"]) == {"name", "verdict", "statements", "file", "address", "note"}


# --- bad input ---------------------------------------------------------------------------------


def test_verify_without_rendered_files_is_a_one_line_error(tmp_path: Path) -> None:
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    shutil.copy(REFERENCE / "topology.yaml", env_dir / "topology.yaml")
    code, out, err = run("verify", str(env_dir))
    assert code == 2
    assert err.count("\n") == 2 and "main.tf:1:1: (file): not found; run `gen render" in err
    assert "Traceback" not in out + err


def test_verify_invalid_topology_exits_2(tmp_path: Path) -> None:
    env_dir = _scratch(tmp_path)
    (env_dir / "topology.yaml").write_text("version: 1\nenvironment: x\n")
    code, out, err = run("verify", str(env_dir))
    assert code == 2 and "Traceback" not in out + err
    assert "topology.yaml" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('module "m" {\n  source = "../x/iam_role"\n  policy = var.p\n', "not valid HCL"),
        (
            'provider "aws" {\n  alias = "a"\n  allowed_account_ids = ["111111111111"]\n}\n'
            'module "m" {\n  source = "../../modules/artifact_bucket"\n'
            '  providers = { aws = aws.a }\n  bucket = "b"\n  policy = var.p\n}\n',
            "main.tf:9:12: module.m.policy: a reference; gen verify reads only literal policies",
        ),
        (
            'module "m" {\n  source = "../../modules/artifact_bucket"\n  bucket = "b"\n'
            '  policy = jsonencode({ Version = "${var.v}" })\n}\n',
            "main.tf:4:36: module.m.policy: a string with an interpolation or directive",
        ),
        (
            'module "m" {\n  source = "../../modules/artifact_bucket"\n  bucket = "b"\n'
            '  policy = templatefile("p.json", {})\n}\n',
            "module.m.policy: a call of templatefile(), not jsonencode(...)",
        ),
        (
            'module "m" {\n  source = "../../modules/iam_role"\n  name = "r"\n  policy = "{}"\n}\n',
            "module.m: no `providers = { aws = aws.X }`",
        ),
    ],
)
def test_hcl_reader_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(HclReadError) as info:
        read_hcl({"main.tf": text}, training_key_alias="k")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_hcl_reader_decodes_literals_exactly() -> None:
    text = r"""
provider "aws" {
  alias               = "a"
  allowed_account_ids = ["111111111111"]
}
module "bucket" {
  source    = "../../modules/artifact_bucket"
  providers = { aws = aws.a }
  bucket    = "b"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "Q\"uote\\d\u00e9"
      Effect   = "Allow"
      "Action" = ["s3:GetObject"]
      Resource = "arn:aws:s3:::b/$${aws:username}/*"
      Condition = {
        NumericLessThan = { "s3:max-keys" = 10 }
        Bool            = { "aws:SecureTransport" = true }
      }
      Principal = { AWS = "arn:aws:iam::111111111111:root" }
    }]
  })
}
module "group" {
  source    = "../../modules/model_package_group"
  providers = { aws = aws.a }
  name      = "g"
  policy    = "{\"Version\": \"2012-10-17\", \"Statement\": []}"
}
module "repo" {
  source     = "../../modules/ecr_repository_policy"
  providers  = { aws = aws.a }
  repository = "r"
  policy     = <<-EOT
    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny"}]}
  EOT
}
"""
    docs = read_hcl({"main.tf": text}, training_key_alias="k").documents
    st = docs.bucket["b"]["Statement"][0]
    assert st["Sid"] == 'Q"uote\\dé'
    assert st["Resource"] == "arn:aws:s3:::b/${aws:username}/*"
    assert st["Condition"] == {
        "NumericLessThan": {"s3:max-keys": 10},
        "Bool": {"aws:SecureTransport": True},
    }
    assert docs.groups["g"] == {"Version": "2012-10-17", "Statement": []}
    assert docs.ecr["r"]["Statement"] == [{"Effect": "Deny"}]
    assert docs.sources[("bucket", "b")].address == "module.bucket.aws_s3_bucket_policy.this"
    assert docs.sources[("bucket", "b")].file == "main.tf:10"
