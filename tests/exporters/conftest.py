"""Fixtures for exporter tests.

Real exports of MobileOne S0 and a MobileNetV3-Small baseline are made once per
session (they take seconds each); failure-path tests use ``tiny_rep``, a
three-block reparameterizable net that exports in well under a second and is
added to the registry only for the test that asks for it (so registry-wide
tests elsewhere never see it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

TINY = "tiny_rep_test"


def _tiny_rep(*, inference_mode: bool = False, **_):
    import torch.nn as nn

    from mobench.models.mobileone import MobileOneBlock

    class TinyRep(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = MobileOneBlock(3, 8, 3, stride=2, padding=1, inference_mode=inference_mode, num_conv_branches=2)
            self.dw = MobileOneBlock(
                8, 8, 3, stride=1, padding=1, groups=8, inference_mode=inference_mode, num_conv_branches=2
            )
            self.pw = MobileOneBlock(8, 16, 1, inference_mode=inference_mode, num_conv_branches=2)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.head = nn.Linear(16, 10)

        def forward(self, x):
            return self.head(self.pool(self.pw(self.dw(self.stem(x)))).flatten(1))

    return TinyRep().eval()


@pytest.fixture
def tiny_rep(monkeypatch):
    """Register ``tiny_rep_test`` (3 MobileOne blocks, 2 branches each) for one test."""
    from mobench.models import _registry

    info = _registry.ModelInfo(
        name=TINY,
        family="tiny",
        kind="convnet",
        source="mobench",
        reparameterizable=True,
        description="three MobileOne blocks (tests only)",
        fn=_tiny_rep,
    )
    monkeypatch.setitem(_registry.MODELS, TINY, _tiny_rep)
    monkeypatch.setitem(_registry._INFO, TINY, info)
    return TINY


def _tiny_plain(*, inference_mode: bool = False, **_):
    import torch.nn as nn

    return nn.Sequential(
        nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10)
    ).eval()


@pytest.fixture
def tiny_plain(monkeypatch):
    """Register ``tiny_plain_test`` (conv-BN-ReLU + linear, not reparameterizable) for one test."""
    from mobench.models import _registry

    info = _registry.ModelInfo(
        name="tiny_plain_test",
        family="tiny",
        kind="convnet",
        source="mobench",
        description="conv-BN-ReLU + linear (tests only)",
        fn=_tiny_plain,
    )
    monkeypatch.setitem(_registry.MODELS, "tiny_plain_test", _tiny_plain)
    monkeypatch.setitem(_registry._INFO, "tiny_plain_test", info)
    return "tiny_plain_test"


@pytest.fixture
def cfg(tmp_path):
    """A fast ExportConfig into a fresh folder (64x64 input)."""
    from mobench.exporters import ExportConfig

    return ExportConfig(out_dir=tmp_path / "exports", resolution=64)


def _export(factory, name, fmt, **kw):
    from mobench.exporters import ExportConfig, export

    out = Path(factory.mktemp(f"{name}-{fmt}"))
    return export(name, fmt, ExportConfig(out_dir=out, **kw))


@pytest.fixture(scope="session")
def s0_onnx(tmp_path_factory):
    return _export(tmp_path_factory, "s0", "onnx")


@pytest.fixture(scope="session")
def s0_unfused_onnx(tmp_path_factory):
    return _export(tmp_path_factory, "s0", "onnx", reparameterize=False)


@pytest.fixture(scope="session")
def s0_coreml(tmp_path_factory):
    return _export(tmp_path_factory, "s0", "coreml")


@pytest.fixture(scope="session")
def mnv3_onnx_fp16(tmp_path_factory):
    return _export(tmp_path_factory, "mobilenet_v3_small", "onnx", recipe="fp16")


@pytest.fixture(scope="session")
def mnv3_coreml_image(tmp_path_factory):
    return _export(tmp_path_factory, "mobilenet_v3_small", "coreml", input_kind="image")
