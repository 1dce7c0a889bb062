"""The export-format contract: checked when a format class is defined, over every registered format."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mobench.core.errors import UsageError
from mobench.exporters import FORMATS, ExportFormat, FormatOptions, export_format
from mobench.exporters.format import OP_KINDS, option
from mobench.exporters.recipes import RECIPES

OPS = {"conv": ("Conv",), "batch_norm": ("BN",), "add": ("Add",)}


def _define(**attrs):
    """Define an ExportFormat subclass with ``attrs`` (hooks included unless overridden)."""
    body = {
        "name": "x",
        "extension": ".x",
        "description": "x",
        "recipes": ("fp32",),
        "ops": OPS,
        "convert": lambda self, job: None,
        "predict": lambda self, path, inputs, job: [],
        **attrs,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return type("Fmt", (ExportFormat,), body)


def test_a_complete_format_defines():
    cls = _define()
    assert cls.default_recipe() == "fp32" and cls().parity_skipped(None) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("attrs", "needle"),
    [
        ({"predict": None}, "does not implement predict"),
        ({"convert": None, "predict": None}, "does not implement convert, predict"),
        ({"recipes": ("fp32", "int3")}, "recipe 'int3'"),
        ({"recipes": ()}, "does not declare recipes"),
        ({"extension": "x"}, "must start with a dot"),
        ({"ops": {"conv": ("Conv",)}}, "ops must name the op kinds"),
        ({"options": dict}, "FormatOptions dataclass"),
    ],
)
def test_a_broken_format_fails_when_defined(attrs, needle):
    with pytest.raises(TypeError, match=needle):
        _define(**attrs)


@pytest.mark.parametrize("fmt", FORMATS.names())
def test_every_registered_format_keeps_the_contract(fmt):
    cls = export_format(fmt)
    assert cls.name == fmt and cls.extension.startswith(".")
    assert set(cls.ops) == set(OP_KINDS) and all(r in RECIPES for r in cls.recipes)
    defaults = cls.options()
    assert defaults.validate() == defaults and defaults.stem_suffixes() == []  # defaults add no suffix
    assert cls.options.from_dict({}) == defaults


def test_options_from_dict_converts_and_checks():
    @dataclass(frozen=True)
    class Opts(FormatOptions):
        level: int = option(1, "a level")
        fast: bool = option(False, "a switch")

    assert Opts.from_dict({"level": "2", "fast": "yes"}) == Opts(level=2, fast=True)
    assert Opts(level=2).stem_suffixes() == ["level2"] and Opts().non_default() == {}
    with pytest.raises(UsageError, match="has no option 'speed'.*level, fast"):
        Opts.from_dict({"speed": 1})
    with pytest.raises(UsageError, match="true or false"):
        Opts.from_dict({"fast": "maybe"})
