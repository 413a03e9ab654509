"""`gen explain`: the access matrix as a table, JSON, and a mermaid diagram that mermaid's own
parser (from npm, tools/mermaid) accepts."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import typer
from conftest import GOLDEN_DIRS, REPO
from typer.testing import CliRunner

from generator.access.paths import Identity, Side, access_paths
from generator.cli.main import app as gen_app
from generator.proofs import diagrams, directory, explain
from generator.render.pipeline import read_environment

IDS = [str(d.relative_to(REPO)) for d in GOLDEN_DIRS]
REFERENCE = REPO / "envs" / "reference"
MERMAID_DIR = REPO / "tools" / "mermaid"


def _app() -> typer.Typer:
    return gen_app


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_lists_every_path_with_both_policies() -> None:
    code, out, _ = run("explain", "--format", "json", str(REFERENCE))
    assert code == 0
    data = json.loads(out)
    env = read_environment(REFERENCE)
    paths = access_paths(env)
    assert len(data["paths"]) == len(paths)
    assert data["accounts"]["111111111111"] == ["shared-services"]
    by_sid = {(p["sid"], p["principal"]["arn"]): p for p in data["paths"]}
    stage = by_sid[("StageReadsArtifacts", "arn:aws:iam::555555555555:role/SageMakerExecution")]
    assert stage["cross_account"] is True
    assert stage["why"].startswith("SageMaker loads model artifacts for the prod models")
    assert stage["identity"]["address"] == "module.role_prod_execution.aws_iam_role_policy.this"
    assert stage["identity"]["file"].startswith("envs/reference/main.tf:")
    assert stage["identity"]["statements"] == ["StageReadsArtifacts"]
    assert stage["resource_side"]["address"] == "module.artifact_bucket.aws_s3_bucket_policy.this"
    assert stage["resource_side"]["statements"] == ["StageReadsArtifacts"]
    registry = by_sid[("RegistryDecryptsArtifacts", "arn:aws:iam::111111111111:root")]
    assert registry["identity"]["verdict"] == "outside-gen"
    assert "delegated to account shared-services" in registry["identity"]["note"]
    assert registry["resource_side"]["name"] == "KMS grant"
    assert registry["resource_side"]["address"].startswith(
        'module.kms_training_output.aws_kms_grant.this["RegistryDecryptsArtifacts-'
    )
    listing = by_sid[
        ("TrainingListsArtifacts", "arn:aws:iam::222222222222:role/SageMakerTrainingExecution")
    ]
    assert listing["conditions"] == [
        {"operator": "StringLike", "key": "s3:prefix", "values": ["models/*"]}
    ]
    for row in data["paths"]:
        if row["side"] not in ("none", "portfolio_association"):
            assert row["resource_side"]["verdict"] == "allows", row
        if row["identity_owner"] == "rendered":
            assert row["identity"]["verdict"] == "allows", row


def test_table_shows_principals_reasons_and_policies() -> None:
    code, out, _ = run("explain", "--wide", str(REFERENCE))
    assert code == 0
    n = len(access_paths(read_environment(REFERENCE)))
    assert f"environment prod: {n} access paths" in out
    for header in ("principal", "actions", "resource", "why", "identity side", "resource side"):
        assert f" {header} " in out, header
    for word in ("SageMakerExecution", "ModelDeployPipeline", "shared-services", "delegated"):
        assert word in out, word


@pytest.mark.parametrize("env_dir", GOLDEN_DIRS, ids=IDS)
def test_detail_diagrams_have_one_box_per_account_and_one_arrow_per_path(env_dir: Path) -> None:
    env, report = directory.explain_report(env_dir)
    entries = explain.entries(report)
    groups = diagrams.groups(env, entries)
    covered = {id(e) for _, _, group in groups for e in group}
    assert covered == {id(e) for e in entries}, "every path is in a detail diagram"
    for name, _, group in groups:
        text = diagrams.detail(env, group)
        assert text.startswith("flowchart TB\n")
        boxes = re.findall(r'^  subgraph a\d+\["(.+?) \((\d{12})\)"\]$', text, re.M)
        used = {e.path.principal.account_id for e in group} | {
            e.path.resource_account for e in group
        }
        assert sorted(a for _, a in boxes) == sorted(used - {""}), name
        assert len(boxes) == len({a for _, a in boxes}), "one box per distinct account ID"
        arrows = re.findall(r"^  n\d+ (-->|==>|-\.->)\|\"[^\"]*\"\| n\d+$", text, re.M)
        assert len(arrows) == len(group), name
        thick = sum(
            1
            for e in group
            if e.path.cross_account
            and e.path.principal.kind != "service"
            and e.path.identity not in (Identity.DELEGATED, Identity.EXISTING)
        )
        assert arrows.count("==>") == thick
        dotted = sum(1 for e in group if e.path.identity in (Identity.DELEGATED, Identity.EXISTING))
        assert arrows.count("-.->") == dotted
        # The legend is in the diagram itself: every node shape and arrow kind.
        assert '  subgraph key["Legend"]' in text
        for shape in ("k1(", "k2[(", "k3[[", "k4[", "k5(["):
            assert f"    {shape}" in text
        # A trust path points at the role's own node, not at a copy of it.
        trusted = [e.path for e in group if e.path.side is Side.TRUST_POLICY]
        assert len(re.findall(r'n\d+\("[^"]*"\):::role', text)) == len(
            {e.path.principal.arn for e in group if e.path.principal.kind == "role"}
            | {p.resources[0] for p in trusted}
        )


@pytest.mark.parametrize("env_dir", GOLDEN_DIRS, ids=IDS)
def test_overview_has_one_node_per_account_and_one_edge_per_pair(env_dir: Path) -> None:
    env, report = directory.explain_report(env_dir)
    text = explain.mermaid(env, report)  # the default diagram
    assert "\nflowchart LR\n" in text
    nodes = re.findall(r'^  (a\d+)\["<b>([^<]+)</b><br>(\d{12})', text, re.M)
    assert sorted(a for _, _, a in nodes) == sorted(env.account_ids())
    edges = re.findall(r"^  (a\d+) (==>|<==>)\|\"([^\"]+)\"\| (a\d+)$", text, re.M)
    pairs = [frozenset((a, b)) for a, _, _, b in edges]
    assert len(pairs) == len(set(pairs)), "one edge per pair of accounts"
    crossing = {
        frozenset((p.path.principal.account_id, p.path.resource_account))
        for p in report.paths
        if p.path.cross_account and p.path.principal.kind != "service"
    }
    ident = {account: node for node, _, account in nodes}
    assert set(pairs) == {frozenset(ident[a] for a in pair) for pair in crossing}
    assert '  key["<b>How to read this</b><br>' in text


def test_overview_labels_say_what_flows() -> None:
    env, report = directory.explain_report(REFERENCE)
    text = explain.mermaid(env, report)
    # qa (a4) reads artifacts and creates models in shared-services (a2).
    assert '  a4 ==>|"creates models from versions<br>reads artifacts"| a2' in text
    assert "data-science: registers versions, reads and writes artifacts" in text
    assert "<b>shared-services</b><br>111111111111<br>model registry · artifact bucket" in text


def test_diagram_option_picks_one(tmp_path: Path) -> None:
    code, out, _ = run("explain", "-f", "mermaid", "--diagram", "qa", str(REFERENCE))
    assert code == 0
    assert '"qa execution role SageMakerExecution"' in out
    assert "prod execution role" not in out
    code, out, err = run("explain", "-f", "mermaid", "--diagram", "nope", str(REFERENCE))
    assert code == 2
    assert "no diagram 'nope'; choose from overview, platform, qa, prod" in err


def test_mermaid_labels_are_escaped() -> None:
    assert explain._label('a "quoted" & <b>') == '"a #quot;quoted#quot; #amp; <b>"'


def _mermaid_check(*files: Path) -> subprocess.CompletedProcess[str]:
    if not (MERMAID_DIR / "node_modules" / "mermaid").is_dir():
        if os.environ.get("CI"):
            pytest.fail(
                "tools/mermaid/node_modules is missing: run `npm ci --prefix tools/mermaid`"
            )
        pytest.skip("mermaid from npm is not installed (npm ci --prefix tools/mermaid)")
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH")
    return subprocess.run(
        [node, str(MERMAID_DIR / "check.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_mermaid_output_parses_with_mermaid_itself(tmp_path: Path) -> None:
    files = []
    for env_dir in GOLDEN_DIRS:
        env, report = directory.explain_report(env_dir)
        for d in diagrams.diagrams(env, explain.entries(report)):
            path = tmp_path / f"{env_dir.name}-{d.name}.mmd"
            path.write_text(d.text)
            files.append(path)
    result = _mermaid_check(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok ") == len(files) > 2 * len(GOLDEN_DIRS)
    assert "flowchart" in result.stdout


def test_mermaid_check_rejects_a_broken_diagram(tmp_path: Path) -> None:
    """The check is not vacuous: mermaid's parser fails on a dangling arrow."""
    broken = tmp_path / "broken.mmd"
    broken.write_text("flowchart TB\n  a -->\n")
    result = _mermaid_check(broken)
    assert result.returncode == 1
    assert "error" in result.stdout


def test_access_md_page(tmp_path: Path) -> None:
    target = tmp_path / "ACCESS.md"
    code, out, err = run("explain", "--format", "mermaid", "--output", str(target), str(REFERENCE))
    assert code == 0, err
    assert out == ""
    page = target.read_text()
    assert page.startswith("# Access: environment `prod`\n")
    assert page.count("```mermaid\n") == 4  # overview, platform, qa, prod
    assert "| principal | actions | resource | why | identity side | resource side |" in page
    assert page.count("\n| ") - 1 == len(access_paths(read_environment(REFERENCE)))
    result = _mermaid_check(target)
    assert result.returncode == 0, result.stdout
    # Same input, same bytes.
    code, _, _ = run("explain", "--format", "mermaid", "--output", str(target), str(REFERENCE))
    assert target.read_text() == page


def test_plain_mermaid_to_stdout_and_file(tmp_path: Path) -> None:
    code, out, _ = run("explain", "-f", "mermaid", str(REFERENCE))
    assert code == 0 and out.startswith("---\nconfig:\n") and "\nflowchart LR\n" in out
    target = tmp_path / "access.mmd"
    code, _, _ = run("explain", "-f", "mermaid", "-o", str(target), str(REFERENCE))
    # A file gen writes carries its header: gen replaces only files that still have it.
    header = "%% Generated by `gen explain`: do not edit by hand.\n"
    assert code == 0 and target.read_text() == header + out


def test_explain_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    code, out, err = run("explain", str(tmp_path))
    assert code == 2 and "no topology.yaml" in err and "Traceback" not in out + err
    code, out, err = run(
        "explain", "-f", "mermaid", "-o", str(tmp_path / "no" / "x.md"), str(REFERENCE)
    )
    assert code == 2 and "x.md:1:1: (file): cannot write" in err and err.count("\n") == 2
    code, _, err = run("explain", "--format", "svg", str(REFERENCE))
    assert code == 2 and "svg" in err
