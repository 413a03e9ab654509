"""The HCL writer: escaping, and layout identical to terraform fmt's."""

from __future__ import annotations

import hcl2
import pytest

from generator.render import hcl
from generator.terraform.fmt import format_many


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("line\nbreak\ttab\r", '"line\\nbreak\\ttab\\r"'),
        ("${var.secret}", '"$${var.secret}"'),
        ("%{ if true }x%{ endif }", '"%%{ if true }x%%{ endif }"'),
        ("bell\x07", '"bell\\u0007"'),
        ("ünïcode ✓", '"ünïcode ✓"'),
    ],
)
def test_strings_are_escaped(text: str, literal: str) -> None:
    assert hcl.string(text) == literal
    # python-hcl2 reads the literal back as the same text (no interpolation happens).
    parsed = hcl2.loads(f"x = {literal}\n")
    assert parsed["x"].strip('"') in {literal.strip('"'), text}


def test_expr_refuses_anything_but_a_reference() -> None:
    assert hcl.Expr("module.kms.key_arn").text == "module.kms.key_arn"
    with pytest.raises(ValueError):
        hcl.Expr('x"}\nresource "evil" "x" {')


SAMPLES = {
    "nested": hcl.Block(
        "module",
        ("m",),
        (
            (("source", "../x"), ("providers", {"aws": hcl.Expr("aws.a")})),
            (
                ("short", 1),
                ("a_longer_name", 2.5),
                ("flag", True),
                ("nothing", None),
                (
                    "policy",
                    hcl.JsonEncode(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "A",
                                    "Effect": "Allow",
                                    "Principal": {"AWS": ["arn:aws:iam::1:role/x"]},
                                    "Action": ["s3:GetObject"] * 12,
                                    "Condition": {"StringLike": {"s3:prefix": "m/*"}},
                                }
                            ],
                        }
                    ),
                ),
                ("after", "x"),
                ("empty_map", {}),
                ("empty_list", []),
                ("list_of_maps", [{"a": 1, "bb": 2}, {"c": "${x}"}]),
            ),
            (("depends_on", [hcl.Expr("module.a"), hcl.Expr("module.b")]),),
        ),
        blocks=(hcl.Block("lifecycle", (), ((("create_before_destroy", True),),)),),
        comment="a comment\nover two lines",
    ),
}


def test_blocks_are_already_terraform_fmt_formatted() -> None:
    files = {f"{name}.tf": hcl.block(block) + "\n" for name, block in SAMPLES.items()}
    assert format_many(files) == files
    assert "a_longer_name = 2.5" in files["nested.tf"]
    assert '"$${x}"' in files["nested.tf"]
