"""`gen explain --format mermaid`: diagrams a person can follow at any number of accounts.

- **overview**: one node per account (what it holds), one arrow per pair of accounts that
  call each other, labelled by what flows (artifacts, versions, images, key use);
- **platform**: the training, registry, deployment and JumpStart paths, principal by
  principal and resource by resource;
- one **stage** diagram per stage: the paths of its roles (execution role, credentials
  functions, the Terraform role that creates its models) and the trust of its roles.

Each diagram carries its own legend, so it reads the same wherever it is pasted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from generator.access.paths import AccessPath, Side
from generator.proofs.explain import Entry, _Diagram, _label
from generator.topology import arns
from generator.topology.environment import Environment
from generator.topology.model import Stage

OVERVIEW = "overview"
PLATFORM = "platform"

# Labels wrap at this width (pixels), not at mermaid's narrower default: a legend line or an
# account's contents stay on one line.
_CONFIG = ["---", "config:", "  flowchart:", "    wrappingWidth: 400", "---"]

_STYLES = [
    "  classDef acct fill:#fef7e0,stroke:#b06000,color:#202124",
    "  classDef legend fill:#ffffff,stroke:#9aa0a6,color:#3c4043",
    "  classDef role fill:#e8f0fe,stroke:#1a73e8,color:#0b2e6b",
    "  classDef account fill:#fef7e0,stroke:#b06000,color:#4a2800",
    "  classDef service fill:#e6f4ea,stroke:#188038,color:#0b3d1a",
    "  classDef resource fill:#f1f3f4,stroke:#5f6368,color:#202124",
]


@dataclass(frozen=True)
class Diagram:
    name: str  # overview, platform, or a stage's name (gen explain --diagram NAME)
    title: str
    text: str  # a whole mermaid flowchart


def groups(env: Environment, entries: Sequence[Entry]) -> list[tuple[str, str, list[Entry]]]:
    """The detail diagrams' paths: (name, title, entries); a path of a role that two stages
    share is in both stages' diagrams, every other path in exactly one diagram."""
    by_stage = {
        s.name: [e for e in entries if _in_stage(env, s, e.path)] for s in env.topology.stages
    }
    staged = {id(e) for group in by_stage.values() for e in group}
    platform = [e for e in entries if id(e) not in staged]
    found = [(PLATFORM, "Training, registry and deployment", platform)] if platform else []
    found += [(s.name, f"Stage {s.name}", by_stage[s.name]) for s in env.topology.stages]
    return found


def diagrams(env: Environment, entries: Sequence[Entry]) -> list[Diagram]:
    found = [Diagram(OVERVIEW, "Accounts: what flows between them", overview(env, entries))]
    found += [
        Diagram(name, title, detail(env, group)) for name, title, group in groups(env, entries)
    ]
    return found


def _stage_roles(env: Environment, stage: Stage) -> set[str]:
    account = env.stage_account(stage)
    return {env.execution_role_arn(stage)} | {
        arns.role(account, env.credentials_function_name(stage, secret))
        for secret in env.private_secrets(stage)
    }


def _in_stage(env: Environment, stage: Stage, path: AccessPath) -> bool:
    roles = _stage_roles(env, stage)
    if path.principal.arn in roles:
        return True
    if path.side is Side.TRUST_POLICY and path.resources[0] in roles:
        return True
    # The stage's Terraform role creating the stage's models from registry versions.
    return path.principal.label.startswith(f"{stage.name} Terraform role")


# --- overview --------------------------------------------------------------------------------


def _holds(env: Environment, account_id: str) -> list[str]:
    t = env.topology
    held: list[str] = []

    def on(name: str | None, what: str) -> None:
        if name is not None and env.account_id(name) == account_id and what not in held:
            held.append(what)

    on(t.training.account, "training")
    on(t.training.account, "training output key")
    if t.training.image_repositories:
        on(t.training.account, "ECR images")
    on(t.registry.account, "model registry")
    on(t.registry.artifact_bucket.account or t.registry.account, "artifact bucket")
    on(t.deployment.account, "CI/CD pipeline")
    for stage in t.stages:
        on(stage.account, f"stage {stage.name}")
    if t.jumpstart is not None:
        on(t.jumpstart.account, "JumpStart")
    return held


def _flow(path: AccessPath) -> str:
    """What a cross-account path carries, in a reader's words."""
    actions = {a.split(":", 1)[-1] for a in path.actions}
    if path.side is Side.BUCKET_POLICY:
        return "writes artifacts" if "PutObject" in actions else "reads artifacts"
    if path.side in (Side.KEY_POLICY, Side.KMS_GRANT):
        encrypts = {"Encrypt", "GenerateDataKey", "GenerateDataKey*"} & actions
        return "uses the output key" if encrypts else "decrypts with the output key"
    if path.side is Side.ECR_REPOSITORY_POLICY:
        return "pulls images"
    if path.side is Side.MODEL_PACKAGE_GROUP_POLICY:
        if "CreateModelPackage" in actions:
            return "registers versions"
        if "CreateModel" in actions:
            return "creates models from versions"
        if "UpdateModelPackage" in actions:
            return "approves versions"
        return "reads versions"
    if path.side is Side.PORTFOLIO_ASSOCIATION:
        return "launches JumpStart products"
    return ", ".join(sorted(actions))


def _phrases(found: list[str]) -> list[str]:
    """Reads and writes of one thing in one phrase; approving a version includes reading it."""
    merged = list(found)
    if "writes artifacts" in merged and "reads artifacts" in merged:
        merged.remove("reads artifacts")
        merged[merged.index("writes artifacts")] = "reads and writes artifacts"
    if "approves versions" in merged and "reads versions" in merged:
        merged.remove("reads versions")
    return merged


def overview(env: Environment, entries: Sequence[Entry]) -> str:
    ids = {a: f"a{i + 1}" for i, a in enumerate(env.account_ids())}
    flows: dict[tuple[str, str], list[str]] = {}
    for e in entries:
        p = e.path
        if p.principal.kind == "service" or not p.cross_account:
            continue
        phrase = _flow(p)
        found = flows.setdefault((p.principal.account_id, p.resource_account), [])
        if phrase not in found:
            found.append(phrase)
    lines = [*_CONFIG, "flowchart LR"]
    for account, ident in ids.items():
        names = " / ".join(env.account_names(account))
        held = _holds(env, account)
        # Two items a line keeps an account's box narrow.
        rows = [" · ".join(held[i : i + 2]) for i in range(0, len(held), 2)]
        label = "<br>".join([f"<b>{names}</b>", account, *rows])
        lines.append(f"  {ident}[{_label(label)}]:::acct")
    flows = {pair: _phrases(found) for pair, found in flows.items()}
    done: set[tuple[str, str]] = set()
    for a, b in flows:
        if (a, b) in done:
            continue
        back = flows.get((b, a))
        done |= {(a, b), (b, a)}
        if back is None:
            label = "<br>".join(flows[(a, b)])
            lines.append(f"  {ids[a]} ==>|{_label(label)}| {ids[b]}")
        else:
            parts = [f"{_short(env, a)}: {', '.join(flows[(a, b)])}"]
            parts.append(f"{_short(env, b)}: {', '.join(back)}")
            lines.append(f"  {ids[a]} <==>|{_label('<br>'.join(parts))}| {ids[b]}")
    lines += [
        f"  key[{_label(_OVERVIEW_LEGEND)}]:::legend",
        *_STYLES[:2],
    ]
    return "\n".join(lines) + "\n"


_OVERVIEW_LEGEND = "<br>".join(
    [
        "<b>How to read this</b>",
        "a box: one AWS account and what it holds",
        "an arrow: what roles of one account use in the other",
        "each use is allowed twice: by the caller's IAM policy",
        "and by the owner's resource policy or KMS grant",
    ]
)


def _short(env: Environment, account_id: str) -> str:
    return " / ".join(env.account_names(account_id)) or account_id


# --- detail ----------------------------------------------------------------------------------


_OWN_IAM = "an account's own IAM"


def detail(env: Environment, entries: Sequence[Entry]) -> str:
    diagram = _Diagram(env)
    for e in entries:
        diagram.edge(e.path)
    body = diagram.text().splitlines()
    # Drop _Diagram's own class lines: the shared ones (and the legend's) follow.
    body = [line for line in body if not line.startswith("  classDef ")]
    body[0] = "flowchart TB"
    legend = [
        f"  subgraph key[{_label('Legend')}]",
        "    direction LR",
        f"    k1({_label('role')}):::role",
        f"    k2[({_label('resource with a resource policy')})]:::resource",
        f"    k3[[{_label(_OWN_IAM)}]]:::account",
        f"    k4[{_label('resource')}]:::resource",
        f"    k5([{_label('AWS service')}]):::service",
        f"    k6({_label('role')}):::role",
        f"    k1 ==>|{_label('across accounts: both sides allow')}| k2",
        f"    k3 -.->|{_label('identity side outside gen')}| k4",
        f"    k5 -->|{_label('same account')}| k6",
        "  end",
    ]
    return "\n".join([*body, *legend, *_STYLES[1:]]) + "\n"
