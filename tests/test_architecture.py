"""The package layout is the architecture: each package imports only downwards, no module
imports the CLI, there is no import cycle, and `gen --help` / `gen render` stay light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "generator"
# Lowest first. A module may import from its own package and from any package listed before
# its own; `checks` and `proofs` are siblings and import neither each other.
LAYERS: list[set[str]] = [
    {"errors", "findings", "console", "__init__"},
    {"iam"},
    {"release"},
    {"topology"},
    {"access"},
    {"render"},
    {"terraform"},
    {"checks", "proofs"},
    {"bootstrap"},
    {"aws"},
    {"cli"},
]


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layer(part: str) -> int:
    for i, layer in enumerate(LAYERS):
        if part in layer:
            return i
    raise AssertionError(f"generator.{part} is in no layer of tests/test_architecture.py")


def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    return (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name / "__init__.py").is_file()


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.If) and top_level_only:
            continue  # `if TYPE_CHECKING:` imports are for the type checker only
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "generator":
                # `from generator import __version__` imports the package itself
                found.update(
                    f"generator.{a.name}"
                    if (PACKAGE / a.name).is_dir() or (PACKAGE / f"{a.name}.py").is_file()
                    else "generator"
                    for a in node.names
                )
            elif node.module.startswith("generator."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("generator."))
    return found


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_downwards(module: str) -> None:
    mine = _layer(_part(module))
    for imported in _imports(MODULES[module], top_level_only=False):
        theirs = _layer(_part(imported))
        same_package = _part(imported) == _part(module)
        assert same_package or theirs < mine, (
            f"{module} imports {imported}: generator.{_part(imported)} is not below "
            f"generator.{_part(module)} (see ARCHITECTURE.md)"
        )


def test_no_import_cycle_at_module_level() -> None:
    graph = {
        m: {i for i in _imports(p, top_level_only=True) if i in MODULES} for m, p in MODULES.items()
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


HEAVY = ("generator.iam.evaluator", "generator.checks.lint", "boto3", "generator.aws")


def _modules_after(args: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from generator.cli.main import main\n"
        f"sys.argv = ['gen', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    return set(done.stderr.split())


def test_help_imports_no_command_code() -> None:
    loaded = _modules_after(["--help"])
    for heavy in (*HEAVY, "pydantic", "generator.topology.model", "rich.table"):
        assert not any(m == heavy or m.startswith(heavy + ".") for m in loaded), heavy


def test_render_imports_no_evaluator_boto3_or_lint(tmp_path: Path) -> None:
    env = tmp_path / "env"
    env.mkdir()
    (env / "topology.yaml").write_bytes((REPO / "envs/reference/topology.yaml").read_bytes())
    loaded = _modules_after(["render", "--quiet", str(env)])
    assert "generator.render.files" in loaded  # it did render
    assert (env / "main.tf").is_file()
    for heavy in HEAVY:
        assert not any(m == heavy or m.startswith(heavy + ".") for m in loaded), heavy


# --- one home per fact: IAM statements ------------------------------------------------------


def _sources() -> dict[str, str]:
    return {m: p.read_text(encoding="utf-8") for m, p in MODULES.items()}


def test_exactly_one_module_writes_the_policy_version() -> None:
    writers = sorted(m for m, text in _sources().items() if "2012-10-17" in text)
    assert writers == ["generator.iam.document"]


def test_statements_are_built_only_by_the_iam_document() -> None:
    """A statement written as a dict literal elsewhere would escape the one normalisation
    (and the Sid rule below)."""
    for module, text in _sources().items():
        tree = ast.parse(text)
        keys = {
            k.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Dict)
            for k in node.keys
            if isinstance(k, ast.Constant)
        }
        if module != "generator.iam.document":
            assert "Sid" not in keys, f"{module} writes a statement by hand"


def _sid_argument(call: ast.Call) -> ast.expr | None:
    name = call.func.id if isinstance(call.func, ast.Name) else ""
    if name not in {"statement", "AccessPath", "_trusted_by"}:
        return None
    for keyword in call.keywords:
        if keyword.arg == "sid":
            return keyword.value
    if name == "statement" and call.args:
        return call.args[0]
    if name == "_trusted_by" and len(call.args) > 1:
        return call.args[1]
    return None


def test_statement_ids_are_written_literally() -> None:
    """A Sid seen in a plan greps to the one line that makes it: no f-string Sids, and every
    AccessPath is built with keyword arguments."""
    for module, text in _sources().items():
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name) and node.func.id == "AccessPath":
                assert not node.args, f"{module}:{node.lineno}: AccessPath with positional args"
            sid = _sid_argument(node)
            assert not isinstance(sid, ast.JoinedStr), f"{module}:{node.lineno}: f-string Sid"
