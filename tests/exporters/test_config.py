"""ExportConfig validation, artifact naming and format expansion (no conversion)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobench.core.errors import UsageError
from mobench.exporters import ExportConfig, artifact_stem, expand_formats
from mobench.exporters.config import config_fingerprint


def test_default_stems_are_the_canonical_name():
    cfg = ExportConfig()
    assert artifact_stem("mobileone_s0", "coreml", cfg) == "mobileone_s0"
    assert artifact_stem("mobileone_s0", "onnx", cfg) == "mobileone_s0"


@pytest.mark.parametrize(
    ("kwargs", "fmt", "stem"),
    [
        ({"reparameterize": False}, "onnx", "mobileone_s0_unfused"),
        ({"input_kind": "image"}, "coreml", "mobileone_s0_image"),
        ({"precision": "fp32"}, "coreml", "mobileone_s0_fp32"),
        ({"precision": "fp32"}, "onnx", "mobileone_s0"),  # fp32 is ONNX's default
        ({"precision": "fp16"}, "onnx", "mobileone_s0_fp16"),
        ({"precision": "fp16"}, "coreml", "mobileone_s0"),  # fp16 is Core ML's default
        ({"resolution": 256}, "onnx", "mobileone_s0_r256"),
        ({"target": "iOS17"}, "coreml", "mobileone_s0_ios17"),
        ({"target": "iOS17"}, "onnx", "mobileone_s0"),  # a Core ML option
        ({"opset": 18}, "onnx", "mobileone_s0_opset18"),
        (
            {"reparameterize": False, "input_kind": "image", "precision": "fp32"},
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
        ({"precision": "fp8"}, "unknown recipe 'fp8'"),
        ({"input_kind": "video"}, "unknown input kind"),
        ({"target": "ios16"}, "did you mean iOS16"),
        ({"target": "iOS12"}, "unknown Core ML target"),
        ({"opset": 7}, "opset"),
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
    assert a == config_fingerprint("onnx", ExportConfig(target="iOS18", force=True), None)  # Core ML option, flags
    assert a != config_fingerprint("onnx", ExportConfig(reparameterize=False), None)
    assert a != config_fingerprint("onnx", ExportConfig(precision="fp16"), None)
    assert a["precision"] == "fp32" and config_fingerprint("coreml", ExportConfig(), None)["precision"] == "fp16"
