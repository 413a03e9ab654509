"""`gen explain`: the access matrix of an environment, as a table, JSON or a mermaid diagram.

Every row is one access path of the model (`access.access_paths`): who, what, on which
resource, why, and the two policies that allow it, each as file and Terraform resource address
with the statements that match. The policies are found the way `gen verify` finds them: by
evaluating the path's requests against the documents read back from the rendered HCL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from generator.access.paths import AccessPath, Identity, Side
from generator.errors import GenError
from generator.proofs.verify import PathProof, SideReport, VerifyReport
from generator.topology.environment import Environment


class UnknownDiagramError(GenError):
    exit_code = 2


@dataclass(frozen=True)
class Entry:
    """One row of the access matrix."""

    proof: PathProof

    @property
    def path(self) -> AccessPath:
        return self.proof.path


def entries(report: VerifyReport) -> list[Entry]:
    order = {"account": 0, "role": 1, "service": 2}
    return [
        Entry(p)
        for p in sorted(
            report.paths,
            key=lambda p: (
                order[p.path.principal.kind],
                p.path.principal.account_id,
                p.path.principal.label,
                p.path.resource_account,
                p.path.sid,
            ),
        )
    ]


def side_text(side: SideReport) -> str:
    """A side as a reader wants it: where it lives and which statements allow."""
    if side.verdict in ("outside-gen", "not-applicable"):
        return side.note or side.verdict
    where = f"{side.source.file} {side.source.address}" if side.source else side.name
    sids = f" [{', '.join(side.statements)}]" if side.statements else ""
    verdict = "" if side.verdict in ("allows", "present") else f" ({side.verdict})"
    return f"{side.name}: {where}{sids}{verdict}"


def short_actions(actions: Sequence[str]) -> str:
    """An arrow label: the actions without their service prefix, or the first and a count."""
    names = [a.split(":", 1)[-1] for a in actions]
    both = ", ".join(names)
    if len(names) <= 2 and len(both) <= 40:
        return both
    return f"{names[0]} +{len(names) - 1}"


def account_text(env: Environment, account_id: str) -> str:
    names = env.account_names(account_id)
    return f"{' / '.join(names)} ({account_id})" if names else account_id


# --- JSON ------------------------------------------------------------------------------------


def to_json(env: Environment, report: VerifyReport) -> dict[str, Any]:
    rows = []
    for e in entries(report):
        p = e.path
        rows.append(
            {
                **p.to_json(),
                "cross_account": p.cross_account and p.principal.kind != "service",
                "conditions": [
                    {"operator": c.operator, "key": c.key, "values": list(c.values)}
                    for c in (*p.conditions, *p.resource_conditions)
                ],
                "identity": e.proof.identity.to_json(),
                "resource_side": e.proof.resource_side.to_json(),
                "verified": e.proof.status,
            }
        )
    return {
        "environment": env.name,
        "region": env.region,
        "accounts": {a: env.account_names(a) for a in env.account_ids()},
        "paths": rows,
    }


def json_text(env: Environment, report: VerifyReport) -> str:
    return json.dumps(to_json(env, report), indent=2) + "\n"


# --- mermaid ---------------------------------------------------------------------------------


def _label(text: str) -> str:
    """A quoted mermaid label: quotes become entities, nothing else is interpreted."""
    return '"' + text.replace("&", "#amp;").replace('"', "#quot;") + '"'


class _Diagram:
    def __init__(self, env: Environment) -> None:
        self.env = env
        self.ids: dict[str, str] = {}
        self.nodes: dict[str, list[str]] = {}  # account ("" for services) -> node lines
        self.edges: list[str] = []
        self.styles: list[str] = []

    def node(self, key: str, account: str, label: str, shape: str, cls: str) -> str:
        if key in self.ids:
            return self.ids[key]
        ident = f"n{len(self.ids) + 1}"
        self.ids[key] = ident
        opening, closing = {
            "role": ("(", ")"),
            "account": ("[[", "]]"),
            "service": ("([", "])"),
            "resource": ("[", "]"),
            "store": ("[(", ")]"),
        }[shape]
        self.nodes.setdefault(account, []).append(
            f"    {ident}{opening}{_label(label)}{closing}:::{cls}"
        )
        return ident

    def principal(self, path: AccessPath) -> str:
        p = path.principal
        if p.kind == "service":
            return self.node(p.arn, "", p.label, "service", "service")
        if p.kind == "account":
            return self.node(p.arn, p.account_id, f"{p.label} (its own IAM)", "account", "account")
        return self.node(p.arn, p.account_id, p.label, "role", "role")

    def resource(self, path: AccessPath) -> str:
        if path.side is Side.TRUST_POLICY:
            role = path.resources[0]
            return self.node(role, path.resource_account, path.resource_label, "role", "role")
        store = path.side in (
            Side.BUCKET_POLICY,
            Side.ECR_REPOSITORY_POLICY,
            Side.MODEL_PACKAGE_GROUP_POLICY,
        )
        key = f"{path.resource_account}|{path.resource_label}"
        return self.node(
            key,
            path.resource_account,
            path.resource_label.replace(" (not resource-scoped)", ""),
            "store" if store else "resource",
            "resource",
        )

    def edge(self, path: AccessPath) -> None:
        source, target = self.principal(path), self.resource(path)
        label = _label(short_actions(path.actions))
        if path.identity in (Identity.DELEGATED, Identity.EXISTING):
            arrow = "-.->"  # the identity side is outside gen
        elif path.cross_account and path.principal.kind != "service":
            arrow = "==>"
        else:
            arrow = "-->"
        self.edges.append(f"  {source} {arrow}|{label}| {target}")

    def text(self) -> str:
        lines = ["flowchart TB"]
        for i, account in enumerate(self.env.account_ids()):
            if account not in self.nodes:
                continue
            title = account_text(self.env, account)
            lines.append(f"  subgraph a{i + 1}[{_label(title)}]")
            lines.append("    direction LR")
            lines.extend(self.nodes[account])
            lines.append("  end")
        if "" in self.nodes:
            lines.append(f"  subgraph services[{_label('AWS services')}]")
            lines.append("    direction LR")
            lines.extend(self.nodes[""])
            lines.append("  end")
        lines.extend(self.edges)
        lines += [
            "  classDef role fill:#e8f0fe,stroke:#1a73e8,color:#0b2e6b",
            "  classDef account fill:#fef7e0,stroke:#b06000,color:#4a2800",
            "  classDef service fill:#e6f4ea,stroke:#188038,color:#0b3d1a",
            "  classDef resource fill:#f1f3f4,stroke:#5f6368,color:#202124",
        ]
        return "\n".join(lines) + "\n"


def mermaid(env: Environment, report: VerifyReport, name: str = "overview") -> str:
    """One diagram (see `diagrams`): the account overview, `platform`, or a stage's name."""
    from generator.proofs.diagrams import diagrams

    found = {d.name: d for d in diagrams(env, entries(report))}
    if name not in found:
        raise UnknownDiagramError(f"no diagram {name!r}; choose from {', '.join(found)}")
    return found[name].text


LEGEND = (
    "The first diagram has one box per account and one arrow per pair of accounts, labelled "
    "by what flows. In the others, boxes are accounts. Rounded nodes are roles, double-edged "
    "ones an account's own IAM, "
    "stadiums AWS services, cylinders resources with a resource policy. A thick arrow crosses "
    "an account boundary (both sides must allow it), a thin one stays in one account, a "
    "dotted one has its identity side outside gen (an account root the model delegates to, "
    "or a role gen does not manage). Arrow labels are the actions."
)


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|")


def _linked(text: str, env_dir: str) -> str:
    """`envs/x/main.tf:12` -> a link to that line, relative to ACCESS.md in envs/x."""
    prefix = env_dir.rstrip("/") + "/"

    def link(m: re.Match[str]) -> str:
        path, line = m.group(1), m.group(2)
        if not path.startswith(prefix):
            return m.group(0)
        name = path[len(prefix) :]
        return f"[{name}:{line}]({name}#L{line})"

    return re.sub(r"(\S+\.tf):([0-9]+)", link, text)


def _diagram_sections(env: Environment, report: VerifyReport) -> list[str]:
    from generator.proofs.diagrams import diagrams

    lines: list[str] = []
    for d in diagrams(env, entries(report)):
        lines += [f"## {d.title}", "", "```mermaid", d.text.rstrip("\n"), "```", ""]
    return lines


def markdown(env: Environment, report: VerifyReport, env_dir: str) -> str:
    """ACCESS.md: the diagram and the matrix, for a reviewer on GitHub."""
    rows = [
        "| principal | actions | resource | why | identity side | resource side |",
        "|---|---|---|---|---|---|",
    ]
    for e in entries(report):
        p = e.path
        who = _cell(p.principal.label)
        if p.principal.account_id:
            who += "<br>" + _cell(account_text(env, p.principal.account_id))
        cells = [
            who,
            "<br>".join(f"`{a}`" for a in p.actions),
            _cell(p.resource_label) + "<br>" + _cell(account_text(env, p.resource_account)),
            _cell(p.why),
            _linked(_cell(side_text(e.proof.identity)), env_dir),
            _linked(_cell(side_text(e.proof.resource_side)), env_dir),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    counts = report.counts()
    return "\n".join(
        [
            f"# Access: environment `{env.name}`",
            "",
            f"Generated by `gen explain --format mermaid --output {env_dir}/ACCESS.md "
            f"{env_dir}` from `{env_dir}/topology.yaml`: do not edit by hand. "
            f"{counts['paths']} access paths; `gen verify {env_dir}` proves each of them and "
            f"{counts['negatives']} negatives against the rendered policies.",
            "",
            *_diagram_sections(env, report),
            LEGEND,
            "",
            "## Access paths",
            "",
            *rows,
            "",
        ]
    )
