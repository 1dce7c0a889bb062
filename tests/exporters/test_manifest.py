"""The manifest schema: what it accepts, what it rejects, and read_manifest's errors."""

from __future__ import annotations

import copy
import json

import pytest

from mobench.core.errors import SchemaError, UsageError
from mobench.exporters import SCHEMA_VERSION, export, read_manifest, validate_manifest


@pytest.fixture
def doc(tiny_rep, cfg):
    art = export(tiny_rep, "onnx", cfg)
    return art, json.loads(art.manifest_path.read_text())


def test_written_manifest_validates_and_reads_from_folder_or_file(doc):
    art, d = doc
    assert d["schema_version"] == SCHEMA_VERSION
    assert read_manifest(art.path.parent) == d == read_manifest(art.manifest_path) == read_manifest(art.path)
    entry = d["artifacts"]["onnx"]
    for key in (
        "model",
        "family",
        "variant",
        "reparameterized",
        "input",
        "output",
        "recipe",
        "opset",
        "params",
        "macs",
        "op_histogram",
        "parity",
        "sha256",
        "versions",
        "created",
    ):
        assert key in entry
    assert entry["input"]["preprocessing"]["mean"] == [0.485, 0.456, 0.406]


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d["artifacts"]["onnx"].pop("sha256"), "'sha256' is a required property"),
        (lambda d: d["artifacts"]["onnx"].update(sha256="xyz"), "sha256"),
        (lambda d: d["artifacts"]["onnx"].update(precision="fp8"), "precision"),
        (lambda d: d["artifacts"]["onnx"]["recipe"].update(name="fp8"), "recipe/name"),
        (lambda d: d["artifacts"]["onnx"].pop("recipe"), "is not valid under any of the given schemas"),
        (lambda d: d["artifacts"]["onnx"]["parity"].update(status="maybe"), "parity/status"),
        (lambda d: d["artifacts"].update(tflite=d["artifacts"]["onnx"]), "tflite"),
        (lambda d: d.update(schema_version=0), "schema_version"),
    ],
)
def test_schema_rejects_broken_manifests(doc, mutate, needle):
    _, d = doc
    bad = copy.deepcopy(d)
    mutate(bad)
    with pytest.raises(SchemaError, match=needle):
        validate_manifest(bad)


def test_newer_schema_says_upgrade(doc):
    _, d = doc
    with pytest.raises(SchemaError, match="upgrade mobench"):
        validate_manifest({**d, "schema_version": SCHEMA_VERSION + 1})


def test_read_manifest_errors(tmp_path, doc):
    art, _ = doc
    with pytest.raises(UsageError, match="no export manifest"):
        read_manifest(tmp_path / "nowhere")
    art.manifest_path.write_text("{not json")
    with pytest.raises(SchemaError, match="not readable JSON"):
        read_manifest(art.manifest_path)


def test_a_manifest_from_before_the_recipe_entry_still_reads(doc):
    """Older manifests name the recipe in ``precision`` only; they validate and say their recipe."""
    from mobench.exporters import manifest_recipe

    _, d = doc
    old = copy.deepcopy(d)
    entry = old["artifacts"]["onnx"]
    entry.pop("recipe")
    entry["precision"] = "fp32"
    validate_manifest(old)
    assert manifest_recipe(entry) == "fp32" and manifest_recipe(d["artifacts"]["onnx"]) == "fp32"
