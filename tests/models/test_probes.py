"""The probe networks: shapes, parameter counts worked out by hand, fusing, the activations' maths."""

from __future__ import annotations

import pytest
import torch

from mobench.models import build_deployed, canonical_alias, create_model, list_models, model_info, resolve_name
from mobench.models.complexity import count_params
from mobench.models.probes import (
    ACTIVATIONS,
    BRANCH_KS,
    DynamicReLU,
    DynamicShiftMax,
    ProbeNet,
    ProbeNetConfig,
)

PROBE_NETS = list_models("probe_*")

# Output widths of the 29 conv layers of the probe CNN: stem 16, then 7 layers each at 16, 32, 64, 128.
LAYER_WIDTHS = [16] * 8 + [32] * 7 + [64] * 7 + [128] * 7


def test_every_probe_network_is_registered():
    expected = (
        {f"probe_act_{a}" for a in ACTIVATIONS}
        | {"probe_blk_skip", "probe_blk_branches4"}
        | {f"probe_mobileone_k{k}" for k in BRANCH_KS}
    )
    assert set(PROBE_NETS) == expected
    assert {model_info(n).family for n in PROBE_NETS} == {"probe"}


@pytest.mark.parametrize("name", PROBE_NETS)
def test_former_study_names_resolve(name):
    """Runs stored before the family was renamed name ``study_*``: the old name still resolves."""
    old = "study_" + name.removeprefix("probe_")
    assert resolve_name(old) == name
    assert canonical_alias(old) == name
    assert canonical_alias(name) == name


@pytest.mark.parametrize("name", PROBE_NETS)
def test_forward_shape_small_input(name):
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        for fused in (False, True):
            out = build_deployed(name, fuse=fused)(x)
            assert out.shape == (2, 1000)
            assert torch.isfinite(out).all()


def test_thirty_weight_layers():
    net = create_model("probe_act_relu")
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert len(convs) + len(linears) == 30 == ProbeNetConfig().weight_layers
    assert [c.out_channels for c in convs] == LAYER_WIDTHS
    assert [c.stride[0] for c in convs].count(2) == 5  # stem + first layer of each stage


def test_relu_cnn_params_by_hand():
    # conv 3x3 without bias + BN (2 params per channel):
    stem = 9 * 3 * 16 + 2 * 16  # 464
    stage1 = 7 * (9 * 16 * 16 + 2 * 16)  # 16352
    stage2 = (9 * 16 * 32 + 2 * 32) + 6 * (9 * 32 * 32 + 2 * 32)  # 60352
    stage3 = (9 * 32 * 64 + 2 * 64) + 6 * (9 * 64 * 64 + 2 * 64)  # 240512
    stage4 = (9 * 64 * 128 + 2 * 128) + 6 * (9 * 128 * 128 + 2 * 128)  # 960256
    fc = 128 * 1000 + 1000
    total = stem + stage1 + stage2 + stage3 + stage4 + fc
    assert total == 1_406_936
    for act in ("relu", "gelu", "silu"):
        assert count_params(create_model(f"probe_act_{act}")) == total
    assert count_params(create_model("probe_blk_skip")) == total  # skips add no parameters


@pytest.mark.parametrize(
    "act, per_layer",
    [
        # SE, reduction 4: reduce C*C/4 + C/4, expand C/4*C + C
        ("se_relu", lambda c: c * (c // 4) + c // 4 + (c // 4) * c + c),
        # DY-ReLU-A: FC(C, C/4) + FC(C/4, 2K=4)
        ("dyrelu_a", lambda c: c * (c // 4) + c // 4 + (c // 4) * 4 + 4),
        # DY-ReLU-B: FC(C, C/4) + FC(C/4, 2K*C = 4C)
        ("dyrelu_b", lambda c: c * (c // 4) + c // 4 + (c // 4) * 4 * c + 4 * c),
        # Dynamic Shift-Max: FC(C, C/4) + FC(C/4, K*J*C = 4C)
        ("dyshiftmax", lambda c: c * (c // 4) + c // 4 + (c // 4) * 4 * c + 4 * c),
    ],
)
def test_activation_params_by_hand(act, per_layer):
    extra = sum(per_layer(c) for c in LAYER_WIDTHS)
    expected = {"se_relu": 78_408, "dyrelu_a": 40_380, "dyrelu_b": 197_928, "dyshiftmax": 197_928}[act]
    assert extra == expected
    assert count_params(create_model(f"probe_act_{act}")) == 1_406_936 + expected


def test_probe_mobileone_params_by_hand():
    # fused: stem 3->16 3x3 (448); per stage dw 3x3 (9C + C) and pw 1x1 (Cin*Cout + Cout) pairs
    stem = 9 * 3 * 16 + 16
    stage1 = 2 * ((9 * 16 + 16) + (16 * 16 + 16))
    stage2 = (9 * 16 + 16) + (16 * 32 + 32) + (9 * 32 + 32) + (32 * 32 + 32)
    stage3 = (9 * 32 + 32) + (32 * 64 + 64) + (9 * 64 + 64) + (64 * 64 + 64)
    stage4 = (9 * 64 + 64) + (64 * 128 + 128)
    fused = stem + stage1 + stage2 + stage3 + stage4 + 128 * 1000 + 1000
    assert fused == 148_584
    # one more conv-BN branch in every non-stem block: its conv weights + 2 BN params per output channel
    c_out = 2 * (16 + 16) + (16 + 32 + 32 + 32) + (32 + 64 + 64 + 64) + (64 + 128)
    per_branch = (stage1 + stage2 + stage3 + stage4) + c_out
    assert per_branch == 19_728
    unfused = {k: count_params(create_model(f"probe_mobileone_k{k}")) for k in BRANCH_KS}
    for k in BRANCH_KS:
        assert count_params(build_deployed(f"probe_mobileone_k{k}")) == fused
        assert unfused[k] - unfused[1] == (k - 1) * per_branch


@pytest.mark.parametrize("name", ["probe_blk_branches4", "probe_mobileone_k4"])
def test_fused_form_computes_the_same_function(name):
    torch.manual_seed(0)
    net = create_model(name)
    with torch.no_grad():  # calibrate BN statistics so the check is not dominated by random-init scale
        net.train()
        for _ in range(3):
            net(torch.randn(4, 3, 64, 64))
        net.eval()
    from mobench.models import reparameterize_model

    fused = reparameterize_model(net)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        a, b = net(x), fused(x)
    assert torch.allclose(a, b, rtol=1e-3, atol=1e-3 * float(a.abs().max()))


def test_dynamic_relu_starts_as_relu_and_is_dynamic():
    torch.manual_seed(0)
    x = torch.randn(2, 8, 5, 5)
    for kind in ("A", "B"):
        m = DynamicReLU(8, kind)
        torch.nn.init.zeros_(m.fc2.weight)
        torch.nn.init.zeros_(m.fc2.bias)  # residuals 2*sigmoid(0)-1 = 0: a = (1, 0), b = (0, 0)
        assert torch.allclose(m(x), torch.relu(x))
        torch.nn.init.normal_(m.fc2.weight)
        y = m(x)
        assert y.shape == x.shape and not torch.allclose(y, torch.relu(x))
    assert DynamicReLU(8, "A").fc2.out_features == 4
    assert DynamicReLU(8, "B").fc2.out_features == 32
    with pytest.raises(ValueError):
        DynamicReLU(8, "C")


def test_dynamic_shift_max_mixes_shifted_channels():
    m = DynamicShiftMax(8, groups=4)
    torch.nn.init.zeros_(m.fc2.weight)
    torch.nn.init.constant_(m.fc2.bias, -3.0)  # hard sigmoid(-3) = 0 -> coefficients init - 1
    x = torch.randn(1, 8, 3, 3)
    # a^1 = (1 - 1, 0 - 1), a^2 = (-1, -1): y = max(-x_shift, -x - x_shift)
    shifted = torch.cat([x[:, 2:], x[:, :2]], 1)
    expected = torch.maximum(-shifted, -x - shifted)
    assert torch.allclose(m(x), expected, atol=1e-6)
    torch.nn.init.constant_(m.fc2.bias, 0.0)  # hard sigmoid(0) = 0.5 -> coefficients = init: identity
    assert torch.allclose(m(x), torch.maximum(x, torch.zeros_like(x)), atol=1e-6)
    with pytest.raises(ValueError):
        DynamicShiftMax(6, groups=4)


def test_unknown_activation_is_a_usage_error():
    from mobench.core.errors import UsageError

    with pytest.raises(UsageError, match="unknown probe activation"):
        ProbeNet(ProbeNetConfig(activation="swish2"))
