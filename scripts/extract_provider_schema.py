"""Extract the hashicorp/aws provider schema from the ``cdktn-provider-aws`` wheel.

(``--provider time`` and ``--provider archive`` do the same for the two other providers a
render uses, from ``cdktn-provider-time`` and ``cdktn-provider-archive``; see ``PINS``.)

How to regenerate the vendored schema
-------------------------------------
The output of this script is the vendored file
``generator/terraform/data/aws_provider_schema.json.gz``, which
``generator.terraform.provider_schema`` reads
to check rendered Terraform offline (no provider binary, no registry access). Regenerate it
with either::

    python scripts/extract_provider_schema.py --wheel cdktn_provider_aws-25.8.1-py3-none-any.whl

or, letting the script fetch the pinned wheel with ``pip download --no-deps`` into a
temporary directory (nothing is installed)::

    python scripts/extract_provider_schema.py

Pass ``--wheel-version`` and ``--expect-provider-version`` together to move to another
release; the script refuses a wheel whose embedded provider version differs from the
expected one. ``--output PATH`` writes elsewhere (``-`` prints plain JSON to stdout).

Where the data comes from
-------------------------
The wheel bundles a jsii tarball (``cdktn_provider_aws/_jsii/provider-aws@X.jsii.tgz``)
whose ``package/lib/<name>/`` folders hold code generated from ``terraform providers schema
-json`` by the cdktn provider generator. That generator emits, for every resource, data
source, ephemeral resource and the provider itself:

* ``static tfResourceType = "aws_x"`` and ``providerVersion: '6.69.1'`` on the main class;
* a ``// tf_name - computed: B, optional: B, required: B`` comment above every getter of
  the main class and of every nested block's ``...OutputReference`` class (this includes
  computed-only attributes, which are otherwise absent from the configurable structs);
* ``...ToHclTerraform`` functions (and ``synthesizeHclAttributes``) listing every
  configurable name with ``type: "simple"|"list"|"set"|"map"|"struct"`` and the mapper
  used: ``cdktn.listMapperHcl(childToHclTerraform, ...)`` for list/set blocks without a
  limit, a direct ``childToHclTerraform(...)`` call for list/set blocks with
  ``max_items = 1`` and ``type: "struct"`` for ``nesting_mode = "single"`` blocks;
* in the ``.d.ts`` files, a JSDoc summary ``<tf_name> block`` on every property that is a
  real nested block. The generator's own ``isBlock`` flag is true for any complex value
  (including object-typed attributes and nested attributes), so the JSDoc marker is what
  tells blocks from attributes.

Limits of the source: a block's ``min_items`` is only known as "at least one" (the
generator keeps ``min_items > 0`` as ``required``) and ``max_items`` only as "exactly one"
or "unbounded". A handful of deeply recursive blocks (wafv2 ``statement``) are typed
``any`` by the generator; they are vendored with ``"opaque": true`` and their content is
not checked.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "generator" / "terraform" / "data"


@dataclass(frozen=True)
class Pin:
    """One provider gen uses: the cdktn wheel its schema comes from, and where it goes."""

    name: str
    wheel_version: str
    provider_version: str

    @property
    def wheel(self) -> str:
        return f"cdktn-provider-{self.name}"

    @property
    def source(self) -> str:
        return f"hashicorp/{self.name}"

    @property
    def output(self) -> Path:
        return DATA_DIR / f"{self.name}_provider_schema.json.gz"


# The same generator makes the prebuilt bindings of every provider, so the schemas of
# hashicorp/time and hashicorp/archive (the other providers a render uses) come from their
# own cdktn wheels, each fact from the provider version its README names.
PINS = {
    "aws": Pin("aws", "25.8.1", "6.69.1"),
    "time": Pin("time", "14.0.2", "0.14.2"),
    "archive": Pin("archive", "14.0.1", "2.8.1"),
}
WHEEL_NAME = PINS["aws"].wheel
WHEEL_VERSION = PINS["aws"].wheel_version
PROVIDER_VERSION = PINS["aws"].provider_version
PROVIDER_SOURCE = PINS["aws"].source
DEFAULT_OUTPUT = PINS["aws"].output

KIND_BY_BASE = {
    "TerraformResource": "resources",
    "TerraformDataSource": "data_sources",
    "TerraformEphemeralResource": "ephemeral_resources",
    "TerraformProvider": "provider",
}

CLASS_RE = re.compile(r"^class (\w+) extends ([\w.]+) \{\n(.*?)^\}\n", re.M | re.S)
FUNC_RE = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{\n(.*?)^\}\n", re.M | re.S)
SYNTH_RE = re.compile(r"^    synthesizeHclAttributes\(\) \{\n(.*?)^    \}\n", re.M | re.S)
ENTRY_RE = re.compile(
    r"^[ ]+(\w+): \{\n"
    r"[ ]+value: (.*),\n"
    r"[ ]+isBlock: (true|false),\n"
    r"[ ]+type: \"(\w+)\",\n"
    r"[ ]+storageClassType: \"(\w+)\",\n",
    re.M,
)
FLAG_RE = re.compile(
    r"^    // (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$",
    re.M,
)
TF_TYPE_RE = re.compile(r'^    static tfResourceType = "([\w-]+)";$', re.M)
PROVIDER_VERSION_RE = re.compile(r"providerVersion: '([^']+)'")
CHILD_FN_RE = re.compile(r"(?:(\w+)\.)?([A-Za-z]\w*)ToHclTerraform\b")
IFACE_RE = re.compile(r"^export interface (\w+)(?: extends [\w.]+)? \{\n(.*?)^\}\n", re.M | re.S)
PROP_RE = re.compile(r"^    /\*\*\n((?:    \*.*\n)*?)    \*/\n    readonly (\w+)(\??):", re.M)
LINK_NAME_RE = re.compile(r"\{@link \S+ \w+#(\w+)\}")
BLOCK_DOC_RE = re.compile(r"^    \* (\S+) block$", re.M)
CONFIG_ARG_RE = re.compile(r"constructor\(scope: Construct, id: string, config\??: (\w+)\);")
FIELD_NEW_RE = re.compile(
    r'^    _\w+ = new (?:(\w+)\.)?(\w+)\(this, "[\w-]+"(?:, (true|false))?\);$', re.M
)
MAPPER_CALL_RE = re.compile(r"(.*)\((?:this\._\w+|struct(?:\.\w+|\[\"\w+\"\]|\?\.\w+|\!\.\w+))\)")
GETTER_RE = re.compile(r"^    get \w+\(\) \{\n        return (.*?);\n", re.M)
ELEMENT_RE = re.compile(r"return new (?:(\w+)\.)?(\w+OutputReference)\(")
GETTER_TYPES: dict[str, Any] = {
    "this.getStringAttribute": "string",
    "this.getNumberAttribute": "number",
    "this.getBooleanAttribute": "bool",
    "this.getListAttribute": ["list", "string"],
    "cdktn.Fn.tolist(this.getListAttribute": ["set", "string"],
    "this.getNumberListAttribute": ["list", "number"],
    "cdktn.Token.asNumberList(cdktn.Fn.tolist(this.getNumberListAttribute": ["set", "number"],
    "this.getStringMapAttribute": ["map", "string"],
    "this.getNumberMapAttribute": ["map", "number"],
    "this.getBooleanMapAttribute": ["map", "bool"],
}
BUILTIN_MAP_TYPES: dict[str, Any] = {
    "stringmap": ["map", "string"],
    "numbermap": ["map", "number"],
    "booleanmap": ["map", "bool"],
}
MAPPER_PRIMITIVES = {
    "cdktn.stringToHclTerraform": "string",
    "cdktn.stringToTerraform": "string",
    "cdktn.numberToHclTerraform": "number",
    "cdktn.numberToTerraform": "number",
    "cdktn.booleanToHclTerraform": "bool",
    "cdktn.booleanToTerraform": "bool",
}
README_VERSION_RE = re.compile(r"bindings for hashicorp/\w+ provider version (\S+)")


class ExtractionError(RuntimeError):
    """The wheel does not look like what this script understands."""


@dataclass
class Entry:
    """One configurable name of a struct, from a ``...ToHclTerraform`` function."""

    value: str
    complex: bool
    type: str
    storage: str


@dataclass
class Prop:
    """One property of a ``.d.ts`` interface."""

    optional: bool
    is_block_doc: bool


@dataclass
class Getter:
    """How the main or ``...OutputReference`` class reads one attribute.

    ``expr`` is the getter's return expression (``this.getStringAttribute('x')``...) or,
    for complex values, ``new_class`` the class of the field it returns (``FooList``,
    ``FooOutputReference``, ``FooMap``, ``cdktn.StringMap``) and ``wraps_set`` the
    List constructor's third argument (true: the Terraform type is a set).
    """

    expr: str | None = None
    new_class: str | None = None
    wraps_set: bool = False


@dataclass
class Flags:
    computed: bool
    optional: bool
    required: bool


@dataclass
class Module:
    """Everything parsed from one ``package/lib/<name>/`` folder."""

    name: str
    entries: dict[str, dict[str, Entry]] = field(default_factory=dict)  # lower struct name
    flags: dict[str, dict[str, Flags]] = field(default_factory=dict)  # lower class name
    props: dict[str, dict[str, Prop]] = field(default_factory=dict)  # lower interface name
    main: tuple[str, str, str] | None = None  # (kind, tf type, lower class name)
    main_entries: dict[str, Entry] = field(default_factory=dict)
    config_iface: str | None = None
    provider_versions: set[str] = field(default_factory=set)
    getters: dict[str, dict[str, Getter]] = field(default_factory=dict)  # lower class name
    element_classes: dict[str, str] = field(default_factory=dict)  # List/Map class -> element


@dataclass
class Stats:
    anomalies: list[str] = field(default_factory=list)
    opaque_blocks: int = 0
    recursive_blocks: int = 0
    # attributes whose cty type the source does not tell: vendored as "dynamic" with
    # "untyped": true (Terraform accepts any value there); path list for --verbose
    untyped: list[str] = field(default_factory=list)
    # every class of every module by lower name: nested attribute types may live in a
    # module shared by several resources (``index_1.FooList``)
    classes: dict[str, Module] = field(default_factory=dict)


def parse_getters(body: str) -> dict[str, Getter]:
    """Map each flagged attribute of a class body to how its getter reads it."""
    marks = list(FLAG_RE.finditer(body))
    out: dict[str, Getter] = {}
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        segment = body[mark.end() : end]
        field_new = FIELD_NEW_RE.search(segment)
        getter = GETTER_RE.search(segment)
        if getter is None:
            continue
        expr = getter.group(1)
        if field_new is not None and expr.startswith("this._"):
            out[mark.group(1)] = Getter(
                new_class=field_new.group(2).lower(), wraps_set=field_new.group(3) == "true"
            )
        else:
            out[mark.group(1)] = Getter(expr=expr)
    return out


def parse_entries(text: str) -> dict[str, Entry]:
    return {
        m.group(1): Entry(m.group(2), m.group(3) == "true", m.group(4), m.group(5))
        for m in ENTRY_RE.finditer(text)
    }


def parse_js(mod: Module, text: str) -> None:
    for m in FUNC_RE.finditer(text):
        mod.entries[m.group(1).lower()] = parse_entries(m.group(2))
    for m in CLASS_RE.finditer(text):
        cls, base, body = m.group(1), m.group(2), m.group(3)
        flags = {
            f.group(1): Flags(f.group(2) == "true", f.group(3) == "true", f.group(4) == "true")
            for f in FLAG_RE.finditer(body)
        }
        mod.flags[cls.lower()] = flags
        mod.getters[cls.lower()] = parse_getters(body)
        element = ELEMENT_RE.search(body)
        if element is not None and cls.endswith(("List", "Map")):
            mod.element_classes[cls.lower()] = element.group(2).lower()
        base_name = base.rsplit(".", 1)[-1]
        tf_type = TF_TYPE_RE.search(body)
        if tf_type is None or base_name not in KIND_BY_BASE:
            continue
        if mod.main is not None:
            raise ExtractionError(f"{mod.name}: two main classes ({mod.main[2]}, {cls})")
        mod.main = (KIND_BY_BASE[base_name], tf_type.group(1), cls.lower())
        synth = SYNTH_RE.search(body)
        mod.main_entries = parse_entries(synth.group(1)) if synth else {}
        mod.provider_versions.update(PROVIDER_VERSION_RE.findall(body))


def parse_dts(mod: Module, text: str) -> None:
    for m in IFACE_RE.finditer(text):
        props: dict[str, Prop] = {}
        for p in PROP_RE.finditer(m.group(2)):
            doc = p.group(1)
            link = LINK_NAME_RE.search(doc)
            if link is None:
                continue
            tf_name = link.group(1)
            block_doc = BLOCK_DOC_RE.search(doc)
            props[tf_name] = Prop(
                optional=p.group(3) == "?",
                is_block_doc=block_doc is not None and block_doc.group(1) == tf_name,
            )
        mod.props[m.group(1).lower()] = props
    cfg = CONFIG_ARG_RE.search(text)
    if cfg is not None and mod.config_iface is None:
        mod.config_iface = cfg.group(1).lower()


def mapper_type(value: str) -> Any:
    """The cty type of a ``...ToHclTerraform`` mapper expression, or None for objects/any."""
    value = value.strip()
    for name, cty in MAPPER_PRIMITIVES.items():
        if value == name:
            return cty
    for prefix, kind in (
        ("cdktn.hashMapperHcl(", "map"),
        ("cdktn.hashMapper(", "map"),
        ("cdktn.listMapperHcl(", "list"),
        ("cdktn.listMapper(", "list"),
    ):
        if value.startswith(prefix) and value.endswith(")"):
            inner = value[len(prefix) : -1]
            if kind == "list":
                inner = re.sub(r", (true|false)$", "", inner)
            element = mapper_type(inner)
            return None if element is None else [kind, element]
    return None


def entry_type(entry: Entry) -> Any:
    """The cty type of a configurable attribute from its struct entry (list vs set from
    ``type``), or None when the entry does not tell."""
    call = MAPPER_CALL_RE.fullmatch(entry.value)
    mapper = call.group(1) if call else None
    cty = mapper_type(mapper) if mapper else None
    if isinstance(cty, list) and cty[0] == "list" and entry.type == "set":
        cty = ["set", cty[1]]
    return cty


def attribute_type(
    getter: Getter | None, entry: Entry | None, path: str, stats: Stats, depth: int = 0
) -> dict[str, Any]:
    """``{"type": cty}`` or ``{"nested": {"nesting": ..., "attributes": ...}}`` for one
    attribute; ``{"type": "dynamic", "untyped": True}`` where the source does not tell."""
    if getter is not None and getter.new_class is not None:
        cls = getter.new_class
        if cls in BUILTIN_MAP_TYPES:
            return {"type": BUILTIN_MAP_TYPES[cls]}
        if cls.endswith("outputreference"):
            nesting, element = "single", cls
        else:
            home = stats.classes.get(cls)
            element = home.element_classes.get(cls, "") if home else ""
            nesting = "map"
            if cls.endswith("list"):
                nesting = "set" if getter.wraps_set else "list"
        if element in stats.classes and depth < 16:
            return {
                "nested": {
                    "nesting": nesting,
                    "attributes": class_attributes(element, path, stats, depth + 1),
                }
            }
    elif getter is not None and getter.expr is not None:
        for prefix, cty in GETTER_TYPES.items():
            if getter.expr.startswith(prefix + "("):
                return {"type": cty}
    if entry is not None:
        cty = entry_type(entry)
        if cty is not None:
            return {"type": cty}
    stats.untyped.append(path)
    return {"type": "dynamic", "untyped": True}


def class_attributes(cls: str, where: str, stats: Stats, depth: int) -> dict[str, Any]:
    """The attributes of a nested attribute's object, from its ``...OutputReference``."""
    home = stats.classes[cls]
    getters = home.getters.get(cls, {})
    out: dict[str, Any] = {}
    for name, flag in sorted(home.flags.get(cls, {}).items()):
        out[name] = {
            "required": flag.required,
            "optional": flag.optional,
            "computed": flag.computed,
            **attribute_type(getters.get(name), None, f"{where}.{name}", stats, depth),
        }
    return out


def child_struct(entry: Entry) -> str | None:
    for m in CHILD_FN_RE.finditer(entry.value):
        if m.group(1) != "cdktn":
            return m.group(2).lower()
    return None


def build_block(
    mod: Module,
    where: str,
    entries: dict[str, Entry],
    flags: dict[str, Flags] | None,
    props: dict[str, Prop],
    stats: Stats,
    getters: dict[str, Getter] | None = None,
    stack: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> dict[str, Any]:
    """Turn one struct into ``{"attributes": ..., "blocks": ...}``.

    ``stack`` holds the (struct, block path) pairs of the enclosing blocks: a struct that
    is its own ancestor (the generator folds repeating wafv2 statements into a loop) is
    emitted as ``"ref": [block names from the resource root]`` instead of being expanded.
    """
    attributes: dict[str, Any] = {}
    blocks: dict[str, Any] = {}
    names = set(entries) | set(flags or {})
    for name in sorted(names):
        entry = entries.get(name)
        prop = props.get(name)
        flag = (flags or {}).get(name)
        path = f"{where}.{name}"
        is_block = prop is not None and prop.is_block_doc and entry is not None
        if is_block and entry is not None:
            if flag is not None and flag.computed:
                stats.anomalies.append(f"{path}: block marked computed")
            required = flag.required if flag is not None else not (prop and prop.optional)
            if entry.storage == "any":
                stats.opaque_blocks += 1
                blocks[name] = {
                    "nesting": "list",
                    "min_items": 0,
                    "max_items": None,
                    "opaque": True,
                    "attributes": {},
                    "blocks": {},
                }
                continue
            child = child_struct(entry)
            if child is None or child not in mod.entries:
                raise ExtractionError(f"{path}: cannot resolve nested block struct")
            max_items: int | None = 1
            if entry.type == "struct":
                nesting, min_items = "single", 0
            elif entry.type in ("list", "set"):
                nesting = entry.type
                many = entry.value.startswith("cdktn.listMapperHcl(")
                max_items = None if many else 1
                min_items = 1 if required else 0
            else:
                raise ExtractionError(f"{path}: unexpected block type {entry.type!r}")
            block_path = (*stack[-1][1], name) if stack else (name,)
            ancestor = next((p for s, p in stack if s == child), None)
            if ancestor is not None:
                stats.recursive_blocks += 1
                blocks[name] = {
                    "nesting": nesting,
                    "min_items": min_items,
                    "max_items": max_items,
                    "ref": list(ancestor),
                }
                continue
            child_flags = mod.flags.get(child + "outputreference")
            if child_flags is None and mod.main is not None and mod.main[0] != "provider":
                stats.anomalies.append(f"{path}: no OutputReference class, flags from .d.ts")
            block = build_block(
                mod,
                path,
                mod.entries[child],
                child_flags,
                mod.props.get(child, {}),
                stats,
                mod.getters.get(child + "outputreference"),
                (*stack, (child, block_path)),
            )
            blocks[name] = {
                "nesting": nesting,
                "min_items": min_items,
                "max_items": max_items,
                **block,
            }
            continue
        if flag is None:
            optional = prop.optional if prop is not None else True
            flag = Flags(computed=False, optional=optional, required=not optional)
        if entry is None and not (flag.computed and not flag.optional and not flag.required):
            stats.anomalies.append(f"{path}: configurable flags but not configurable")
        if entry is not None and flag.computed and not flag.optional:
            stats.anomalies.append(f"{path}: computed-only but configurable")
        attributes[name] = {
            "required": flag.required,
            "optional": flag.optional,
            "computed": flag.computed,
            **attribute_type((getters or {}).get(name), entry, path, stats),
        }
    return {"attributes": attributes, "blocks": blocks}


def iter_package_files(wheel: Path) -> Iterator[tuple[str, bytes]]:
    """Yield (path inside the jsii tarball, content) for package.json and lib/**.js|.d.ts."""
    with zipfile.ZipFile(wheel) as zf:
        tgz = [n for n in zf.namelist() if n.endswith(".jsii.tgz")]
        if len(tgz) != 1:
            raise ExtractionError(f"expected one .jsii.tgz in {wheel}, found {tgz}")
        data = zf.read(tgz[0])
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|gz") as tf:
        for member in tf:
            if not member.isfile():
                continue
            name = member.name
            wanted = name == "package/package.json" or (
                name.startswith("package/lib/") and name.endswith((".js", ".d.ts"))
            )
            fh = tf.extractfile(member) if wanted else None
            if fh is not None:
                yield name, fh.read()


def wheel_metadata(wheel: Path) -> tuple[str, str | None]:
    """Return (wheel version, provider version stated in the README) from METADATA."""
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = zf.read(meta_name).decode()
    version = re.search(r"^Version: (\S+)$", meta, re.M)
    readme = README_VERSION_RE.search(meta)
    if version is None:
        raise ExtractionError("no Version in METADATA")
    return version.group(1), readme.group(1) if readme else None


def extract(
    wheel: Path, expect_provider_version: str, pin: Pin = PINS["aws"]
) -> tuple[dict[str, Any], Stats]:
    wheel_version, readme_version = wheel_metadata(wheel)
    modules: dict[str, Module] = {}
    package_version = None
    for name, content in iter_package_files(wheel):
        if name == "package/package.json":
            package_version = json.loads(content)["version"]
            continue
        folder = name.split("/")[2]
        if folder.endswith((".js", ".ts")):
            continue  # package/lib/index.js and friends
        mod = modules.setdefault(folder, Module(folder))
        text = content.decode()
        if name.endswith(".d.ts"):
            parse_dts(mod, text)
        else:
            parse_js(mod, text)

    stats = Stats()
    for mod in modules.values():
        for cls in mod.flags:
            stats.classes.setdefault(cls, mod)
    out: dict[str, Any] = {
        "provider": pin.source,
        "version": expect_provider_version,
        "source": {"wheel": pin.wheel, "wheel_version": wheel_version},
        "resources": {},
        "data_sources": {},
        "ephemeral_resources": {},
        "provider_config": None,
    }
    provider_versions: set[str] = set()
    for folder in sorted(modules):
        mod = modules[folder]
        if mod.main is None:
            continue
        kind, tf_type, cls = mod.main
        provider_versions |= mod.provider_versions
        props = mod.props.get(mod.config_iface or "", {})
        if mod.config_iface not in mod.props:
            stats.anomalies.append(f"{tf_type}: no config interface found in .d.ts")
        block = build_block(
            mod, tf_type, mod.main_entries, mod.flags[cls], props, stats, mod.getters[cls]
        )
        if kind == "provider":
            out["provider_config"] = block
            continue
        if tf_type in out[kind]:
            raise ExtractionError(f"duplicate {kind} {tf_type}")
        out[kind][tf_type] = block

    if provider_versions != {expect_provider_version}:
        raise ExtractionError(
            f"wheel embeds provider version(s) {sorted(provider_versions)}, "
            f"expected {expect_provider_version}"
        )
    if readme_version != expect_provider_version:
        raise ExtractionError(f"wheel README names provider {readme_version}")
    if package_version != wheel_version:
        raise ExtractionError(f"jsii package {package_version} != wheel {wheel_version}")
    nothing = not out["resources"] and not out["data_sources"]
    if nothing or out["provider_config"] is None:
        raise ExtractionError("nothing extracted")
    return out, stats


def download_wheel(version: str, dest: Path, pin: Pin = PINS["aws"]) -> Path:
    """Fetch the pinned wheel with ``pip download --no-deps`` (installs nothing)."""
    spec = f"{pin.wheel}=={version}"
    commands: list[list[str]] = [[sys.executable, "-m", "pip"]]
    for exe in ("pip3", "pip"):
        found = shutil.which(exe)
        if found:
            commands.append([found])
    errors = []
    for cmd in commands:
        args = [*cmd, "download", "--no-deps", "--only-binary=:all:", "-d", str(dest), spec]
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            wheels = sorted(dest.glob(f"cdktn_provider_{pin.name}-*.whl"))
            if wheels:
                return wheels[-1]
        errors.append(f"{' '.join(args)}: {proc.stderr.strip()[-500:]}")
    raise ExtractionError("could not download the wheel:\n" + "\n".join(errors))


def write_output(schema: dict[str, Any], output: str) -> int:
    payload = json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()
    if output == "-":
        sys.stdout.write(payload.decode() + "\n")
        return len(payload)
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(payload)
    path.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--provider", choices=sorted(PINS), default="aws")
    parser.add_argument("--wheel", type=Path, help="path to a cdktn-provider-<provider> wheel")
    parser.add_argument("--wheel-version", help="version to download (default: the pin)")
    parser.add_argument("--expect-provider-version", help="default: the pin")
    parser.add_argument("--output", help="'-' for stdout (default: generator/terraform/data/...)")
    parser.add_argument("--verbose", action="store_true", help="list every anomaly")
    args = parser.parse_args(argv)
    pin = PINS[args.provider]
    args.wheel_version = args.wheel_version or pin.wheel_version
    args.expect_provider_version = args.expect_provider_version or pin.provider_version
    args.output = args.output or str(pin.output)

    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="cdktn-") as tmp:
            wheel = args.wheel or download_wheel(args.wheel_version, Path(tmp), pin)
            schema, stats = extract(wheel, args.expect_provider_version, pin)
    except ExtractionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    size = write_output(schema, args.output)
    elapsed = time.monotonic() - started
    print(
        f"{wheel.name}: provider {schema['version']}, {len(schema['resources'])} resources, "
        f"{len(schema['data_sources'])} data sources, "
        f"{len(schema['ephemeral_resources'])} ephemeral resources, "
        f"{stats.opaque_blocks} opaque blocks, {stats.recursive_blocks} recursive blocks, "
        f"{len(stats.untyped)} untyped attributes (vendored as dynamic), "
        f"{len(stats.anomalies)} anomalies; "
        f"wrote {size} bytes to {args.output} in {elapsed:.1f}s",
        file=sys.stderr,
    )
    for line in stats.anomalies if args.verbose else stats.anomalies[:10]:
        print(f"  anomaly: {line}", file=sys.stderr)
    for line in stats.untyped if args.verbose else stats.untyped[:10]:
        print(f"  untyped: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
