"""ExportConfig validation, artifact naming and format expansion (no conversion)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobench.core.errors import UsageError
from mobench.exporters import ExportConfig, artifact_stem, expand_formats
from mobench.exporters.config import config_fingerprint, parse_format_options, stored_fingerprint
from mobench.exporters.coreml import CoreMLOptions
from mobench.exporters.executorch import ExecuTorchOptions
from mobench.exporters.onnx import OnnxOptions


def test_default_stems_are_the_canonical_name():
    cfg = ExportConfig()
    assert artifact_stem("mobileone_s0", "coreml", cfg) == "mobileone_s0"
    assert artifact_stem("mobileone_s0", "onnx", cfg) == "mobileone_s0"


@pytest.mark.parametrize(
    ("kwargs", "fmt", "stem"),
    [
        ({"reparameterize": False}, "onnx", "mobileone_s0_unfused"),
        ({"input_kind": "image"}, "coreml", "mobileone_s0_image"),
        ({"recipe": "fp32"}, "coreml", "mobileone_s0_fp32"),
        ({"recipe": "fp32"}, "onnx", "mobileone_s0"),  # fp32 is ONNX's default
        ({"recipe": "fp16"}, "onnx", "mobileone_s0_fp16"),
        ({"recipe": "fp16"}, "coreml", "mobileone_s0"),  # fp16 is Core ML's default
        ({"resolution": 256}, "onnx", "mobileone_s0_r256"),
        ({"format_options": (CoreMLOptions(target="iOS17"),)}, "coreml", "mobileone_s0_ios17"),
        ({"format_options": (CoreMLOptions(target="iOS17"),)}, "onnx", "mobileone_s0"),  # a Core ML option
        ({"format_options": (OnnxOptions(opset=18),)}, "onnx", "mobileone_s0_opset18"),
        ({"format_options": (ExecuTorchOptions(delegate="coreml"),)}, "executorch", "mobileone_s0_coreml"),
        (
            {"format_options": (ExecuTorchOptions(delegate="coreml", target="iOS17"),)},
            "executorch",
            "mobileone_s0_coreml_ios17",
        ),
        (
            {"reparameterize": False, "input_kind": "image", "recipe": "fp32"},
            "coreml",
            "mobileone_s0_unfused_image_fp32",
        ),
    ],
)
def test_non_default_options_get_suffixes(kwargs, fmt, stem):
    assert artifact_stem("mobileone_s0", fmt, ExportConfig(**kwargs)) == stem


def test_passthrough_names_are_file_system_safe():
    assert artifact_stem("timm:resnet18", "onnx", ExportConfig()) == "timm-resnet18"


def test_checkpoint_gets_a_hash_suffix():
    assert artifact_stem("mobileone_s0", "onnx", ExportConfig(), None) == "mobileone_s0"
    cfg = ExportConfig(checkpoint="x.pth")
    assert artifact_stem("mobileone_s0", "onnx", cfg, "abcdef0123" + "0" * 54) == "mobileone_s0_ckptabcdef01"


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"recipe": "fp8"}, "unknown recipe 'fp8'"),
        ({"input_kind": "video"}, "unknown input kind"),
        ({"format_options": (CoreMLOptions(target="ios16"),)}, "did you mean iOS16"),
        ({"format_options": (CoreMLOptions(target="iOS12"),)}, "unknown Core ML target"),
        ({"format_options": (OnnxOptions(opset=7),)}, "opset"),
        ({"format_options": (ExecuTorchOptions(delegate="tpu"),)}, "unknown ExecuTorch delegate"),
        ({"format_options": (OnnxOptions(), OnnxOptions(opset=18))}, "two OnnxOptions"),
        ({"resolution": 8}, "resolution"),
        ({"checkpoint": "/nonexistent/ckpt.pth"}, "does not exist"),
    ],
)
def test_bad_options_raise_usage_errors(kwargs, needle):
    with pytest.raises(UsageError, match=needle):
        ExportConfig(**kwargs).validate()


def test_expand_formats():
    assert expand_formats("all") == ["coreml", "onnx", "executorch"]
    assert expand_formats(["onnx", "onnx"]) == ["onnx"]
    assert expand_formats(["onnx", "all"]) == ["onnx", "coreml", "executorch"]
    with pytest.raises(UsageError, match="unknown export format 'tflite'"):
        expand_formats("tflite")


def test_default_out_dir_follows_mobench_results(monkeypatch, tmp_path):
    monkeypatch.setenv("MOBENCH_RESULTS", str(tmp_path))
    assert ExportConfig().out_dir == Path(tmp_path) / "exports"


def test_fingerprint_separates_what_changes_the_file():
    a = config_fingerprint("onnx", ExportConfig(), None)
    ios18 = ExportConfig(format_options=(CoreMLOptions(target="iOS18"),), force=True)
    assert a == config_fingerprint("onnx", ios18, None)  # a Core ML option, flags
    assert a != config_fingerprint("onnx", ExportConfig(reparameterize=False), None)
    assert a != config_fingerprint("onnx", ExportConfig(recipe="fp16"), None)
    assert a != config_fingerprint("onnx", ExportConfig(format_options=(OnnxOptions(opset=18),)), None)
    assert a["recipe"] == "fp32" and config_fingerprint("coreml", ExportConfig(), None)["recipe"] == "fp16"


def test_fingerprints_of_older_manifests_still_match():
    """Manifests written before the recipe rename hold ``precision`` and every format's target/opset keys."""
    old = {
        "format": "onnx",
        "precision": "fp32",
        "input_kind": "tensor",
        "target": None,
        "opset": 17,
        "resolution": 224,
        "reparameterize": True,
        "checkpoint_sha256": None,
    }
    assert stored_fingerprint({"config": old}) == config_fingerprint("onnx", ExportConfig(), None)
    et = {**old, "format": "executorch", "opset": None, "delegate": "coreml", "target": "iOS16"}
    cfg = ExportConfig(format_options=(ExecuTorchOptions(delegate="coreml"),))
    assert stored_fingerprint({"config": et}) == config_fingerprint("executorch", cfg, None)


def test_format_options_from_the_command_line():
    opts = parse_format_options(["target=iOS17", "opset=18"], ["coreml", "onnx", "executorch"])
    assert set(opts) == {CoreMLOptions(target="iOS17"), OnnxOptions(opset=18), ExecuTorchOptions(target="iOS17")}
    assert parse_format_options([], ["onnx"]) == ()
    with pytest.raises(UsageError, match="no selected export format has the option 'opset'.*coreml: target"):
        parse_format_options(["opset=18"], ["coreml"])
    with pytest.raises(UsageError, match="takes a number"):
        parse_format_options(["opset=x"], ["onnx"])
    with pytest.raises(UsageError, match="KEY=VALUE"):
        parse_format_options(["opset"], ["onnx"])
