"""The CI workflow of one environment: GitHub Actions, pure (environment in, YAML text out).

On a pull request: `gen render --check`, `gen lint`, then (as terraform_principal, by
GitHub's OIDC) `gen verify` and `terraform plan`, and the plan posted as a comment. On a
push to the default branch: the same checks, then `terraform apply`. Everything is pinned:
each action by its exact release, Terraform by version, gen by the checkout (its version is
checked), Python by minor version and gen's dependencies by `make install`.
https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services

With `layout: per-account` (`per_account_workflow`) one `check` job runs the gen steps once,
then every phase of apply-order.json is a job whose matrix lists that phase's roots (plan
jobs on a pull request, apply jobs on main), each phase `needs:` the one before. GitHub
runs at most 256 jobs from one matrix
(https://docs.github.com/en/actions/reference/limits, "Job matrix"), so a phase with more
roots is split into several jobs of equal chunks, all of which the next phase needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

import yaml

from generator.terraform.apply_plan import Phase
from generator.topology.environment import Environment

TERRAFORM_VERSION = "1.11.4"  # >= 1.11: S3-native state locking (use_lockfile)
PYTHON_VERSION = "3.12"
RUNNER = "ubuntu-24.04"
ACTIONS = {
    "checkout": "actions/checkout@v4.2.2",
    "python": "actions/setup-python@v5.6.0",
    "terraform": "hashicorp/setup-terraform@v3.1.2",
    "aws": "aws-actions/configure-aws-credentials@v4.2.1",
    "script": "actions/github-script@v7.0.1",
}
PLAN_COMMENT_LIMIT = 60_000  # a GitHub comment holds 65,536 characters
MATRIX_LIMIT = 256  # jobs one matrix may generate (GitHub Actions limits, "Job matrix")
MAX_PARALLEL = 20  # roots of one phase planned or applied at once (all chunks together)
SUMMARY_LIMIT = 60_000  # characters of one root's plan in its job summary (1 MiB per step)

_POST_PLAN = """\
const fs = require('fs');
const limit = %d;
let plan = fs.readFileSync(process.env.PLAN_FILE, 'utf8');
if (plan.length > limit) {
  plan = plan.slice(0, limit) + '\\n... (truncated: the full plan is in the job log)';
}
const body = [
  '### gen: terraform plan for `' + process.env.ENV_DIR + '`',
  '',
  '<details><summary>plan</summary>',
  '',
  '```',
  plan,
  '```',
  '</details>',
].join('\\n');
await github.rest.issues.createComment({
  owner: context.repo.owner,
  repo: context.repo.repo,
  issue_number: context.issue.number,
  body,
});
"""


def workflow_path(env: Environment) -> str:
    return f".github/workflows/gen-{env.name}.yml"


def _setup(env_dir: str, gen_version: str) -> list[dict[str, Any]]:
    return [
        {"name": "Check out", "uses": ACTIONS["checkout"]},
        {
            "name": "Python",
            "uses": ACTIONS["python"],
            "with": {"python-version": PYTHON_VERSION},
        },
        {
            "name": "Terraform",
            "uses": ACTIONS["terraform"],
            "with": {"terraform_version": TERRAFORM_VERSION, "terraform_wrapper": False},
        },
        {"name": "Install gen (pinned dependencies)", "run": "make install"},
        {
            "name": "gen is the version this workflow was made for",
            "run": f'test "$(.venv/bin/gen version)" = "gen {gen_version}"',
        },
        {
            "name": "gen render --check",
            "run": f".venv/bin/gen render --check {env_dir}",
        },
        {"name": "gen lint", "run": f".venv/bin/gen lint {env_dir}"},
        {"name": "gen verify", "run": f".venv/bin/gen verify {env_dir}"},
    ]


def _credentials(env: Environment, purpose: str) -> dict[str, Any]:
    return {
        "name": "Assume terraform_principal (OIDC)",
        "uses": ACTIONS["aws"],
        "with": {
            "role-to-assume": env.topology.terraform_principal,
            "role-session-name": f"gen-{env.name}-{purpose}",
            "aws-region": env.region,
        },
    }


def workflow(env: Environment, env_dir: PurePosixPath, gen_version: str) -> dict[str, Any]:
    """The workflow as data (what `workflow_yaml` writes)."""
    d = env_dir.as_posix()
    paths = [f"{d}/**", "modules/**", "templates/**", "generator/**", "pyproject.toml"]
    init = f"terraform -chdir={d} init -input=false"
    return {
        "name": f"gen {env.name}",
        "on": {
            "pull_request": {"paths": paths},
            "push": {"branches": ["main"], "paths": paths},
            "workflow_dispatch": {},
        },
        "permissions": {"contents": "read"},
        # One run at a time per environment: a plan never races an apply (the state lock
        # would fail the second).
        "concurrency": {"group": f"gen-{env.name}", "cancel-in-progress": False},
        "env": {"TF_IN_AUTOMATION": "true", "TF_INPUT": "false"},
        "jobs": {
            "plan": {
                "name": "plan",
                "if": "github.event_name == 'pull_request'",
                "runs-on": RUNNER,
                "timeout-minutes": 60,
                "permissions": {
                    "contents": "read",
                    "id-token": "write",
                    "pull-requests": "write",
                },
                "steps": [
                    *_setup(d, gen_version),
                    _credentials(env, "plan"),
                    {"name": "terraform init", "run": init},
                    {
                        "name": "terraform plan",
                        "run": f"terraform -chdir={d} plan -input=false -lock-timeout=5m "
                        "-out=tfplan\n"
                        f"terraform -chdir={d} show -no-color tfplan > plan.txt",
                    },
                    {
                        "name": "Post the plan",
                        "if": "always() && hashFiles('plan.txt') != ''",
                        "uses": ACTIONS["script"],
                        "env": {"PLAN_FILE": "plan.txt", "ENV_DIR": d},
                        "with": {"script": _POST_PLAN % PLAN_COMMENT_LIMIT},
                    },
                ],
            },
            "apply": {
                "name": "apply",
                "if": "github.event_name == 'push' && github.ref == 'refs/heads/main'",
                "runs-on": RUNNER,
                "timeout-minutes": 120,
                # A GitHub environment: add required reviewers there to gate the apply.
                "environment": f"gen-{env.name}",
                "permissions": {"contents": "read", "id-token": "write"},
                "steps": [
                    *_setup(d, gen_version),
                    _credentials(env, "apply"),
                    {"name": "terraform init", "run": init},
                    {
                        "name": "terraform apply",
                        "run": f"terraform -chdir={d} apply -input=false -lock-timeout=5m "
                        "-auto-approve",
                    },
                ],
            },
        },
    }


def chunks(roots: Sequence[str], limit: int = MATRIX_LIMIT) -> list[list[str]]:
    """`roots` in as few equal slices (in order) as keep each within `limit`."""
    count = max(1, -(-len(roots) // limit))
    size = max(1, -(-len(roots) // count))
    return [list(roots[i : i + size]) for i in range(0, len(roots), size)]


_PLAN_SUMMARY = f"""\
{{
  echo "### gen: terraform plan for \\`$ROOT_DIR\\`"
  echo
  echo '```'
  head -c {SUMMARY_LIMIT} plan.txt
  echo
  echo '```'
}} >> "$GITHUB_STEP_SUMMARY"
"""


def _phase_jobs(
    env: Environment,
    d: str,
    phases: Sequence[Phase],
    action: str,
    condition: str,
) -> dict[str, dict[str, Any]]:
    """The `action` (plan | apply) jobs of every phase, chained by `needs:`."""
    jobs: dict[str, dict[str, Any]] = {}
    needs = ["check"]
    for phase in phases:
        slices = chunks(phase.roots)
        ids = [
            f"{action}-{phase.name}" + (f"-{i}" if len(slices) > 1 else "")
            for i in range(1, len(slices) + 1)
        ]
        for i, (job_id, roots) in enumerate(zip(ids, slices, strict=True), start=1):
            part = f" ({i}/{len(slices)})" if len(slices) > 1 else ""
            if action == "plan":
                run = [
                    {
                        "name": "terraform plan",
                        "run": 'terraform -chdir="$ROOT_DIR" plan -input=false '
                        "-lock-timeout=5m -out=tfplan\n"
                        'terraform -chdir="$ROOT_DIR" show -no-color tfplan > plan.txt',
                    },
                    {
                        "name": "The plan in the job summary",
                        "if": "always() && hashFiles('plan.txt') != ''",
                        "run": _PLAN_SUMMARY,
                    },
                ]
            else:
                run = [
                    {
                        "name": "terraform apply",
                        "run": 'terraform -chdir="$ROOT_DIR" apply -input=false '
                        "-lock-timeout=5m -auto-approve",
                    }
                ]
            job: dict[str, Any] = {
                "name": f"{action} {phase.name}{part}",
                "needs": list(needs),
                "if": condition,
                "runs-on": RUNNER,
                "timeout-minutes": 60 if action == "plan" else 120,
            }
            if action == "apply":
                # The GitHub environment: its OIDC subject is the one terraform_principal
                # trusts for applies; add required reviewers there to gate each phase.
                job["environment"] = f"gen-{env.name}"
            job |= {
                "permissions": {"contents": "read", "id-token": "write"},
                "strategy": {
                    # No job of a phase is cancelled mid-apply when another fails; the next
                    # phase does not start.
                    "fail-fast": False,
                    "max-parallel": max(1, MAX_PARALLEL // len(slices)),
                    "matrix": {"root": roots},
                },
                # The root as a variable, never spliced into the script.
                "env": {"ROOT_DIR": f"{d}/${{{{ matrix.root }}}}"},
                "steps": [
                    {"name": "Check out", "uses": ACTIONS["checkout"]},
                    {
                        "name": "Terraform",
                        "uses": ACTIONS["terraform"],
                        "with": {
                            "terraform_version": TERRAFORM_VERSION,
                            "terraform_wrapper": False,
                        },
                    },
                    _credentials(env, action),
                    {
                        "name": "terraform init",
                        "run": 'terraform -chdir="$ROOT_DIR" init -input=false',
                    },
                    *run,
                ],
            }
            jobs[job_id] = job
        needs = ids
    return jobs


_CURRENT = """\
workflow="${GITHUB_WORKFLOW_REF#"$GITHUB_REPOSITORY"/}"
workflow="${workflow%%@*}"
.venv/bin/gen ci --print %s | diff -u "$workflow" - || {
  echo "::error file=$workflow::the matrices are not the roots of apply-order.json: run gen ci %s"
  exit 1
}
"""


def per_account_workflow(
    env: Environment, env_dir: PurePosixPath, gen_version: str, phases: Sequence[Phase]
) -> dict[str, Any]:
    """The workflow of a `layout: per-account` environment: `phases` from its apply-order.json."""
    d = env_dir.as_posix()
    base = workflow(env, env_dir, gen_version)
    check = {
        "name": "check",
        "runs-on": RUNNER,
        "timeout-minutes": 60,
        "permissions": {"contents": "read"},
        "steps": [
            *_setup(d, gen_version),
            {"name": "This workflow lists the roots of apply-order.json", "run": _CURRENT % (d, d)},
        ],
    }
    pull_request = base["jobs"]["plan"]["if"]
    main = base["jobs"]["apply"]["if"]
    return {
        **{k: v for k, v in base.items() if k != "jobs"},
        "jobs": {
            "check": check,
            **_phase_jobs(env, d, phases, "plan", pull_request),
            **_phase_jobs(env, d, phases, "apply", main),
        },
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # no &anchors: the workflow reads as written


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def workflow_yaml(
    env: Environment,
    env_dir: PurePosixPath,
    gen_version: str,
    phases: Sequence[Phase] | None = None,
) -> str:
    """The workflow file; `phases` (apply-order.json of `layout: per-account`) make it the
    per-account workflow."""
    header = (
        f"# Generated by `gen ci {env_dir.as_posix()}` (gen {gen_version}): plan on pull "
        "requests, apply on main.\n"
        f"# It assumes terraform_principal ({env.topology.terraform_principal}) by GitHub "
        "OIDC: see README, Deploy to your organisation.\n"
    )
    if phases is None:
        data = workflow(env, env_dir, gen_version)
    else:
        data = per_account_workflow(env, env_dir, gen_version, phases)
        header += (
            "# layout: per-account. The job `check` runs gen render --check, lint and verify\n"
            "# once, and checks that these matrices are still the roots of apply-order.json.\n"
            "# Then one job per phase of apply-order.json (plan-* on a pull request, apply-* on\n"
            "# main), each `needs:` the phase before it; its matrix lists the phase's roots, a\n"
            "# job per root running terraform init and plan (to the job summary) or apply.\n"
            "# A matrix makes at most 256 jobs, so a phase of more roots is split into jobs\n"
            "# <phase>-1, <phase>-2, ... of equal chunks that run together and share\n"
            f"# max-parallel ({MAX_PARALLEL} roots of a phase at once); the next phase needs\n"
            "# them all.\n"
        )
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        width=100,
        allow_unicode=True,
    )
    return header + body
