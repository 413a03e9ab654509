"""Proofs of an environment directory: the model, and the policies read back from its files.

`explain_report` proves the model against the root as `gen render` would write it (in memory);
`verify_directory` against the files on disk, noting where they are stale.
"""

from __future__ import annotations

from pathlib import Path

from generator.access.paths import access_paths
from generator.proofs.hcl_reader import display_path, read_directory, read_hcl
from generator.proofs.verify import VerifyReport, verify_documents
from generator.render.pipeline import modules_source_for, read_environment, render_located
from generator.topology.environment import Environment


def explain_report(env_dir: Path) -> tuple[Environment, VerifyReport]:
    """The model and its proofs against the root as `gen render` renders it (in memory)."""
    env = read_environment(env_dir)
    rendered = render_located(env, modules_source_for(env_dir), env_dir)
    shown = display_path(env_dir)
    files = {
        f"{shown}/{name}": text for name, text in rendered.files.items() if name.endswith(".tf")
    }
    hcl = read_hcl(files, training_key_alias=env.topology.training.kms_key.alias)
    report = verify_documents(
        env, rendered.root.paths, hcl.documents, associations=hcl.associations
    )
    return env, report


def verify_directory(env_dir: Path) -> tuple[Environment, VerifyReport]:
    """The model and its proofs against the rendered files on disk."""
    env = read_environment(env_dir)
    hcl = read_directory(env_dir, training_key_alias=env.topology.training.kms_key.alias)
    report = verify_documents(env, access_paths(env), hcl.documents, associations=hcl.associations)
    rendered = render_located(env, modules_source_for(env_dir), env_dir)
    stale = []
    for name, text in sorted(rendered.files.items()):
        path = env_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8", errors="replace") != text:
            stale.append(name)
    if stale:
        report.notes.append(
            f"{', '.join(stale)} differ from what topology.yaml renders (`gen render --check "
            f"{display_path(env_dir)}`): verified the files on disk"
        )
    return env, report
