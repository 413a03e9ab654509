"""The CI workflow of one environment: GitHub Actions, pure (environment in, YAML text out).

On a pull request: `gen render --check`, `gen lint`, then (as terraform_principal, by
GitHub's OIDC) `gen verify` and `terraform plan`, and the plan posted as a comment. On a
push to the default branch: the same checks, then `terraform apply`. Everything is pinned:
each action by its exact release, Terraform by version, gen by the checkout (its version is
checked), Python by minor version and gen's dependencies by `make install`.
https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import yaml

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


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # no &anchors: the workflow reads as written


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def workflow_yaml(env: Environment, env_dir: PurePosixPath, gen_version: str) -> str:
    header = (
        f"# Generated by `gen ci {env_dir.as_posix()}` (gen {gen_version}): plan on pull "
        "requests, apply on main.\n"
        f"# It assumes terraform_principal ({env.topology.terraform_principal}) by GitHub "
        "OIDC: see README, Deploy to your organisation.\n"
    )
    body = yaml.dump(
        workflow(env, env_dir, gen_version),
        Dumper=_Dumper,
        sort_keys=False,
        width=100,
        allow_unicode=True,
    )
    return header + body
