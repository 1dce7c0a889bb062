"""Mobile-Former (Chen et al., CVPR 2022): the seven variants against the published table.

Params and MACs are counted on the ``meta`` device (no memory, no compute), so every
variant runs in the default suite; one variant is also counted on real tensors with
the shared ``count_macs`` helper.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from mobench.models import create_model, list_models, model_info
from mobench.models.complexity import count_macs, count_params
from mobench.models.mobileformer import (
    MOBILEFORMER_CONFIGS,
    ChannelShuffle,
    DynamicReLU,
    MobileFormer,
)

VARIANTS = ["508m", "294m", "214m", "151m", "96m", "52m", "26m"]

# Published params (M): Chen et al., CVPR 2022 (mobench/data/mobileformer_variants.csv).
PAPER_PARAMS_M = {"508m": 14.0, "294m": 11.4, "214m": 9.4, "151m": 7.6, "96m": 4.6, "52m": 3.5, "26m": 3.2}

# MACs (M) as torch's FlopCounterMode counts them (flops / 2, 1x3x224x224) on the public
# reference implementation whose params match the table (counted with
# mobench.models.complexity.count_macs). The published MAdds (508 ... 26) are higher because they also
# count elementwise work (dynamic ReLU, softmax, ...) that the counter skips.
COUNTED_MACS_M = {"508m": 498, "294m": 287, "214m": 208, "151m": 146, "96m": 92, "52m": 49, "26m": 24}
PUBLISHED_MADDS_M = {"508m": 508, "294m": 294, "214m": 214, "151m": 151, "96m": 96, "52m": 52, "26m": 26}

# mobench/data/mobileformer_variants.csv: tokens, token_dim, stem_channels, head_fc.
CSV_STRUCTURE = {
    "508m": (6, 192, 24, 1920),
    "294m": (6, 192, 16, 1920),
    "214m": (6, 192, 12, 1600),
    "151m": (6, 192, 12, 1280),
    "96m": (4, 128, 12, 1280),
    "52m": (3, 128, 8, 1024),
    "26m": (3, 128, 8, 1024),
}

PARAMS_REL = 0.02  # an implementation of the published architecture matches its params within 2%
MACS_REL = 0.03  # and its counted MACs within 3%


def _meta_model(variant: str) -> nn.Module:
    with torch.device("meta"):
        return create_model(f"mobileformer_{variant}")


def _meta_macs_m(model: nn.Module) -> float:
    with FlopCounterMode(display=False) as counter:
        model(torch.empty(1, 3, 224, 224, device="meta"))
    return counter.get_total_flops() / 2 / 1e6


# --------------------------------------------------------------------------- registry


def test_all_variants_registered() -> None:
    assert list_models("mobileformer_*") == sorted(f"mobileformer_{v}" for v in VARIANTS)
    for v in VARIANTS:
        info = model_info(f"mobileformer_{v}")
        assert (info.family, info.kind, info.source) == ("mobileformer", "transformer", "mobench")
        assert not info.reparameterizable
        assert info.config is MOBILEFORMER_CONFIGS[f"mobileformer_{v}"]
        # only 52M and 96M are rows of the MobileOne paper's Table 9
        assert info.paper_name == (f"mobileformer_{v}" if v in ("52m", "96m") else None)


@pytest.mark.parametrize("variant", VARIANTS)
def test_config_matches_published_table(variant: str) -> None:
    cfg = MOBILEFORMER_CONFIGS[f"mobileformer_{variant}"]
    assert (cfg.num_tokens, cfg.token_dim, cfg.stem_channels, cfg.head_width) == CSV_STRUCTURE[variant]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.token_dim = 1  # type: ignore[misc]


# --------------------------------------------------------------------------- params / MACs


@pytest.mark.parametrize("variant", VARIANTS)
def test_params_match_paper(variant: str) -> None:
    n = count_params(_meta_model(variant)) / 1e6
    assert n == pytest.approx(PAPER_PARAMS_M[variant], rel=PARAMS_REL)


@pytest.mark.parametrize("variant", VARIANTS)
def test_macs_match_counter_on_reference(variant: str) -> None:
    macs = _meta_macs_m(_meta_model(variant))
    assert macs == pytest.approx(COUNTED_MACS_M[variant], rel=MACS_REL)
    assert macs < PUBLISHED_MADDS_M[variant]  # elementwise work is not counted


def test_shared_count_macs_on_real_tensors() -> None:
    model = create_model("mobileformer_52m")
    macs = count_macs(model, 224)
    assert macs / 1e6 == pytest.approx(COUNTED_MACS_M["52m"], rel=MACS_REL)
    assert macs / 1e6 == pytest.approx(_meta_macs_m(_meta_model("52m")), abs=1e-6)


def test_attention_is_counted() -> None:
    """Plain matmul attention: the counter sees bmm work on top of convs and linears."""
    with torch.device("meta"):
        model = create_model("mobileformer_52m")
    with FlopCounterMode(display=False) as counter:
        model(torch.empty(1, 3, 224, 224, device="meta"))
    ops = {str(k) for k in counter.get_flop_counts()["Global"]}
    assert any("bmm" in op for op in ops), ops


# --------------------------------------------------------------------------- forward


@pytest.mark.parametrize("variant", VARIANTS)
def test_forward_shape(variant: str) -> None:
    torch.manual_seed(0)
    model = create_model(f"mobileformer_{variant}")
    with torch.no_grad():
        y = model(torch.randn(1, 3, 224, 224))
    assert y.shape == (1, 1000)
    assert torch.isfinite(y).all()


def test_num_classes_and_batch() -> None:
    model = create_model("mobileformer_26m", num_classes=10)
    with torch.no_grad():
        assert model(torch.randn(2, 3, 160, 160)).shape == (2, 10)


def test_inference_mode_is_ignored() -> None:
    a = _meta_model("52m")
    with torch.device("meta"):
        b = create_model("mobileformer_52m", inference_mode=True)
    assert list(a.state_dict()) == list(b.state_dict())


def test_26m_uses_grouped_pointwise_convs_and_shuffle() -> None:
    m26, m52 = _meta_model("26m"), _meta_model("52m")
    for model, groups in ((m26, 4), (m52, 1)):
        pointwise = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1)]
        assert pointwise and all(m.groups == groups for m in pointwise)
    assert any(isinstance(m, ChannelShuffle) for m in m26.modules())
    assert not any(isinstance(m, ChannelShuffle) for m in m52.modules())


def test_dynamic_relu_depends_on_first_token_only() -> None:
    torch.manual_seed(0)
    act = DynamicReLU(channels=8, token_dim=16, reduction=4, scale=2.0).eval()
    x = torch.randn(2, 8, 5, 5)
    z = torch.randn(2, 3, 16)
    z2 = z.clone()
    z2[:, 1:] = torch.randn(2, 2, 16)
    assert torch.equal(act(x, z), act(x, z2))
    z3 = z.clone()
    z3[:, 0] += 1.0
    assert not torch.equal(act(x, z), act(x, z3))


# --------------------------------------------------------------------------- export


def test_torch_export() -> None:
    torch.manual_seed(0)
    model = create_model("mobileformer_26m")  # grouped convs + shuffles: the most ops
    x = torch.randn(1, 3, 224, 224)
    ep = torch.export.export(model, (x,))
    with torch.no_grad():
        torch.testing.assert_close(ep.module()(x), model(x))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the TorchScript exporter is deprecated
@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_onnx_export_matches_pytorch(tmp_path, dynamo: bool) -> None:
    ort = pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    model = create_model("mobileformer_52m")
    x = torch.randn(1, 3, 224, 224)
    path = tmp_path / "mf52.onnx"
    torch.onnx.export(model, (x,), str(path), dynamo=dynamo)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (y,) = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        ref = model(x)
    torch.testing.assert_close(torch.from_numpy(y), ref, rtol=1e-3, atol=1e-5 * ref.abs().max().item())


def test_model_class_is_exported() -> None:
    assert isinstance(_meta_model("96m"), MobileFormer)
