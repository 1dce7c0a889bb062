"""Recipes across formats: every (format, recipe) the registry offers exports the tiny net,
checked structurally and for parity against PyTorch fp32, and records its parity rule."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from mobench.core.errors import ExportError, UsageError
from mobench.exporters import (
    FORMATS,
    ExportConfig,
    check_recipe,
    export,
    export_format,
    format_recipes,
)
from mobench.exporters.checks import compare_quantized
from mobench.exporters.coreml import CoreMLOptions
from mobench.exporters.executorch import ExecuTorchOptions
from mobench.exporters.manifest import read_manifest
from mobench.exporters.recipes import RECIPES

# Core ML w8a8 calibrates through Core ML predictions (macOS only); tested separately below.
CASES = [(f, r) for f in FORMATS.names() for r in format_recipes(f) if not (f == "coreml" and r == "w8a8")]


@pytest.mark.parametrize(("fmt", "recipe"), CASES, ids=[f"{f}-{r}" for f, r in CASES])
def test_every_format_recipe_exports_with_checks(tiny_rep, cfg, fmt, recipe, monkeypatch):
    import dataclasses

    from mobench.exporters import coreml

    monkeypatch.setattr(coreml, "WEIGHT_THRESHOLD", 64)  # the tiny net's tensors are small: compress them anyway

    art = export(tiny_rep, fmt, dataclasses.replace(cfg, recipe=recipe))
    m = art.manifest
    assert art.path.exists() and art.path.suffix == export_format(fmt).extension
    assert "precision" not in m and m["recipe"]["name"] == recipe
    assert m["structural_check"]["status"] == "passed"
    names = {c["name"] for c in m["structural_check"]["checks"]}
    assert {"no_batch_norm", "one_conv_per_block", "conv_count"} <= names
    rule = m["recipe"]["parity_rule"]
    if RECIPES[recipe].quantized:
        assert rule["kind"] == "quantized" and rule["min_cosine"] == RECIPES[recipe].min_cosine
        assert rule["max_spread_error"] == RECIPES[recipe].max_spread_error
    else:
        assert rule["kind"] == "elementwise" and rule["rtol"] in (5e-4, 2e-2)
    if fmt == "coreml" and sys.platform != "darwin":
        assert m["parity"]["status"] == "skipped" and "macOS" in m["parity"]["reason"]
    else:
        assert m["parity"]["status"] == "passed", m["parity"]
    if recipe != format_recipes(fmt)[0]:
        assert f"_{recipe}_" in art.path.parent.name + "_"
    if fmt == "coreml" and RECIPES[recipe].quantized:
        assert {c["name"]: c["passed"] for c in m["structural_check"]["checks"]}["compressed_weights"]
        assert any(k.startswith("constexpr_") for k in m["op_histogram"])
    read_manifest(art.manifest_path)  # validates against the registry-generated schema


def test_onnx_int8_is_qdq_and_int8_dynamic_uses_integer_kernels(tiny_rep, cfg):
    import dataclasses

    static = export(tiny_rep, "onnx", dataclasses.replace(cfg, recipe="int8")).manifest
    assert static["op_histogram"].get("QuantizeLinear", 0) > 0 and static["op_histogram"].get("DequantizeLinear", 0) > 0
    assert static["recipe"]["applied"]["tool"] == "onnxruntime.quantization.quantize_static"
    assert "seeded" in static["recipe"]["applied"]["calibration"]
    dyn = export(tiny_rep, "onnx", dataclasses.replace(cfg, recipe="int8-dynamic")).manifest
    assert dyn["op_histogram"].get("ConvInteger", 0) + dyn["op_histogram"].get("MatMulInteger", 0) > 0


def test_onnx_int8_calibrates_on_an_image_folder(tiny_rep, cfg, tmp_path):
    import dataclasses

    import numpy as np
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (80, 100, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    m = export(tiny_rep, "onnx", dataclasses.replace(cfg, recipe="int8", calibration_dir=str(folder))).manifest
    assert str(folder) in m["recipe"]["applied"]["calibration"]
    assert m["config"]["calibration_dir"] == str(folder.resolve())


def test_executorch_records_delegation_share(tiny_rep, cfg):
    m = export(tiny_rep, "executorch", cfg).manifest
    deleg = m["structural_check"]["counts"]["delegation"]
    assert deleg["delegated_subgraphs"] >= 1 and 0.5 < deleg["delegated_share"] <= 1.0
    checks = {c["name"]: c for c in m["structural_check"]["checks"]}
    assert checks["convs_delegated"]["passed"] and checks["convs_delegated"]["actual"] == 0
    assert m["exporter"]["delegate"] == "xnnpack"


def test_executorch_coreml_delegate_is_export_checked(tiny_rep, cfg):
    import dataclasses

    art = export(
        tiny_rep, "executorch", dataclasses.replace(cfg, format_options=(ExecuTorchOptions(delegate="coreml"),))
    )
    m = art.manifest
    assert art.path.parent.name.endswith("_coreml") and m["exporter"]["delegate"] == "coreml"
    assert m["structural_check"]["status"] == "passed"
    assert m["structural_check"]["counts"]["delegation"]["delegated_subgraphs"] >= 1
    assert m["parity"]["status"] == "skipped" and "Apple hardware" in m["parity"]["reason"]


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS w8a8 calibrates and exports")
def test_coreml_w8a8_says_why_it_cannot_run_here(tiny_rep, cfg):
    import dataclasses

    with pytest.raises(ExportError, match="need macOS"):
        export(
            tiny_rep, "coreml", dataclasses.replace(cfg, recipe="w8a8", format_options=(CoreMLOptions(target="iOS17"),))
        )
    with pytest.raises(ExportError, match="needs target iOS17"):
        export(tiny_rep, "coreml", dataclasses.replace(cfg, recipe="w8a8"))


@pytest.mark.parametrize(
    ("fmt", "recipe", "needle"),
    [
        ("onnx", "int9", "unknown recipe 'int9'; valid recipes: fp32, fp16, int8"),
        ("onnx", "palettize4", "format onnx has no recipe 'palettize4'; onnx recipes: fp32, fp16, int8, int8-dynamic"),
        ("executorch", "fp16", "format executorch has no recipe 'fp16'; executorch recipes: fp32, int8"),
    ],
)
def test_unknown_or_unsupported_recipe_is_a_one_line_usage_error(fmt, recipe, needle):
    with pytest.raises(UsageError) as err:
        check_recipe(fmt, recipe)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_recipe_is_the_one_name():
    assert ExportConfig(recipe="int8").recipe_for("onnx") == "int8"
    with pytest.raises(TypeError):
        ExportConfig(precision="int8")  # type: ignore[call-arg]  # the former name is gone
    assert not hasattr(ExportConfig, "precision_for")


def _random_logits(n=8, classes=1000, spread=0.6, seed=0):
    """Logits like a random-weight network's: close together (std ``spread``), a small common offset."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return [rng.normal(-0.02, spread, (1, classes)) for _ in range(n)]


def test_quantized_parity_passes_an_8_bit_like_error_whatever_the_arg_max():
    """Noise of a third of the logits' spread (what int8 gives on random weights) passes,
    although it reorders the crowded first places of random logits."""
    import numpy as np

    rng = np.random.default_rng(1)
    refs = _random_logits()
    noisy = [r + 0.35 * r.std() * rng.standard_normal(r.shape) for r in refs]
    res = compare_quantized(noisy, refs, "int8", "test")
    assert res["status"] == "passed", res["reason"]
    assert 0.3 < res["max_spread_error_measured"] < 0.45 and res["min_cosine_measured"] > 0.9
    assert res["top1_agreement"] < 1.0 and res["top5_agreement"] >= res["top1_agreement"]  # recorded, not judged
    assert res["kind"] == "quantized" and res["max_spread_error"] == RECIPES["int8"].max_spread_error


@pytest.mark.parametrize(
    ("broken", "caught_by"),
    [
        (lambda r, rng: np.zeros_like(r) + 0.5, "cosine"),  # collapsed output
        (lambda r, rng: rng.normal(0, r.std(), r.shape), "cosine"),  # unrelated output
        (lambda r, rng: -r, "cosine"),  # sign flipped
        (lambda r, rng: r + 2.0 * r.std(), "cosine"),  # an offset (a lost zero point)
        (lambda r, rng: 2.0 * r, "spread"),  # wrong output scale: cosine 1, error = the spread
        (lambda r, rng: -0.2 * r, "cosine"),  # a requantize with the wrong sign
    ],
    ids=["collapsed", "unrelated", "negated", "offset", "scaled-x2", "negated-small"],
)
def test_quantized_parity_fails_a_broken_quantization(broken, caught_by):
    rng = np.random.default_rng(2)
    refs = _random_logits()
    res = compare_quantized([broken(r, rng) for r in refs], refs, "int8", "test")
    assert res["status"] == "failed" and "against PyTorch fp32" in res["reason"]
    if caught_by == "cosine":
        assert res["min_cosine_measured"] < RECIPES["int8"].min_cosine
    else:  # what cosine cannot see: the error relative to the fp32 logits' spread does
        assert res["min_cosine_measured"] > 0.85 and res["max_spread_error_measured"] >= 0.99


def test_a_deliberately_broken_int8_model_fails_parity(tiny_rep, cfg, monkeypatch):
    """An int8 ONNX graph whose output scale is wrong (as a bad requantize gives) fails the export."""
    import dataclasses

    import onnx
    from onnx import numpy_helper

    from mobench.exporters import onnx as onnx_format

    real = onnx_format.quantize

    def break_scale(model, job):
        qmodel, applied = real(model, job)
        # the dequantize of the logits gets twice its scale, as a wrong requantize would give (cosine
        # cannot see it; a new initializer, since the old one is shared with the QuantizeLinear)
        inits = {t.name: t for t in qmodel.graph.initializer}
        dq = next(n for n in qmodel.graph.node if n.output[0] == "logits")
        assert dq.op_type == "DequantizeLinear"
        doubled = numpy_helper.from_array(numpy_helper.to_array(inits[dq.input[1]]) * 2.0, "broken_scale")
        qmodel.graph.initializer.append(doubled)
        dq.input[1] = "broken_scale"
        onnx.checker.check_model(qmodel)
        return qmodel, applied

    monkeypatch.setattr(onnx_format, "quantize", break_scale)
    with pytest.raises(ExportError, match="of the fp32 logits' spread"):
        export(tiny_rep, "onnx", dataclasses.replace(cfg, recipe="int8"))
    assert not any(cfg.out_dir.rglob("*.onnx"))
