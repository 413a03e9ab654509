"""docs/topology.md is the repository's field reference: it names every field of the model
(generator/topology/model.py) and nothing else, so it cannot drift from what gen accepts."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator

from conftest import REPO
from pydantic import BaseModel

from generator.topology.model import Topology

DOC = REPO / "docs" / "topology.md"


def _models(annotation: object) -> Iterator[tuple[str, type[BaseModel]]]:
    """The models reachable from a field's type, each with the path step that leads to it
    ('' for the field itself, '[]' into a list, '.<name>' into a map's values)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _models(args[0])
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            yield from _models(arg)
    elif origin is list:
        yield from (("[]" + step, model) for step, model in _models(args[0]))
    elif origin is dict:
        yield from ((".<name>" + step, model) for step, model in _models(args[1]))
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield "", annotation


def model_fields(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every field path of the format: `stages[].models.<name>.image.uri`, ..."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        yield path
        for step, child in _models(info.annotation):
            yield from model_fields(child, f"{path}{step}.")


def documented_fields() -> set[str]:
    rows = re.findall(r"^\| `([a-z_.<>\[\]]+)` \|", DOC.read_text(), flags=re.MULTILINE)
    return set(rows)


def test_every_model_field_is_documented() -> None:
    fields = set(model_fields(Topology))
    assert len(fields) > 50, "the walk found almost nothing: it would be vacuous"
    assert "stages[].models.<name>.image.credentials_secret" in fields
    missing = sorted(fields - documented_fields())
    assert missing == [], f"fields missing from docs/topology.md: {missing}"


def test_every_documented_field_exists() -> None:
    unknown = sorted(documented_fields() - set(model_fields(Topology)))
    assert unknown == [], f"docs/topology.md documents fields gen does not know: {unknown}"


def test_documented_defaults_match_the_model() -> None:
    """A default written in the table is the model's default."""
    from pydantic_core import PydanticUndefined

    rows = re.findall(r"^\| `([a-z_.<>\[\]]+)` \| [^|]+ \| `([^`|]+)` \|", DOC.read_text(), re.M)
    assert len(rows) >= 5
    for path, default in rows:
        if default.endswith(".account") or default == "region":  # taken from another field
            continue
        model: type[BaseModel] = Topology
        *parents, leaf = re.sub(r"\[\]|\.<name>", "", path).split(".")
        for part in parents:
            (model,) = {m for _, m in _models(model.model_fields[part].annotation)}
        info = model.model_fields[leaf]
        value = info.get_default(call_default_factory=True)
        assert value is not PydanticUndefined, f"{path}: documented default but required"
        expected = {"false": False, "true": True, "[]": [], "{}": {}}.get(default, default)
        if isinstance(value, float):
            expected = float(default)
        assert value == expected, f"{path}: docs say {default!r}, the model {value!r}"


def test_no_link_leaves_the_repository() -> None:
    """A clone alone is enough: no committed text points at a sibling directory."""
    texts = [DOC, REPO / "README.md", *REPO.glob("generator/**/*.py"), *REPO.glob("tests/*.py")]
    for path in texts:
        text = path.read_text()
        assert "../" + "shared" not in text, path


def test_readme_names_this_release() -> None:
    """The README's hook config, schema line and module source follow generator/release.py."""
    from generator import release

    readme = (REPO / "README.md").read_text()
    assert f"# yaml-language-server: $schema={release.schema_url()}\n" in readme
    assert f"  - repo: {release.REPOSITORY}\n    rev: {release.tag()}\n" in readme
    prefix = release.modules_source().split("//modules")[0]
    assert f"{prefix}//modules/<name>?ref=v<version>" in readme
