# pyright: reportOperatorIssue=false, reportCallIssue=false
# (torch types every submodule access as Tensor | Module, so these checks misfire on nn.Module code)
"""Probe networks: generated CNNs that isolate one cause of latency (MobileOne, Section 3, Tables 2-3).

The MobileOne paper (Vasu et al., CVPR 2023, arXiv:2206.04040) explains mobile
latency by its causes: the activation function (Table 2: a 30-layer CNN, identical
but for the activation, timed on an iPhone 12), multi-branch and squeeze-excite
blocks (memory traffic and synchronization), and over-parameterization, whose
cost reparameterization removes. The paper does not publish the 30-layer CNN; the
one here is mobench's own, small and fully specified by :class:`ProbeNetConfig`:

* stem: 3x3 stride-2 conv-BN-act, ``stem_width`` channels;
* four stages of ``layers_per_stage`` 3x3 conv-BN-act layers at ``widths``; the
  first layer of each stage has stride 2 (and changes the width);
* global average pool and a linear classifier.

With the defaults that is 1 + 4 x 7 = 29 conv layers + 1 linear = 30 weight layers.
``skip=True`` adds a residual add around every stride-1 layer; ``branches=k``
replaces every conv-BN-act with a MobileOne block of ``k`` conv-BN branches
(+ 1x1 scale branch + BN identity where shapes allow), which fuses to one conv.

The activations (each documented at its class): ReLU, GELU, SE-ReLU, SiLU,
Dynamic Shift-Max (MicroNet), DY-ReLU-A and DY-ReLU-B (Dynamic ReLU).

The ``branches`` study uses a small MobileOne (:func:`probe_mobileone`): the
MobileOne architecture of :mod:`mobench.models.mobileone` with widths 16/32/64/128,
(2, 2, 2, 1) depthwise+pointwise block pairs, and ``k`` = 1, 2, 4 or 8.

Every network is registered in the model registry (family ``probe``) so it
exports and times through the normal path: ``probe_act_relu`` ...
``probe_blk_skip``, ``probe_blk_branches4``, ``probe_mobileone_k1`` ... ``_k8``. The
``mobench study`` plugins (:mod:`mobench.studies`) time them. Each keeps its earlier
name ``study_*`` as an alias, so runs stored under that name still resolve to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..core.errors import UsageError
from ._registry import register_model
from .mobileone import MobileOne, MobileOneBlock, MobileOneConfig, SEBlock

__all__ = [
    "ACTIVATIONS",
    "BRANCH_KS",
    "MOBILEONE_PROBE_CONFIG",
    "DynamicReLU",
    "DynamicShiftMax",
    "ProbeNet",
    "ProbeNetConfig",
    "probe_mobileone",
]

#: Activation name -> label used in tables (the order of the paper's Table 2).
ACTIVATIONS: dict[str, str] = {
    "relu": "ReLU",
    "gelu": "GELU",
    "se_relu": "SE-ReLU",
    "silu": "SiLU",
    "dyshiftmax": "Dynamic Shift-Max",
    "dyrelu_a": "DynamicReLU-A",
    "dyrelu_b": "DynamicReLU-B",
}
BRANCH_KS: tuple[int, ...] = (1, 2, 4, 8)


def _hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return F.relu6(x + 3.0) / 6.0


class DynamicReLU(nn.Module):
    """Dynamic ReLU: ``y_c = max_k (a_c^k(x) * x_c + b_c^k(x))``, coefficients from the input.

    Y. Chen, X. Dai, M. Liu, D. Chen, L. Yuan, Z. Liu, "Dynamic ReLU", ECCV 2020,
    arXiv:2003.10027. The hyper function is global average pooling -> FC(C, C/R) ->
    ReLU -> FC -> ``2 * sigmoid - 1`` (residuals in [-1, 1]); the coefficients are
    ``a^k = alpha^k + lambda_a * residual``, ``b^k = beta^k + lambda_b * residual`` with
    the paper's defaults K = 2, R = 4, lambda_a = 1.0, lambda_b = 0.5, alpha = (1, 0),
    beta = (0, 0), so an untrained block starts as ReLU.

    ``kind="A"`` (DY-ReLU-A): one set of 2K coefficients shared by all channels and
    positions. ``kind="B"`` (DY-ReLU-B): 2K coefficients per channel (2KC outputs).
    Parameters: ``C*(C/R) + C/R`` (first FC) plus ``(C/R)*2K + 2K`` (A) or
    ``(C/R)*2KC + 2KC`` (B).
    """

    K = 2
    LAMBDA_A, LAMBDA_B = 1.0, 0.5

    def __init__(self, channels: int, kind: str = "B", reduction: int = 4) -> None:
        super().__init__()
        if kind not in ("A", "B"):
            raise ValueError(f"DynamicReLU kind must be 'A' or 'B', not {kind!r}")
        self.kind = kind
        self.channels = channels
        hidden = max(1, channels // reduction)
        self.groups = 1 if kind == "A" else channels
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, 2 * self.K * self.groups)
        self.register_buffer("lambdas", torch.tensor([self.LAMBDA_A] * self.K + [self.LAMBDA_B] * self.K))
        self.register_buffer("init_v", torch.tensor([1.0] + [0.0] * (2 * self.K - 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        theta = self.fc2(F.relu(self.fc1(x.mean((2, 3)))))
        theta = 2.0 * torch.sigmoid(theta) - 1.0  # (N, G*2K)
        coef = theta.reshape(n, self.groups, 2 * self.K) * self.lambdas + self.init_v
        coef = coef.reshape(n, self.groups, 2 * self.K, 1, 1)  # per channel (B) or shared (A)
        a1, a2, b1, b2 = coef[:, :, 0], coef[:, :, 1], coef[:, :, 2], coef[:, :, 3]
        return torch.maximum(x * a1 + b1, x * a2 + b2)


class DynamicShiftMax(nn.Module):
    """Dynamic Shift-Max: ``y_i = max_k sum_j a_{i,j}^k(x) * x_{(i + j*C/G) mod C}``.

    Y. Li, Y. Chen, X. Dai, D. Chen, M. Liu, L. Yuan, Z. Liu, L. Zhang, N. Vasconcelos,
    "MicroNet: Improving Image Recognition with Extremely Low FLOPs", ICCV 2021,
    arXiv:2108.05894, Section 3.3. Each output channel mixes ``J`` channels taken
    from groups shifted by ``C/G`` (here J = 2, G = 4), with K = 2 dynamic fusions and
    the max over them. The coefficients come from a hyper function like DY-ReLU's:
    global average pooling -> FC(C, C/R) -> ReLU -> FC(C/R, K*J*C) -> hard sigmoid,
    mapped to ``init + 2 * lambda * (h - 0.5)`` with init ``a^1_{i,0} = 1`` (others 0),
    lambda = 1, so an untrained block starts as ReLU (max(x, 0)).
    Parameters: ``C*(C/R) + C/R + (C/R)*K*J*C + K*J*C``.
    """

    K, J = 2, 2

    def __init__(self, channels: int, groups: int = 4, reduction: int = 4) -> None:
        super().__init__()
        if channels % groups:
            raise ValueError(f"Dynamic Shift-Max needs channels ({channels}) divisible by groups ({groups})")
        self.channels = channels
        self.shift = channels // groups
        hidden = max(1, channels // reduction)
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, self.K * self.J * channels)
        init = torch.zeros(self.K, self.J)
        init[0, 0] = 1.0
        self.register_buffer("init_v", init.reshape(1, self.K, self.J, 1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c = x.shape[0], self.channels
        h = _hard_sigmoid(self.fc2(F.relu(self.fc1(x.mean((2, 3))))))
        coef = (h - 0.5).mul(2.0).reshape(n, self.K, self.J, c, 1, 1) + self.init_v
        # x_{(i + s) mod C} for s = C/G: the channels rotated by one group
        shifted = torch.cat([x[:, self.shift :], x[:, : self.shift]], dim=1)
        y1 = coef[:, 0, 0] * x + coef[:, 0, 1] * shifted
        y2 = coef[:, 1, 0] * x + coef[:, 1, 1] * shifted
        return torch.maximum(y1, y2)


def _activation(name: str, channels: int) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "gelu":
        return nn.GELU()
    if name == "silu":
        return nn.SiLU()
    if name == "se_relu":
        # squeeze-excite (reduction 4) then ReLU, as MobileOne's SE-ReLU blocks
        return nn.Sequential(SEBlock(channels, rd_ratio=0.25), nn.ReLU())
    if name == "dyshiftmax":
        return DynamicShiftMax(channels)
    if name == "dyrelu_a":
        return DynamicReLU(channels, "A")
    if name == "dyrelu_b":
        return DynamicReLU(channels, "B")
    raise UsageError(f"unknown probe activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


@dataclass(frozen=True)
class ProbeNetConfig:
    """The 30-layer probe CNN (see the module docstring)."""

    activation: str = "relu"
    stem_width: int = 16
    widths: tuple[int, int, int, int] = (16, 32, 64, 128)
    layers_per_stage: tuple[int, int, int, int] = (7, 7, 7, 7)
    skip: bool = False  # residual add around every stride-1 layer
    branches: int = 0  # 0: conv-BN-act; k >= 1: MobileOne block with k conv-BN branches

    @property
    def weight_layers(self) -> int:
        return 1 + sum(self.layers_per_stage) + 1


class ConvLayer(nn.Module):
    """conv3x3-BN-activation, optionally with a residual add (``x + bn(conv(x))`` before the activation)."""

    def __init__(self, c_in: int, c_out: int, stride: int, activation: str, skip: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(c_out)
        self.act = _activation(activation, c_out)
        self.skip = skip and stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn(self.conv(x))
        return self.act(y + x if self.skip else y)


class ProbeNet(nn.Module):
    """The probe CNN of :class:`ProbeNetConfig`; ``inference_mode`` builds MobileOne blocks fused."""

    def __init__(
        self, config: ProbeNetConfig, *, inference_mode: bool = False, num_classes: int = 1000, in_chans: int = 3
    ) -> None:
        super().__init__()
        if config.activation not in ACTIVATIONS:
            raise UsageError(f"unknown probe activation {config.activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        self.config = config

        def layer(c_in: int, c_out: int, stride: int) -> nn.Module:
            if config.branches:
                return MobileOneBlock(
                    c_in, c_out, 3, stride, 1, inference_mode=inference_mode, num_conv_branches=config.branches
                )
            return ConvLayer(c_in, c_out, stride, config.activation, config.skip)

        self.stem = layer(in_chans, config.stem_width, 2)
        c = config.stem_width
        for i, (width, n) in enumerate(zip(config.widths, config.layers_per_stage, strict=False), start=1):
            blocks = []
            for j in range(n):
                blocks.append(layer(c, width, 2 if j == 0 else 1))
                c = width
            self.add_module(f"stage{i}", nn.Sequential(*blocks))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = self.stage4(self.stage3(self.stage2(self.stage1(x))))
        return self.linear(torch.flatten(self.gap(x), 1))


#: The small MobileOne of the ``branches`` study (k set per network).
MOBILEONE_PROBE_CONFIG = MobileOneConfig((0.25, 0.25, 0.25, 0.25), num_blocks=(2, 2, 2, 1))


def probe_mobileone(k: int, *, inference_mode: bool = False, num_classes: int = 1000, in_chans: int = 3) -> MobileOne:
    """MobileOne with widths 16/32/64/128 (stem 16), (2, 2, 2, 1) block pairs and ``k`` branches."""
    return MobileOne(
        replace(MOBILEONE_PROBE_CONFIG, num_conv_branches=k),
        inference_mode=inference_mode,
        num_classes=num_classes,
        in_chans=in_chans,
    )


def _old_name(name: str) -> str:
    """The name this network had before the family was called ``probe`` (stored runs use it)."""
    return "study_" + name.removeprefix("probe_")


def _probenet_entry(name: str, config: ProbeNetConfig, doc: str) -> None:
    def fn(*, inference_mode: bool = False, num_classes: int = 1000, **kw: Any) -> ProbeNet:
        return ProbeNet(config, inference_mode=inference_mode, num_classes=num_classes, **kw)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    register_model(
        family="probe",
        reparameterizable=bool(config.branches),
        config=config,
        description=doc,
        aliases=(_old_name(name),),
    )(fn)


def _mobileone_entry(k: int) -> None:
    name = f"probe_mobileone_k{k}"

    def fn(*, inference_mode: bool = False, num_classes: int = 1000, **kw: Any) -> MobileOne:
        return probe_mobileone(k, inference_mode=inference_mode, num_classes=num_classes, **kw)

    fn.__name__ = fn.__qualname__ = name
    doc = f"Branches probe: small MobileOne (widths 16-128) with k={k} conv-BN branches per block."
    fn.__doc__ = doc
    register_model(
        family="probe",
        reparameterizable=True,
        aliases=(_old_name(name),),
        config=replace(MOBILEONE_PROBE_CONFIG, num_conv_branches=k),
        description=doc,
    )(fn)


for _act, _label in ACTIVATIONS.items():
    _probenet_entry(
        f"probe_act_{_act}",
        ProbeNetConfig(activation=_act),
        f"Activations probe: the 30-layer probe CNN with {_label}.",
    )
_probenet_entry(
    "probe_blk_skip",
    ProbeNetConfig(skip=True),
    "Blocks probe: the 30-layer probe CNN (ReLU) with a skip connection around every stride-1 layer.",
)
#: k of the blocks probe's multi-branch network
BLOCKS_BRANCHES = 4
_probenet_entry(
    f"probe_blk_branches{BLOCKS_BRANCHES}",
    ProbeNetConfig(branches=BLOCKS_BRANCHES),
    f"Blocks probe: the 30-layer probe CNN with {BLOCKS_BRANCHES} parallel conv-BN branches per layer "
    "(MobileOne blocks; fuses to the plain CNN).",
)
for _k in BRANCH_KS:
    _mobileone_entry(_k)
