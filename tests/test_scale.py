"""Scale: organisation admission (aws:PrincipalOrgPaths), the per-account layout, and every
policy overflow reported at once.

AWS facts these tests rely on:
- aws:PrincipalOrgPaths is the path o-<org>/r-<root>/ou-.../ of the requesting principal's
  account, a multivalued key compared with ForAnyValue:StringLike
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths);
  aws:PrincipalArn is the role's ARN for a role session (same page, #condition-keys-principalarn).
- A resource policy statement with Principal "*" applies to any principal its conditions
  admit (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from conftest import GOLDEN_DIRS, REPO
from typer.testing import CliRunner

from generator.access import policies
from generator.checks.catalog import Check
from generator.checks.lint import lint
from generator.cli.main import app
from generator.iam.evaluator import Request, authorize
from generator.proofs.directory import verify_directory
from generator.render.files import render
from generator.render.pipeline import modules_source_for, read_environment

sys.path.insert(0, str(REPO / "scripts"))
from scale_topology import scale_topology

runner = CliRunner()
ORG = "o-abcdefghij"
OU = f"{ORG}/r-ab12/ou-ab12-11111111/"
ORG_SECTION = f"organization:\n  id: {ORG}\n  workload_ou_paths: [{OU}]\n"


def _env(tmp_path: Path, text: str) -> Path:
    env_dir = tmp_path / "env"
    env_dir.mkdir(parents=True, exist_ok=True)
    (env_dir / "topology.yaml").write_text(text)
    return env_dir


def _reference_with(extra: str) -> str:
    return (REPO / "envs" / "reference" / "topology.yaml").read_text() + extra


def _bucket_statement(env_dir: Path) -> dict[str, object]:
    """The stage statement of the bucket policy as gen renders it."""
    env = read_environment(env_dir)
    rendered = render(env, modules_source_for(env_dir))
    policy = policies.bucket_policy(rendered.root.paths, env.bucket_name)
    return next(st for st in policy["Statement"] if st["Sid"] == "StageReadsArtifacts")


def test_org_paths_admit_stage_roles_by_ou_and_role_name(tmp_path: Path) -> None:
    env_dir = _env(tmp_path, _reference_with(ORG_SECTION))
    st = _bucket_statement(env_dir)
    assert st["Principal"] == "*"
    assert st["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SageMakerExecution"},
        "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{OU}*"},
    }
    # The evaluator decides the statement from the request context: inside the OU with the
    # role name, allowed; outside the OU, another name, another organisation, no org: not.
    policy = {"Version": "2012-10-17", "Statement": [st]}
    obj = "arn:aws:s3:::mlops-shared-artifacts-111111111111/models/a/model.tar.gz"

    def decide(role: str, paths: tuple[str, ...] | None) -> bool:
        ctx: dict[str, tuple[str, ...]] = {"aws:PrincipalArn": (role,)}
        if paths is not None:
            ctx["aws:PrincipalOrgPaths"] = paths
        request = Request(role, "s3:GetObject", obj, role.split(":")[4], ctx)
        allow_all = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
        return authorize(
            request,
            resource_account="111111111111",
            identity_policies=[allow_all],
            resource_policy=policy,
        ).allowed

    role = "arn:aws:iam::123456789012:role/SageMakerExecution"
    assert decide(role, (f"{OU}ou-ab12-22222222/",))  # a child OU of the workload OU
    assert not decide(role, (f"{ORG}/r-ab12/ou-ab12-33333333/",))
    assert not decide("arn:aws:iam::123456789012:role/Other", (OU,))
    assert not decide(role, ("o-zzzzzzzzzz/r-zz99/ou-zz99-11111111/",))
    assert not decide(role, None)


def test_verify_proves_org_admission_both_ways_and_states_it(tmp_path: Path) -> None:
    env_dir = _env(tmp_path, _reference_with(ORG_SECTION))
    assert runner.invoke(app, ["render", "-q", str(env_dir)]).exit_code == 0
    _, report = verify_directory(env_dir)
    assert report.ok, report.failures
    org = [n for n in report.negatives if n.category == "org-admission"]
    titles = " ".join(n.title for n in org)
    assert "outside the workload OUs" in titles
    assert "another organisation" in titles
    assert "not named SageMakerExecution" in titles
    assert len(org) == 12  # 3 cases x (bucket, key, repository, group)
    notes = " ".join(report.notes)
    assert f"any role named SageMakerExecution in any account under {OU}" in notes
    assert "is admitted" in notes
    explain = runner.invoke(app, ["explain", "--format", "json", str(env_dir)])
    rows = json.loads(explain.output)["paths"]
    assert any(
        r.get("resource_side_admits", "").startswith("any role named SageMakerExecution")
        for r in rows
    )


def test_verify_fails_when_org_condition_is_dropped(tmp_path: Path) -> None:
    env_dir = _env(tmp_path, _reference_with(ORG_SECTION))
    assert runner.invoke(app, ["render", "-q", str(env_dir)]).exit_code == 0
    main = env_dir / "main.tf"
    text = main.read_text()
    assert '"ForAnyValue:StringLike" = {' in text
    # Drop the OU condition from every statement: any SageMakerExecution role may read.
    main.write_text(
        text.replace(f'"aws:PrincipalOrgPaths" = "{OU}*"', '"aws:PrincipalOrgPaths" = "*"')
    )
    _, report = verify_directory(env_dir)
    assert not report.ok
    assert any("org-admission" in f for f in report.failures)


def test_every_overflow_is_reported_at_once(tmp_path: Path) -> None:
    env_dir = _env(tmp_path, scale_topology(700))
    result = runner.invoke(app, ["render", str(env_dir)])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    for policy in ("key policy", "bucket policy", "repository policy of inference", "group churn"):
        assert policy in out, out
    assert "organization.workload_ou_paths" in out
    assert not (env_dir / "main.tf").exists()
    # The same topology with an organisation renders, every policy far within its limit.
    env_dir = _env(tmp_path / "org", scale_topology(300, organization=True))
    rendered = render(read_environment(env_dir), modules_source_for(env_dir))
    assert all(size < limit / 4 for size, limit, _ in rendered.root.sizes.values())


def test_org_path_outside_the_organisation_is_a_located_error(tmp_path: Path) -> None:
    other = "o-zzzzzzzzzz/r-ab12/ou-ab12-11111111/"
    bad = f"organization:\n  id: o-abcdefghij\n  workload_ou_paths: [{other}]\n"
    env_dir = _env(tmp_path, _reference_with(bad))
    result = runner.invoke(app, ["render", str(env_dir)])
    assert result.exit_code == 2
    assert "organization.workload_ou_paths[0]" in result.output
    assert "not in organization.id" in " ".join(result.output.split())


@pytest.mark.parametrize("env_dir", GOLDEN_DIRS, ids=lambda p: p.name)
def test_golden_per_account_layout_verifies(env_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / env_dir.name
    target.mkdir()
    for name in ("topology.yaml", "topology.lock.json"):
        if (env_dir / name).is_file():
            shutil.copy(env_dir / name, target / name)
    with (target / "topology.yaml").open("a") as handle:
        handle.write("\nlayout: per-account\n")
    assert runner.invoke(app, ["render", "-q", str(target)]).exit_code == 0
    order = json.loads((target / "apply-order.json").read_text())
    assert order["phases"][0]["phase"] == "identities"
    for phase in order["phases"]:
        for root in phase["roots"]:
            text = "".join(f.read_text() for f in (target / root).glob("*.tf"))
            providers = (target / root / "providers.tf").read_text()
            # exactly one aws provider, no alias, no reading of another root's state
            assert text.count('provider "aws"') == 1 and "alias " not in providers
            assert "terraform_remote_state" not in text and "= aws." not in text
    assert runner.invoke(app, ["render", "--check", "-q", str(target)]).exit_code == 0
    _, report = verify_directory(target)
    assert report.ok, report.failures


def test_golden_per_account_layouts_lint_clean(tmp_path: Path) -> None:
    dirs = []
    for env_dir in GOLDEN_DIRS:
        target = tmp_path / env_dir.name
        target.mkdir()
        for name in ("topology.yaml", "topology.lock.json"):
            if (env_dir / name).is_file():
                shutil.copy(env_dir / name, target / name)
        with (target / "topology.yaml").open("a") as handle:
            handle.write("\nlayout: per-account\n")
        assert runner.invoke(app, ["render", "-q", str(target)]).exit_code == 0
        dirs.append(target)
    report = lint(dirs, skip=[Check.CHECKOV])
    assert report.exit_code == 0, [str(f) for f in report.findings]
    # every root of every environment was read (parse, fmt, schema, references ran on them)
    assert report.outcome(Check.PARSE).status.value == "passed"
    assert report.outcome(Check.RENDER).status.value == "passed"
