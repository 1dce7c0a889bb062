"""MobileOne S0-S4: official checkpoint layout, paper params/MACs, fusion, checkpoints.

Structure-only tests build the models on the ``meta`` device (no memory, no
compute), so every variant runs in the default suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from mobench.core.errors import CheckpointError, UsageError
from mobench.models import (
    build_deployed,
    create_model,
    list_models,
    model_info,
    reparameterize_model,
    resolve_name,
)
from mobench.models.mobileone import CONFIGS, MobileOne, MobileOneBlock, MobileOneConfig

VARIANTS = ["s0", "s1", "s2", "s3", "s4"]
# The paper's Table 7 and Table 9: fused params (M) and multiply-adds (M) at 224x224.
PAPER_PARAMS_M = {"s0": 2.08, "s1": 4.76, "s2": 7.81, "s3": 10.08, "s4": 14.84}
PAPER_MACS_M = {"s0": 275, "s1": 825, "s2": 1299, "s3": 1896, "s4": 2978}
UNFUSED_S0_PARAMS_M = 5.29

_HERE = Path(__file__).resolve().parent
LAYOUT_DIRS = [
    _HERE / "data" / "mobileone_checkpoint_layout",  # copy shipped with the tests (preferred)
    _HERE.parents[1].parent / "shared" / "reference" / "mobileone_checkpoint_layout",
]


def _layout_file(variant: str, fused: bool) -> Path:
    name = f"mobileone_{variant}_{'fused' if fused else 'unfused'}.tsv"
    for d in LAYOUT_DIRS:
        if (d / name).is_file():
            return d / name
    pytest.skip(f"{name} not found in {', '.join(str(d) for d in LAYOUT_DIRS)}")


def _read_layout(path: Path) -> list[tuple[str, tuple[int, ...], str]]:
    rows = []
    for line in path.read_text().splitlines()[1:]:  # header: key, shape, dtype
        if not line.strip():
            continue
        key, shape, dtype = line.split("\t")
        dims = () if shape == "scalar" else tuple(int(s) for s in shape.split("x"))
        rows.append((key, dims, dtype))
    return rows


def _meta_model(variant: str, fused: bool) -> MobileOne:
    with torch.device("meta"):
        return create_model(f"mobileone_{variant}", inference_mode=fused)


def _n_params_m(model: nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


def _macs_m(model: nn.Module, x: torch.Tensor) -> float:
    with FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops() / 2 / 1e6


def _randomize_bn(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every BN random but sane statistics and affine params, then eval().

    Sane ranges keep the random-init network well conditioned in fp32; batch
    statistics calibrated on a few random inputs are not (near-zero variances
    in late stages amplify rounding errors chaotically).
    """
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                for t, lo, hi in (
                    (m.weight, 0.5, 1.5),
                    (m.bias, -0.5, 0.5),
                    (m.running_mean, -0.5, 0.5),
                    (m.running_var, 0.5, 2.0),
                ):
                    t.copy_(torch.rand(t.shape, generator=g) * (hi - lo) + lo)
    return model.eval()


def _rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs().max() / b.abs().max()).item()


# --------------------------------------------------------------------------- layout


@pytest.mark.parametrize("fused", [False, True], ids=["unfused", "fused"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_state_dict_matches_official_layout(variant: str, fused: bool) -> None:
    expected = _read_layout(_layout_file(variant, fused))
    got = [
        (k, tuple(v.shape), str(v.dtype).removeprefix("torch."))
        for k, v in _meta_model(variant, fused).state_dict().items()
    ]
    if got != expected:
        first = next(
            (i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b), min(len(got), len(expected))
        )
        ours = got[first] if first < len(got) else None
        theirs = expected[first] if first < len(expected) else None
        pytest.fail(
            f"{len(got)} keys vs {len(expected)} official; first difference at #{first}: ours {ours}, official {theirs}"
        )


# --------------------------------------------------------------------------- params / MACs


@pytest.mark.parametrize("variant", VARIANTS)
def test_fused_params_match_paper(variant: str) -> None:
    n = _n_params_m(_meta_model(variant, fused=True))
    assert n == pytest.approx(PAPER_PARAMS_M[variant], rel=0.01)


def test_unfused_s0_params_match_paper() -> None:
    assert _n_params_m(_meta_model("s0", fused=False)) == pytest.approx(UNFUSED_S0_PARAMS_M, rel=0.01)


@pytest.mark.parametrize("variant", VARIANTS)
def test_fused_macs_match_paper(variant: str) -> None:
    model = _meta_model(variant, fused=True)
    macs = _macs_m(model, torch.empty(1, 3, 224, 224, device="meta"))
    assert macs == pytest.approx(PAPER_MACS_M[variant], rel=0.01)


def test_macs_on_real_tensors_agree_with_meta() -> None:
    real = create_model("mobileone_s0", inference_mode=True)
    macs = _macs_m(real, torch.zeros(1, 3, 224, 224))
    assert macs == _macs_m(_meta_model("s0", fused=True), torch.empty(1, 3, 224, 224, device="meta"))
    assert macs == pytest.approx(PAPER_MACS_M["s0"], rel=0.01)


# --------------------------------------------------------------------------- fusion


@pytest.mark.parametrize(
    "in_ch, out_ch, kernel_size, stride, groups, use_se, k",
    [
        (8, 8, 3, 1, 8, False, 4),  # depthwise 3x3 with identity + scale branches
        (32, 32, 3, 2, 32, True, 1),  # depthwise, stride 2 (no identity), SE
        (8, 16, 1, 1, 1, False, 3),  # pointwise widening (no identity, no scale)
        (32, 32, 1, 1, 1, True, 2),  # pointwise with identity and SE
        (3, 8, 3, 2, 1, False, 1),  # stem
        (8, 8, 3, 1, 2, False, 2),  # grouped conv with identity
    ],
)
def test_block_fuses_exactly(in_ch, out_ch, kernel_size, stride, groups, use_se, k) -> None:
    torch.manual_seed(0)
    pad = kernel_size // 2
    block = MobileOneBlock(in_ch, out_ch, kernel_size, stride, pad, groups, use_se=use_se, num_conv_branches=k)
    _randomize_bn(block)
    x = torch.randn(2, in_ch, 9, 9)
    ref = block(x)
    block.reparameterize()
    block.reparameterize()  # idempotent
    assert block.inference_mode
    assert not any(isinstance(m, nn.BatchNorm2d) for m in block.modules())
    assert _rel_err(block(x), ref) < 1e-5
    built_fused = MobileOneBlock(in_ch, out_ch, kernel_size, stride, pad, groups, inference_mode=True, use_se=use_se)
    assert list(built_fused.state_dict()) == list(block.state_dict())


@pytest.mark.parametrize("variant", VARIANTS)
def test_fused_model_matches_train_time_eval(variant: str) -> None:
    torch.manual_seed(0)
    model = _randomize_bn(create_model(f"mobileone_{variant}"))
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ref = model(x)
        out = reparameterize_model(model)(x)
    assert torch.isfinite(ref).all() and ref.abs().max() > 0
    assert _rel_err(out, ref) < 1e-4


@pytest.mark.parametrize("variant", VARIANTS)
def test_reparameterize_model_leaves_one_conv_per_block(variant: str) -> None:
    fused = reparameterize_model(_meta_model(variant, fused=False))
    assert fused.is_fused
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    blocks = [m for m in fused.modules() if isinstance(m, MobileOneBlock)]
    assert len(blocks) == 43
    for b in blocks:
        convs = [n for n, m in b.named_modules() if isinstance(m, nn.Conv2d) and not n.startswith("se.")]
        assert convs == ["reparam_conv"]
    n_se = sum(1 for m in fused.modules() if m.__class__.__name__ == "SEBlock")
    assert n_se == (12 if CONFIGS[variant].use_se else 0)
    n_conv = sum(1 for m in fused.modules() if isinstance(m, nn.Conv2d))
    assert n_conv == 43 + 2 * n_se
    # the fused copy has exactly the layout of a model built fused
    ref = _meta_model(variant, fused=True).state_dict()
    assert [(k, v.shape) for k, v in fused.state_dict().items()] == [(k, v.shape) for k, v in ref.items()]


def test_reparameterize_model_leaves_original_unchanged() -> None:
    torch.manual_seed(0)
    model = _randomize_bn(create_model("mobileone_s0"))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fused = reparameterize_model(model)
    assert fused is not model
    assert sum(isinstance(m, nn.Conv2d) for m in fused.modules()) == 43
    assert not model.is_fused
    after = model.state_dict()
    assert list(after) == list(before)
    assert all(torch.equal(after[k], v) for k, v in before.items())


# --------------------------------------------------------------------------- checkpoints


@pytest.fixture(scope="module")
def s0_trained() -> MobileOne:
    """A train-time S0 with non-trivial BN statistics (stands in for a trained model)."""
    torch.manual_seed(0)
    return _randomize_bn(create_model("mobileone_s0"), seed=1)


def test_fused_checkpoint_round_trip(s0_trained: MobileOne, tmp_path: Path) -> None:
    fused = reparameterize_model(s0_trained)
    path = tmp_path / "mobileone_s0.pth.tar"
    torch.save(fused.state_dict(), path)
    loaded = create_model("mobileone_s0", inference_mode=True, checkpoint=str(path))
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(x), fused(x))


def test_unfused_checkpoint_round_trip(s0_trained: MobileOne, tmp_path: Path) -> None:
    path = tmp_path / "mobileone_s0_unfused.pth.tar"
    torch.save(s0_trained.state_dict(), path)
    loaded = create_model("mobileone_s0", inference_mode=False, checkpoint=str(path))
    deployed = build_deployed("mobileone_s0", checkpoint=str(path))  # load first, fuse second
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        ref = s0_trained(x)
        assert torch.equal(loaded(x), ref)
        assert _rel_err(deployed(x), ref) < 1e-4
    assert deployed.is_fused


def test_wrong_form_and_variant_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "mobileone_s1.pth.tar"
    torch.save(create_model("mobileone_s1", inference_mode=True).state_dict(), path)
    with pytest.raises(CheckpointError) as info:
        create_model("mobileone_s0", inference_mode=False, checkpoint=str(path))
    msg = str(info.value)
    assert "\n" not in msg
    assert "mobileone_s0" in msg and "inference_mode=False" in msg
    assert "missing" in msg and "stage0.rbr_conv.0.conv.weight" in msg
    assert "unexpected" in msg and "stage0.reparam_conv.weight" in msg
    assert "looks like mobileone_s1 (fused, inference_mode=True)" in msg


def test_extra_key_is_one_line_error(s0_trained: MobileOne, tmp_path: Path) -> None:
    state = dict(s0_trained.state_dict())
    state["head.fc.weight"] = torch.zeros(3)
    path = tmp_path / "extra.pth"
    torch.save({"state_dict": state}, path)
    with pytest.raises(CheckpointError) as info:
        create_model("mobileone_s0", checkpoint=str(path))
    msg = str(info.value)
    assert "\n" not in msg
    assert "unexpected 1 keys (first: head.fc.weight)" in msg
    assert "missing" not in msg
    assert "looks like mobileone_s0 (train-time, inference_mode=False)" in msg


# --------------------------------------------------------------------------- registry


def test_registry_entries() -> None:
    assert list_models("mobileone_*") == [f"mobileone_{v}" for v in VARIANTS]
    for v in VARIANTS:
        info = model_info(v)
        assert resolve_name(v) == info.name == f"mobileone_{v}"
        assert info.family == "mobileone" and info.kind == "convnet"
        assert info.reparameterizable and info.paper_name == f"mobileone_{v}"
        assert isinstance(info.config, MobileOneConfig) and info.config is CONFIGS[v]
    assert CONFIGS["s1"].stem_width == 64 and CONFIGS["s1"].widths == (96, 192, 512, 1280)


def test_unknown_option_is_usage_error() -> None:
    with pytest.raises(UsageError, match="drop_rate"):
        create_model("mobileone_s0", drop_rate=0.1)


def test_num_classes() -> None:
    with torch.device("meta"):
        model = create_model("mobileone_s2", inference_mode=True, num_classes=10)
    assert model.linear.out_features == 10
