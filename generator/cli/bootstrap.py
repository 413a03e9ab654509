"""`gen bootstrap ENV_DIR`: what must exist before the first apply, as a CloudFormation
template for a service-managed StackSet, proven with gen's IAM evaluator."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from generator.cli.errors import console, reports_errors
from generator.cli.types import EnvDir

TEMPLATE_FILE = "stackset.cfn.json"
PRINCIPAL_POLICY_FILE = "terraform-principal-policy.json"


@reports_errors
def bootstrap_command(
    env_dir: EnvDir,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Directory to write the template into (default: ENV_DIR/bootstrap).",
            file_okay=False,
        ),
    ] = None,
    ou: Annotated[
        list[str] | None,
        typer.Option(
            "--ou",
            help="Organizational unit ID (ou-...) the StackSet targets (repeatable); every "
            "account of the topology must be in one of them.",
        ),
    ] = None,
    delegated_admin: Annotated[
        bool,
        typer.Option(
            "--delegated-admin",
            help="The commands run as a delegated StackSets administrator (--call-as "
            "DELEGATED_ADMIN), not from the organisation's management account.",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
) -> None:
    """Write terraform_role for every account (trusting terraform_principal, allowed exactly
    what gen manages there) and the Terraform state bucket, as one CloudFormation template for
    a service-managed StackSet; prove its policies; print the commands that deploy it.

    Exit code 0: written and proven; 1: a proof failed (nothing written); 2: invalid input.
    """
    import re

    from generator.bootstrap.proof import BootstrapProofError, prove
    from generator.bootstrap.template import (
        build_bootstrap,
        deploy_commands,
        principal_policy_json,
        template_json,
    )
    from generator.render.pipeline import modules_source_for, read_environment

    for ou_id in ou or []:
        if not re.fullmatch(r"(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})", ou_id):
            raise typer.BadParameter(
                f"{ou_id!r}: expected an OU ID (ou-xxxx-xxxxxxxx) or a root ID (r-xxxx)",
                param_hint="--ou",
            )
    env = read_environment(env_dir)
    boot = build_bootstrap(env, modules_source_for(env_dir))
    report = prove(boot)
    out = console()
    if not report.ok:
        for proof in report.failed:
            out.print(f"FAILED {proof}", markup=False, highlight=False)

        raise BootstrapProofError(
            f"{len(report.failed)} of {len(report.proofs)} proofs failed; nothing written"
        )
    directory = output or env_dir / "bootstrap"
    directory.mkdir(parents=True, exist_ok=True)
    template_path = directory / TEMPLATE_FILE
    template_path.write_text(template_json(boot), encoding="utf-8")
    (directory / PRINCIPAL_POLICY_FILE).write_text(principal_policy_json(env), encoding="utf-8")
    if quiet:
        return
    shown = template_path
    if template_path.is_absolute() and not os.path.relpath(template_path).startswith(".."):
        shown = Path(os.path.relpath(template_path))
    out.print(f"wrote {shown}", markup=False, highlight=False)
    out.print(f"wrote {directory / PRINCIPAL_POLICY_FILE}", markup=False, highlight=False)
    for account in env.account_ids():
        allowed, denied = report.counts(account)
        names = " and ".join(env.account_names(account))
        n = len(boot.policies[account])
        out.print(
            f"  {names} ({account}): {n} managed polic{'y' if n == 1 else 'ies'}; "
            f"{allowed} Terraform calls proven allowed, {denied} writes outside proven denied",
            markup=False,
            highlight=False,
        )
    out.print(
        "\nAssumed, not proven: no SCP, RCP or permissions boundary denies these; an existing "
        "key (training.kms_key.arn) keeps the default key policy that delegates to IAM.\n"
        "\nDeploy it from the organisation's management account or a delegated StackSets "
        "administrator:",
        markup=False,
        highlight=False,
    )
    if not ou:
        out.print(
            "(ou-EXAMPLE-OUID stands for the OUs that hold the topology's accounts: pass --ou)",
            markup=False,
            highlight=False,
        )
    for command in deploy_commands(
        boot, shown.as_posix(), ou or ["ou-EXAMPLE-OUID"], delegated_admin
    ):
        out.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)
    out.print(
        f"\nterraform_principal ({env.topology.terraform_principal}) needs "
        f"{directory / PRINCIPAL_POLICY_FILE} in its own identity policy.\n"
        "A service-managed StackSet never deploys to the management account itself: if the "
        "topology names it, create a plain stack there from the same template.",
        markup=False,
        highlight=False,
    )
