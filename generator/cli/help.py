"""Plain help text: `ENV_DIR` rather than `{env_dir}` in the usage line, `ENV_DIR` rather than
`env_dir <dir>` in the argument list, `[text|json|sarif]` for choices and `TEXT` rather than
`<str>` for a value (Typer's own plain help shows type names)."""

from __future__ import annotations

import re

# Typer (>= 0.25) carries its own copy of click; its commands take these types.
from typer._click.core import Context, Parameter
from typer._click.formatting import HelpFormatter
from typer.core import TyperCommand

_TYPE = re.compile(r" <([^<>]+)>$")


def _argument_name(param: Parameter) -> str:
    name = param.metavar or (param.name or "").upper()
    return name + ("..." if param.nargs != 1 and not name.endswith("...") else "")


def _value_name(record: str) -> str:
    """`--format <text|json>` -> `--format [text|json]`; `--output <file>` -> `--output FILE`."""
    match = _TYPE.search(record)
    if match is None:
        return record
    label = match.group(1)
    if "|" in label:
        shown = "[" + label.removeprefix("list[").removesuffix("]") + "]"
    elif label == "str" or label.startswith("list["):
        shown = "TEXT"
    else:
        shown = label.upper()
    return record[: match.start()] + " " + shown


class GenCommand(TyperCommand):
    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                help_text = record[1].replace("  [required]", "").replace("[required]", "")
                arguments.append((_argument_name(param), help_text.strip()))
            else:
                options.append((_value_name(record[0]), record[1]))
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)
