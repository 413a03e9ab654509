"""`gen ci`: the GitHub Actions workflow, validated against SchemaStore's published workflow
schema (https://json.schemastore.org/github-workflow.json, as vendored by the
check-jsonschema package), and its behaviour: plan on pull requests, apply on main, OIDC;
with layout: per-account, the phases of apply-order.json as matrix jobs."""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import REPO
from typer.testing import CliRunner

from generator import __version__
from generator.bootstrap.workflow import (
    ACTIONS,
    MATRIX_LIMIT,
    MAX_PARALLEL,
    TERRAFORM_VERSION,
    chunks,
    workflow_yaml,
)
from generator.cli.main import app
from generator.render.pipeline import read_environment

runner = CliRunner()
ORG = REPO / "tests" / "envs" / "organisation_state"


def _schema() -> dict[str, Any]:
    vendored = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads(vendored.joinpath("github-workflows.json").read_text())
    return schema


def _workflow() -> dict[str, Any]:
    env = read_environment(ORG)
    text = workflow_yaml(env, PurePosixPath("tests/envs/organisation_state"), __version__)
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _validator() -> jsonschema.protocols.Validator:
    schema = _schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def test_workflow_is_valid_against_the_published_schema() -> None:
    errors = list(_validator().iter_errors(_workflow()))
    assert not errors, [e.message for e in errors]


def test_the_schema_rejects_a_broken_workflow() -> None:
    workflow = _workflow()
    del workflow["jobs"]["plan"]["runs-on"]
    workflow["jobs"]["apply"]["permissions"]["id-token"] = "sometimes"
    assert len(list(_validator().iter_errors(workflow))) >= 2


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in job["steps"])


def test_plan_on_pull_request_apply_on_main() -> None:
    workflow = _workflow()
    on: dict[Any, Any] = dict(workflow)
    assert {"pull_request", "push"} <= set(on["on"])  # written quoted, so not YAML 1.1's true
    plan, apply = workflow["jobs"]["plan"], workflow["jobs"]["apply"]
    assert "pull_request" in plan["if"] and "refs/heads/main" in apply["if"]
    for command in ("gen render --check", "gen lint", "gen verify", "terraform -chdir="):
        assert command in _runs(plan)
    assert " plan " in _runs(plan) and " apply " not in _runs(plan)
    assert "apply -input=false" in _runs(apply)
    posts = [s for s in plan["steps"] if s.get("uses") == ACTIONS["script"]]
    assert posts and "createComment" in posts[0]["with"]["script"]
    assert plan["permissions"]["pull-requests"] == "write"


def test_oidc_into_terraform_principal_with_pinned_tools() -> None:
    workflow = _workflow()
    for job in workflow["jobs"].values():
        # OIDC needs id-token: write (GitHub's OpenID Connect in AWS guide).
        assert job["permissions"]["id-token"] == "write"
        aws = [s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/")]
        assert aws[0]["with"]["role-to-assume"] == "arn:aws:iam::333333333333:role/gen-ci-terraform"
        assert aws[0]["with"]["aws-region"] == "us-east-1"
        for step in job["steps"]:
            if "uses" in step:  # an exact release (vX.Y.Z) or a full commit SHA
                assert re.search(r"@(v\d+\.\d+\.\d+|[0-9a-f]{40})$", step["uses"]), step
        terraform = [s for s in job["steps"] if "setup-terraform" in str(s.get("uses"))]
        assert terraform[0]["with"]["terraform_version"] == TERRAFORM_VERSION
        assert f'"gen {__version__}"' in _runs(job)
    assert workflow["permissions"] == {"contents": "read"}


def test_gen_ci_writes_into_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    env_dir = repo / "envs" / "prod"
    env_dir.mkdir(parents=True)
    (env_dir / "topology.yaml").write_text((ORG / "topology.yaml").read_text())
    result = runner.invoke(app, ["ci", str(env_dir)])
    assert result.exit_code == 0, result.output
    written = repo / ".github" / "workflows" / "gen-prod.yml"
    workflow = yaml.safe_load(written.read_text())
    assert "envs/prod/**" in json.dumps(workflow)
    assert not list(_validator().iter_errors(workflow))


@pytest.mark.parametrize("args", [["--print"], []])
def test_gen_ci_without_principal_is_a_clear_error(reference_env: Path, args: list[str]) -> None:
    result = runner.invoke(app, ["ci", *args, str(reference_env)])
    assert result.exit_code == 2
    assert "terraform_principal is not set" in result.output
    assert "Traceback" not in result.output


# layout: per-account. Each phase of apply-order.json is a job (a chunk of jobs) whose matrix
# lists the phase's roots. "A matrix will generate a maximum of 256 jobs per workflow run"
# (https://docs.github.com/en/actions/reference/limits, Job matrix); `needs:` makes a job wait
# for every job it names
# (https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#jobsjob_idneeds).


def _per_account_repo(root: Path, topology: str) -> Path:
    """A repository (root/.git) with the environment envs/<name>, rendered."""
    (root / ".git").mkdir(parents=True)
    env_dir = root / "envs" / "prod"
    env_dir.mkdir(parents=True)
    (env_dir / "topology.yaml").write_text(topology)
    result = runner.invoke(app, ["render", "-q", str(env_dir)])
    assert result.exit_code == 0, result.output
    return env_dir


def _gen_ci(env_dir: Path) -> dict[str, Any]:
    result = runner.invoke(app, ["ci", "--print", str(env_dir)])
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = yaml.safe_load(result.output)
    return loaded


def _order(env_dir: Path) -> list[tuple[str, list[str]]]:
    order = json.loads((env_dir / "apply-order.json").read_text())
    return [(p["phase"], p["roots"]) for p in order["phases"]]


@pytest.fixture(scope="module")
def per_account_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    topology = (ORG / "topology.yaml").read_text() + "layout: per-account\n"
    return _per_account_repo(tmp_path_factory.mktemp("per-account") / "repo", topology)


def _phase_jobs(workflow: dict[str, Any], action: str) -> list[tuple[str, dict[str, Any]]]:
    return [(k, v) for k, v in workflow["jobs"].items() if k.startswith(f"{action}-")]


def test_per_account_phases_are_matrix_jobs_in_order(per_account_env: Path) -> None:
    workflow = _gen_ci(per_account_env)
    errors = list(_validator().iter_errors(workflow))
    assert not errors, [e.message for e in errors]
    order = _order(per_account_env)
    assert [p for p, _ in order] == ["identities", "resource-policies", "serving"]
    check = workflow["jobs"]["check"]
    for command in ("gen render --check envs/prod", "gen lint", "gen verify", "gen ci --print"):
        assert command in _runs(check)
    for action, condition in (("plan", "pull_request"), ("apply", "refs/heads/main")):
        jobs = _phase_jobs(workflow, action)
        assert [k for k, _ in jobs] == [f"{action}-{phase}" for phase, _ in order]
        needs = ["check"]
        for (job_id, job), (_, roots) in zip(jobs, order, strict=True):
            assert job["needs"] == needs and condition in job["if"]
            assert job["strategy"]["matrix"] == {"root": roots}  # exactly apply-order.json's
            assert job["strategy"]["max-parallel"] >= 1
            assert job["env"]["ROOT_DIR"] == "envs/prod/${{ matrix.root }}"
            verbs = _runs(job)
            assert " init " in verbs and (f" {action} " in verbs)
            assert (" apply " in verbs) == (action == "apply")
            assert ("environment" in job) == (action == "apply")
            needs = [job_id]


def test_per_account_oidc_and_pinned_tools(per_account_env: Path) -> None:
    workflow = _gen_ci(per_account_env)
    single = _workflow()["jobs"]["plan"]["steps"]
    single_aws = next(s for s in single if str(s.get("uses", "")).startswith("aws-actions/"))
    for job_id, job in workflow["jobs"].items():
        for step in job["steps"]:
            if "uses" in step:
                assert step["uses"] in ACTIONS.values(), step
        if job_id == "check":  # gen's checks only: no AWS credentials
            assert job["permissions"] == {"contents": "read"}
            assert f'"gen {__version__}"' in _runs(job)
            continue
        assert job["permissions"]["id-token"] == "write"
        aws = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/"))
        assert aws["uses"] == single_aws["uses"]
        assert aws["with"]["role-to-assume"] == single_aws["with"]["role-to-assume"]
        assert aws["with"]["aws-region"] == single_aws["with"]["aws-region"]
        terraform = next(s for s in job["steps"] if "setup-terraform" in str(s.get("uses")))
        assert terraform["with"]["terraform_version"] == TERRAFORM_VERSION


def test_a_phase_over_256_roots_is_chunked(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(REPO / "scripts"))
    from scale_topology import scale_topology

    topology = scale_topology(300, layout="per-account", organization=True)
    topology += "terraform_principal: arn:aws:iam::100000000003:role/gen-ci\n"
    env_dir = _per_account_repo(tmp_path / "repo", topology)
    workflow = _gen_ci(env_dir)
    assert not list(_validator().iter_errors(workflow))
    order = _order(env_dir)
    assert max(len(roots) for _, roots in order) > MATRIX_LIMIT
    for action in ("plan", "apply"):
        jobs = _phase_jobs(workflow, action)
        needs = ["check"]
        for phase, roots in order:
            chunk = [(k, j) for k, j in jobs if re.fullmatch(f"{action}-{phase}(-\\d+)?", k)]
            listed = [r for _, j in chunk for r in j["strategy"]["matrix"]["root"]]
            assert listed == roots
            assert len(chunk) == -(-len(roots) // MATRIX_LIMIT)
            for _, job in chunk:
                assert len(job["strategy"]["matrix"]["root"]) <= MATRIX_LIMIT
                assert job["needs"] == needs
            assert sum(j["strategy"]["max-parallel"] for _, j in chunk) <= MAX_PARALLEL
            needs = [k for k, _ in chunk]


def test_chunks_are_even_and_within_the_limit() -> None:
    roots = [f"serving/a{i}" for i in range(513)]
    assert [len(c) for c in chunks(roots[:256])] == [256]
    assert [len(c) for c in chunks(roots[:257])] == [129, 128]
    assert [len(c) for c in chunks(roots)] == [171, 171, 171]
    assert [r for c in chunks(roots) for r in c] == roots


def test_check_step_fails_when_the_matrices_are_stale(per_account_env: Path) -> None:
    """The check job's own script, run by bash as GitHub does (bash -e -o pipefail)."""
    repo = per_account_env.parents[1]
    workflow_file = repo / ".github" / "workflows" / "gen-prod.yml"
    assert runner.invoke(app, ["ci", str(per_account_env)]).exit_code == 0
    (repo / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
    step = next(
        s
        for s in yaml.safe_load(workflow_file.read_text())["jobs"]["check"]["steps"]
        if "gen ci --print" in str(s.get("run"))
    )
    environ = {
        **os.environ,
        "GITHUB_REPOSITORY": "my-org/my-repo",
        "GITHUB_WORKFLOW_REF": "my-org/my-repo/.github/workflows/gen-prod.yml@refs/pull/7/merge",
    }

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
            cwd=repo,
            env=environ,
            capture_output=True,
            text=True,
            check=False,
        )

    assert run().returncode == 0
    text = workflow_file.read_text()
    workflow_file.write_text(text.replace("        - serving/qa\n", "", 1))
    stale = run()
    assert stale.returncode == 1
    assert "::error file=.github/workflows/gen-prod.yml::" in stale.stdout
    workflow_file.write_text(text)


def test_per_account_needs_a_render_and_a_sound_apply_order(tmp_path: Path) -> None:
    env_dir = tmp_path / "repo" / "envs" / "prod"
    env_dir.mkdir(parents=True)
    topology = (ORG / "topology.yaml").read_text() + "layout: per-account\n"
    (env_dir / "topology.yaml").write_text(topology)
    result = runner.invoke(app, ["ci", "--print", str(env_dir)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "apply-order.json: not found" in result.output and "gen render" in result.output
    assert runner.invoke(app, ["render", "-q", str(env_dir)]).exit_code == 0
    order = env_dir / "apply-order.json"
    good = json.loads(order.read_text())
    for phase, root in (("identities", "../../etc"), ("bad phase", "identities/qa")):
        broken = json.loads(json.dumps(good))
        broken["phases"][0] |= {"phase": phase, "roots": [root]}
        order.write_text(json.dumps(broken))
        result = runner.invoke(app, ["ci", "--print", str(env_dir)])
        assert result.exit_code != 0, result.output
        assert "apply-order.json" in result.output and "Traceback" not in result.output
    order.write_text("{not json")
    result = runner.invoke(app, ["ci", "--print", str(env_dir)])
    assert result.exit_code != 0 and "Traceback" not in result.output
