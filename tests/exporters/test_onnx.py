"""ONNX exports of MobileOne S0 (fused and unfused) and an fp16 baseline: structure, parity, manifest."""

from __future__ import annotations

import onnx
import pytest

from mobench.core.util import sha256_path
from mobench.exporters import SCHEMA_VERSION, read_manifest


def test_fused_s0_has_43_convs_and_no_batch_norm(s0_onnx):
    m = s0_onnx.manifest
    assert s0_onnx.path.name == "mobileone_s0.onnx" and s0_onnx.path.parent.name == "mobileone_s0"
    assert m["reparameterizable"] is True and m["reparameterized"] is True
    assert m["op_histogram"]["Conv"] == 43
    assert "BatchNormalization" not in m["op_histogram"]
    assert m["structural_check"]["status"] == "passed"
    # the histogram describes the file on disk
    graph_ops = [n.op_type for n in onnx.load(str(s0_onnx.path)).graph.node]
    assert graph_ops.count("Conv") == 43 and "BatchNormalization" not in graph_ops


def test_fused_s0_parity_and_interface(s0_onnx):
    m = s0_onnx.manifest
    assert m["parity"]["status"] == "passed"
    assert m["parity"]["max_abs_diff"] <= m["parity"]["rtol"] * m["parity"]["max_abs_ref"] + m["parity"]["atol"]
    assert m["parity"]["top1_agrees"] is True
    assert m["input"] == {
        **m["input"],
        "name": "input",
        "shape": [1, 3, 224, 224],
        "dtype": "float32",
        "layout": "NCHW",
        "kind": "tensor",
    }
    assert m["output"]["name"] == "logits" and m["output"]["shape"] == [1, 1000]
    assert m["opset"] == 17 and m["recipe"]["name"] == "fp32" and m["target"] is None
    model = onnx.load(str(s0_onnx.path))
    assert [i.name for i in model.graph.input] == ["input"] and [o.name for o in model.graph.output] == ["logits"]
    assert {p.key: p.value for p in model.metadata_props}["mobench.model"] == "mobileone_s0"
    # one self-contained file, no external data
    assert sorted(p.name for p in s0_onnx.path.parent.iterdir() if not p.name.startswith(".")) == [
        "manifest.json",
        "mobileone_s0.onnx",
    ]


def test_s0_manifest_fields(s0_onnx):
    doc = read_manifest(s0_onnx.manifest_path)
    assert doc["schema_version"] == SCHEMA_VERSION and set(doc["artifacts"]) == {"onnx"}
    m = doc["artifacts"]["onnx"]
    assert m == s0_onnx.manifest
    assert (m["model"], m["family"], m["variant"]) == ("mobileone_s0", "mobileone", "s0")
    assert m["sha256"] == sha256_path(s0_onnx.path)
    assert m["size_bytes"] == s0_onnx.path.stat().st_size
    # paper / reference: fused S0 has 2.08 M params and 275 M MACs at 224x224
    assert abs(m["params"] / 1e6 - 2.08) < 0.01
    assert abs(m["macs"] / 1e6 - 275) < 1
    assert m["weights"]["source"] == "random" and m["weights"]["bn_calibrated"] is True
    for tool in ("mobench", "torch", "onnx", "onnxruntime", "coremltools"):
        assert m["versions"][tool]


def test_unfused_s0_really_contains_the_branches(s0_unfused_onnx, s0_onnx):
    m = s0_unfused_onnx.manifest
    assert s0_unfused_onnx.path.name == "mobileone_s0_unfused.onnx"
    assert m["reparameterizable"] is True and m["reparameterized"] is False
    names = {c["name"]: c for c in m["structural_check"]["checks"]}
    assert names["branches_present"]["passed"] and names["conv_count"]["passed"]
    # S0 has k=4 conv branches (+ a 1x1 scale branch on 3x3 blocks): far more than one conv per block
    assert m["op_histogram"]["Conv"] == m["structural_check"]["counts"]["torch_convs"] > 4 * 43
    assert m["op_histogram"]["Add"] >= 43
    assert m["parity"]["status"] == "passed"
    # the unfused graph has more params than the fused one (paper: 5.29 M vs 2.08 M for S0)
    assert m["params"] > s0_onnx.manifest["params"]


def test_fp16_baseline_keeps_float32_interface(mnv3_onnx_fp16):
    m = mnv3_onnx_fp16.manifest
    assert mnv3_onnx_fp16.path.name == "mobilenet_v3_small_fp16.onnx"
    assert (
        m["recipe"]["name"] == "fp16"
        and m["parity"]["status"] == "passed"
        and m["parity"]["rtol"] == pytest.approx(2e-2)
    )
    model = onnx.load(str(mnv3_onnx_fp16.path))
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    fp16_weights = [t for t in model.graph.initializer if t.data_type == onnx.TensorProto.FLOAT16]
    assert len(fp16_weights) > 10
    assert m["reparameterizable"] is False and m["structural_check"]["checks"] == []


def test_image_input_bakes_in_normalization(tiny_rep, cfg):
    import numpy as np
    import onnxruntime as ort

    from mobench.exporters import ExportConfig, export

    art = export(tiny_rep, "onnx", cfg)
    img = export(tiny_rep, "onnx", ExportConfig(out_dir=cfg.out_dir, resolution=64, input_kind="image"))
    assert img.path.name == f"{tiny_rep}_image_r64.onnx" and img.manifest["input"]["kind"] == "image"
    pre = img.manifest["input"]["preprocessing"]
    assert pre["pixel_range"] == [0, 255] and pre["color_layout"] == "RGB"
    pixels = np.random.default_rng(0).integers(0, 256, (1, 3, 64, 64)).astype(np.float32)
    mean = np.array(pre["mean"], dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.array(pre["std"], dtype=np.float32).reshape(1, 3, 1, 1)
    run = lambda p, x: ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]  # noqa: E731
    np.testing.assert_allclose(run(img.path, pixels), run(art.path, (pixels / 255 - mean) / std), rtol=1e-4, atol=1e-4)


def test_dynamo_exporter_is_the_fallback(tiny_rep, cfg, monkeypatch):
    from mobench.exporters import export
    from mobench.exporters import onnx as onnx_exporter

    def broken(*a, **k):
        raise RuntimeError("Exporting the operator 'aten::fancy' to ONNX opset version 17 is not supported")

    monkeypatch.setattr(onnx_exporter, "_export_torchscript", broken)
    art = export(tiny_rep, "onnx", cfg)
    ex = art.manifest["exporter"]
    assert ex["name"].startswith("torch.onnx dynamo") and "aten::fancy" in ex["fallback_reasons"][0]
    assert art.manifest["parity"]["status"] == "passed" and art.manifest["structural_check"]["status"] == "passed"
    assert art.manifest["opset"] >= 17 and ex["opset_requested"] == 17  # the manifest says what was written


def test_both_exporters_failing_is_one_clear_error(tiny_rep, cfg, monkeypatch):
    from mobench.core.errors import ExportError
    from mobench.exporters import export
    from mobench.exporters import onnx as onnx_exporter

    def broken(*a, **k):
        raise RuntimeError("unsupported operator 'aten::fancy'")

    monkeypatch.setattr(onnx_exporter, "_export_torchscript", broken)
    monkeypatch.setattr(onnx_exporter, "_export_dynamo", broken)
    with pytest.raises(ExportError, match=r"torch.onnx cannot export this model: .*aten::fancy.*\|.*aten::fancy"):
        export(tiny_rep, "onnx", cfg)
    assert not cfg.out_dir.exists() or not any(cfg.out_dir.iterdir())
