"""Property tests (hypothesis): any text in any string field of the reference topology, and
any YAML scalar, either loads and renders clean HCL or is refused with located one-line
problems; never another exception.

`make test` runs a derandomized handful of examples; `make fuzz` sets GEN_FUZZ_EXAMPLES."""

from __future__ import annotations

import os
import re
from typing import Any

import yaml
from fuzz_cases import GOLDENS, HOSTILE_STRINGS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import TopologyError
from generator.render.files import render
from generator.topology.environment import Environment
from generator.topology.load import load_topology

EXAMPLES = int(os.environ.get("GEN_FUZZ_EXAMPLES", "15"))
LOCATED = re.compile(r"[^\s:][^:]*:\d+:\d+: \S(?:[^:]|:(?! ))*: \S.*")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069]")
REFERENCE = next(g for g in GOLDENS if g.name == "reference") / "topology.yaml"
DATA = yaml.safe_load(REFERENCE.read_text())


def _string_paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _string_paths(v, (*prefix, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _string_paths(v, (*prefix, i))]
    return [prefix] if isinstance(data, str) else []


PATHS = _string_paths(DATA)
TEXT = st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(max_size=80))


def _check(text: str) -> None:
    try:
        topology = load_topology(text, "topology.yaml")
    except TopologyError as exc:
        for problem in exc.problems:
            line = str(problem)
            assert LOCATED.fullmatch(line) and line.isprintable(), repr(line)
        return
    rendered = render(Environment(topology, None), "../../modules")
    for name, hcl in rendered.files.items():
        assert not CONTROL.search(hcl), name


settings.register_profile(
    "gen",
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("gen")


@given(path=st.sampled_from(PATHS), value=TEXT)
def test_any_text_in_any_string_field(path: tuple[Any, ...], value: str) -> None:
    data = yaml.safe_load(REFERENCE.read_text())
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    _check(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@given(scalar=st.text(max_size=40))
def test_any_plain_scalar_as_a_value(scalar: str) -> None:
    text = REFERENCE.read_text().replace("instance_count: 2", f"instance_count: {scalar}", 1)
    _check(text)
