"""Core ML exports: a valid .mlpackage (spec loads), MIL op histogram, metadata, image input.

Conversion runs everywhere; prediction parity needs macOS (``macos`` marker).
"""

from __future__ import annotations

import sys

import pytest

from mobench.core.util import sha256_path
from mobench.exporters import read_manifest
from mobench.exporters.coreml import PARITY_SKIPPED, import_coremltools, op_histogram_from_spec


def _spec(path):
    ct = import_coremltools()
    return ct.utils.load_spec(str(path))


def test_s0_mlpackage_loads_and_is_fused(s0_coreml):
    assert s0_coreml.path.name == "mobileone_s0.mlpackage" and s0_coreml.path.is_dir()
    spec = _spec(s0_coreml.path)
    assert spec.WhichOneof("Type") == "mlProgram"
    hist = op_histogram_from_spec(spec)
    assert hist == s0_coreml.manifest["op_histogram"]  # the manifest describes the file on disk
    assert hist["conv"] == 43 and "batch_norm" not in hist
    checks = {c["name"]: c["passed"] for c in s0_coreml.manifest["structural_check"]["checks"]}
    assert checks == {"no_batch_norm": True, "one_conv_per_block": True, "conv_count": True}


def test_s0_mlpackage_interface_and_metadata(s0_coreml):
    spec = _spec(s0_coreml.path)
    assert [i.name for i in spec.description.input] == ["input"]
    assert [o.name for o in spec.description.output] == ["logits"]
    assert list(spec.description.input[0].type.multiArrayType.shape) == [1, 3, 224, 224]
    # the manifest states the I/O dtypes the package really has (fp16 programs get fp16 I/O)
    fp16 = 65552
    assert (spec.description.input[0].type.multiArrayType.dataType == fp16) == (
        s0_coreml.manifest["input"]["dtype"] == "float16"
    )
    assert (spec.description.output[0].type.multiArrayType.dataType == fp16) == (
        s0_coreml.manifest["output"]["dtype"] == "float16"
    )
    meta = spec.description.metadata
    assert "mobileone_s0" in meta.shortDescription and meta.license and meta.versionString
    assert spec.description.input[0].shortDescription and spec.description.output[0].shortDescription
    user = dict(meta.userDefined)
    assert user["mobench.model"] == "mobileone_s0" and user["mobench.reparameterized"] == "true"
    assert user["mobench.recipe"] == "fp16"
    m = s0_coreml.manifest
    assert m["recipe"]["name"] == "fp16" and m["target"] == "iOS16" and m["opset"] is None
    assert m["sha256"] == sha256_path(s0_coreml.path)
    assert read_manifest(s0_coreml.manifest_path)["artifacts"]["coreml"] == m


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS the export runs Core ML parity instead")
def test_parity_is_recorded_as_skipped_off_macos(s0_coreml):
    assert s0_coreml.manifest["parity"] == {"status": "skipped", "reason": PARITY_SKIPPED}


def test_image_input_baseline(mnv3_coreml_image):
    art = mnv3_coreml_image
    assert art.path.name == "mobilenet_v3_small_image.mlpackage"
    spec = _spec(art.path)
    (inp,) = spec.description.input
    assert inp.name == "image" and inp.type.WhichOneof("Type") == "imageType"
    assert (inp.type.imageType.width, inp.type.imageType.height) == (224, 224)
    assert inp.type.imageType.colorSpace == inp.type.imageType.RGB
    pre = art.manifest["input"]["preprocessing"]
    assert pre["image_type_scale"] == pytest.approx(1 / 255)
    assert pre["image_type_bias"] == pytest.approx([-0.485, -0.456, -0.406])
    assert pre["graph_multiply"] == pytest.approx([1 / 0.229, 1 / 0.224, 1 / 0.225])
    # the scale/bias really are in the ML program (a scale-and-bias on the image before the graph)
    ops = art.manifest["op_histogram"]
    assert ops.get("mul", 0) >= 1 and ops["conv"] == art.manifest["structural_check"]["counts"]["torch_convs"]


@pytest.mark.macos
def test_coreml_prediction_parity_on_macos(s0_coreml, mnv3_coreml_image):
    for art in (s0_coreml, mnv3_coreml_image):
        par = art.manifest["parity"]
        assert par["status"] == "passed", par
        assert par["max_abs_diff"] <= par["rtol"] * par["max_abs_ref"] + par["atol"]
