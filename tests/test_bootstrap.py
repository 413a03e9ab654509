"""Running it in an organisation: remote state, `gen bootstrap` (CloudFormation StackSet
template, proven with gen's IAM evaluator and checked by cfn-lint)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest
from conftest import GOLDEN_DIRS, REPO
from typer.testing import CliRunner

from generator.bootstrap.calls import RESOURCE_TYPES
from generator.bootstrap.proof import prove
from generator.bootstrap.template import (
    Bootstrap,
    BootstrapInputError,
    build_bootstrap,
    deploy_commands,
    template_json,
)
from generator.cli.main import app
from generator.errors import TopologyError
from generator.render.files import render
from generator.render.pipeline import modules_source_for, read_environment
from generator.topology.environment import Environment
from generator.topology.load import load_topology

runner = CliRunner()
ORG = REPO / "tests" / "envs" / "organisation_state"
PRINCIPAL = "arn:aws:iam::333333333333:role/gen-ci-terraform"


def _env(directory: Path) -> Environment:
    """The golden's environment; a terraform_principal is added where it has none."""
    env = read_environment(directory)
    if env.topology.terraform_principal is None:
        first = env.account_ids()[0]
        topology = env.topology.model_copy(
            update={"terraform_principal": f"arn:aws:iam::{first}:role/ci"}
        )
        env = Environment(topology, env.lock)
    return env


def _boot(directory: Path) -> Bootstrap:
    return build_bootstrap(_env(directory), modules_source_for(directory))


def _with(text: str, old: str, new: str) -> str:
    assert old in text, f"fixture edit does not apply: {old!r}"
    return text.replace(old, new, 1)


ORG_TOPOLOGY = (ORG / "topology.yaml").read_text()


# --- state ----------------------------------------------------------------------------------


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals."""
    if isinstance(value, str) and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def _terraform(versions_tf: str) -> dict[str, Any]:
    block: dict[str, Any] = _unquote(hcl2.loads(versions_tf)["terraform"][0])
    return block


def _backend(versions_tf: str) -> dict[str, Any]:
    backend: dict[str, Any] = _terraform(versions_tf)["backend"][0]["s3"]
    return backend


def test_state_renders_an_s3_backend_with_lockfile_assuming_terraform_role() -> None:
    # https://developer.hashicorp.com/terraform/language/backend/s3 (bucket, key, region,
    # encrypt, use_lockfile; assume_role { role_arn } replaces the removed role_arn).
    text = (ORG / "versions.tf").read_text()
    backend = _backend(text)
    assert backend["bucket"] == "mlops-terraform-state-111111111111"
    assert backend["key"] == "gen/prod/main/terraform.tfstate"
    assert backend["region"] == "us-east-1"
    assert backend["encrypt"] is True and backend["use_lockfile"] is True
    assert backend["assume_role"][0]["role_arn"] == (
        "arn:aws:iam::111111111111:role/TerraformDeployment"  # registry.account by default
    )
    # use_lockfile is generally available from Terraform 1.11 (experimental in 1.10).
    assert _terraform(text)["required_version"] == ">= 1.11.0"


def test_state_fields_override_the_defaults() -> None:
    text = _with(
        ORG_TOPOLOGY,
        "  bucket: mlops-terraform-state-111111111111\n",
        "  bucket: tf-state\n  account: deployment\n  region: eu-west-1\n  key_prefix: ml/\n",
    )
    env = Environment(load_topology(text, "topology.yaml"))
    backend = _backend(render(env, "../../modules").files["versions.tf"])
    assert backend["key"] == "ml/prod/main/terraform.tfstate"
    assert backend["region"] == "eu-west-1"
    assert backend["assume_role"][0]["role_arn"] == (
        "arn:aws:iam::333333333333:role/TerraformDeployment"
    )


def test_without_state_the_root_has_no_backend_and_the_old_version() -> None:
    text = (REPO / "envs" / "reference" / "versions.tf").read_text()
    terraform = _terraform(text)
    assert "backend" not in terraform
    assert terraform["required_version"] == ">= 1.6.0"


@pytest.mark.parametrize(
    ("edit", "path", "phrase"),
    [
        (("  bucket: mlops-terraform-state-111111111111\n", "  bucket: x\n"), "state.bucket", ""),
        (
            (
                "  bucket: mlops-terraform-state-111111111111\n",
                "  bucket: tfstate\n  account: nope\n",
            ),
            "state.account",
            "unknown account 'nope'",
        ),
        (
            (
                "  bucket: mlops-terraform-state-111111111111\n",
                "  bucket: tfstate\n  key_prefix: gen\n",
            ),
            "state.key_prefix",
            "",
        ),
        (
            (PRINCIPAL, "arn:aws:iam::333333333333:group/ci"),
            "terraform_principal",
            "",
        ),
        (("  bucket:", "  buckt:"), "state.buckt", ""),
    ],
)
def test_bad_state_and_principal_are_located_errors(
    edit: tuple[str, str], path: str, phrase: str
) -> None:
    with pytest.raises(TopologyError) as info:
        load_topology(_with(ORG_TOPOLOGY, *edit), "topology.yaml")
    problems = info.value.problems
    assert any(p.path == path and phrase in p.message and p.line > 0 for p in problems), problems


def test_lint_warns_of_local_state_without_failing() -> None:
    from generator.checks.catalog import Check
    from generator.checks.lint import lint
    from generator.checks.sarif import to_sarif
    from generator.cli.lint import report_json

    others = [c for c in Check if c is not Check.RENDER]
    report = lint([REPO / "envs" / "reference", ORG], base=REPO, skip=others)
    assert report.exit_code == 0 and not report.findings
    assert [(w.file, w.rule, w.path) for w in report.warnings] == [
        ("envs/reference/topology.yaml", "local-state", "state")
    ]
    assert report_json(report)["warnings"][0]["rule"] == "local-state"
    results = to_sarif(report)["runs"][0]["results"]
    assert [r["level"] for r in results] == ["warning"]


# --- bootstrap: what it covers --------------------------------------------------------------


def test_every_resource_type_of_the_modules_has_its_calls() -> None:
    for module in (REPO / "modules").iterdir():
        if not (module / "main.tf").is_file():
            continue
        declared = set(re.findall(r'^resource "(\w+)"', (module / "main.tf").read_text(), re.M))
        assert set(RESOURCE_TYPES[module.name]) == declared, module.name


def test_bootstrap_needs_terraform_principal() -> None:
    env = read_environment(REPO / "envs" / "reference")
    with pytest.raises(BootstrapInputError, match="terraform_principal is not set"):
        build_bootstrap(env)


# --- bootstrap: the proofs ------------------------------------------------------------------


@pytest.mark.parametrize("directory", GOLDEN_DIRS, ids=lambda p: p.name)
def test_bootstrap_policies_are_proven_sufficient_and_scoped(directory: Path) -> None:
    boot = _boot(directory)
    report = prove(boot)
    assert report.ok, "\n".join(str(p) for p in report.failed[:10])
    assert any(p.expect_allowed for p in report.proofs)
    assert any(not p.expect_allowed for p in report.proofs)
    for account in boot.env.account_ids():
        assert boot.calls[account] or not boot.policies[account]


def test_the_proof_fails_when_an_action_is_missing() -> None:
    boot = _boot(ORG)
    prod = boot.env.account_id("prod")
    first = boot.policies[prod][0]["Statement"]
    victim = next(s for s in first if isinstance(s["Action"], list) and "Condition" not in s)
    removed = victim["Action"].pop()
    report = prove(boot)
    assert not report.ok
    assert {p.request.action for p in report.failed} == {removed}
    assert all(p.expect_allowed for p in report.failed)


def test_the_proof_fails_when_a_scope_is_widened() -> None:
    boot = _boot(ORG)
    for account in boot.env.account_ids():
        for document in boot.policies[account]:
            for st in document["Statement"]:
                if st["Resource"] != "*" and "Condition" not in st:
                    st["Resource"] = "*"
    report = prove(boot)
    assert report.failed and all(not p.expect_allowed for p in report.failed)
    assert any(":role/" in p.request.resource for p in report.failed)


def test_the_proof_fails_when_tag_conditions_are_dropped() -> None:
    boot = _boot(ORG)
    for account in boot.env.account_ids():
        for document in boot.policies[account]:
            for st in document["Statement"]:
                st.pop("Condition", None)
    failed = prove(boot).failed
    assert any(p.request.action == "kms:PutKeyPolicy" for p in failed)
    assert any(p.request.action == "iam:PassRole" for p in failed)


def test_terraform_role_cannot_change_itself_or_other_roles() -> None:
    report = prove(_boot(ORG))
    denied = {(p.request.action, p.request.resource.rsplit("/", 1)[-1]) for p in report.proofs}
    assert ("iam:PutRolePolicy", "TerraformDeployment") in denied
    assert ("iam:UpdateAssumeRolePolicy", "TerraformDeployment") in denied
    assert all(
        not p.decision.allowed
        for p in report.proofs
        if p.request.resource.endswith("role/TerraformDeployment")
    )


# --- bootstrap: the template ----------------------------------------------------------------


def test_template_trusts_exactly_terraform_principal_and_hardens_the_state_bucket() -> None:
    template = _boot(ORG).template
    role = template["Resources"]["TerraformRole"]["Properties"]
    assert role["RoleName"] == "TerraformDeployment"
    statements = role["AssumeRolePolicyDocument"]["Statement"]
    assert statements == [
        {
            "Sid": "TerraformPrincipal",
            "Effect": "Allow",
            "Principal": {"AWS": PRINCIPAL},
            "Action": "sts:AssumeRole",
        }
    ]
    bucket = template["Resources"]["StateBucket"]
    props = bucket["Properties"]
    assert bucket["Condition"] == "CreatesStateBucket"
    assert bucket["DeletionPolicy"] == "Retain"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    policy = template["Resources"]["StateBucketPolicy"]["Properties"]["PolicyDocument"]
    # TLS only: https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    state_condition = template["Conditions"]["CreatesStateBucket"]["Fn::And"][0]["Condition"]
    assert template["Conditions"][state_condition] == {
        "Fn::Equals": [{"Ref": "AWS::AccountId"}, "111111111111"]
    }


def test_each_account_gets_only_its_own_policies() -> None:
    boot = _boot(ORG)
    resources = boot.template["Resources"]
    for name, resource in resources.items():
        if resource["Type"] != "AWS::IAM::ManagedPolicy":
            continue
        account = re.fullmatch(r"TerraformPolicy(\d{12})Part\d+", name)
        assert account is not None
        text = json.dumps(resource["Properties"]["PolicyDocument"])
        foreign = set(re.findall(r":(\d{12}):", text)) - {account.group(1)}
        # Only the registry's model packages, which the stages create models from.
        assert foreign <= {boot.env.registry_account}, (name, foreign)


def test_deploy_commands_are_a_service_managed_stack_set() -> None:
    boot = _boot(ORG)
    create, instances = deploy_commands(
        boot, "bootstrap/stackset.cfn.json", ["ou-ab12-cd34ef56"], True
    )
    assert "--permission-model SERVICE_MANAGED" in create
    assert "--auto-deployment Enabled=true" in create
    assert "CAPABILITY_NAMED_IAM" in create and "--call-as DELEGATED_ADMIN" in create
    assert "OrganizationalUnitIds=ou-ab12-cd34ef56" in instances
    assert "--regions us-east-1" in instances


def test_cfn_lint_passes_on_every_golden_template_and_catches_a_broken_one(
    tmp_path: Path,
) -> None:
    """One cfn-lint run (its start-up is most of its time): every golden's template, plus a
    broken copy that shows the run really checks (MaxSessionDuration is 3600 to 43200:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html)."""
    files = []
    for directory in GOLDEN_DIRS:
        path = tmp_path / f"{directory.name}.json"
        path.write_text(template_json(_boot(directory)))
        files.append(str(path))
    broken = copy.deepcopy(_boot(ORG).template)
    broken["Resources"]["TerraformRole"]["Properties"]["MaxSessionDuration"] = 60
    (tmp_path / "broken.json").write_text(json.dumps(broken, indent=2))
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--format",
            "parseable",
            *files,
            str(tmp_path / "broken.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = [line for line in result.stdout.splitlines() if line.strip()]
    assert findings, result.stderr
    assert all(line.startswith(str(tmp_path / "broken.json")) for line in findings), findings
    assert any("E3034" in line for line in findings), findings


# --- the command ----------------------------------------------------------------------------


def test_gen_bootstrap_writes_the_template_and_prints_the_commands(tmp_path: Path) -> None:
    out = tmp_path / "boot"
    result = runner.invoke(app, ["bootstrap", str(ORG), "-o", str(out), "--ou", "ou-ab12-cd34ef56"])
    assert result.exit_code == 0, result.output
    template = json.loads((out / "stackset.cfn.json").read_text())
    assert template["Resources"]["TerraformRole"]["Type"] == "AWS::IAM::Role"
    principal = json.loads((out / "terraform-principal-policy.json").read_text())
    assert principal["Statement"][0]["Action"] == "sts:AssumeRole"
    assert "aws cloudformation create-stack-set" in result.output
    assert "aws cloudformation create-stack-instances" in result.output
    assert "proven allowed" in result.output


def test_gen_bootstrap_without_principal_is_a_clear_error(reference_env: Path) -> None:
    result = runner.invoke(app, ["bootstrap", str(reference_env)])
    assert result.exit_code == 2
    assert "terraform_principal is not set" in result.output
    assert "Traceback" not in result.output
    assert not (reference_env / "bootstrap").exists()


def test_gen_bootstrap_rejects_a_bad_ou() -> None:
    result = runner.invoke(app, ["bootstrap", str(ORG), "--ou", "engineering"])
    assert result.exit_code == 2
    assert "OU ID" in result.output


def test_gen_bootstrap_writes_nothing_when_a_proof_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.bootstrap.permissions import statements as real

    def without_iam(calls: Any) -> list[dict[str, Any]]:
        return [s for s in real(calls) if not str(s["Sid"]).startswith("Iam")]

    monkeypatch.setattr("generator.bootstrap.template.statements", without_iam)
    out = tmp_path / "boot"
    result = runner.invoke(app, ["bootstrap", str(ORG), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "FAILED iam:" in result.output and "nothing written" in result.output
    assert not out.exists()
