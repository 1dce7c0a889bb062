# pyright: reportAttributeAccessIssue=false, reportArgumentType=false, reportCallIssue=false
# (torch types nn.Module.__getattr__ as Tensor | Module, so every submodule access here looks untyped)
"""MobileOne S0-S4, train-time (multi-branch) and deployed (fused) forms.

Paper: P. K. A. Vasu, J. Gabriel, J. Zhu, O. Tuzel, A. Ranjan, "MobileOne: An
Improved One millisecond Mobile Backbone", CVPR 2023, arXiv:2206.04040.
Original code: https://github.com/apple/ml-mobileone (Apple Sample Code License).
This is mobench's own implementation of that architecture. Module and attribute
names follow the original so that the official checkpoints load unchanged:
``mobileone_sN_unfused.pth.tar`` into ``inference_mode=False`` and
``mobileone_sN.pth.tar`` into ``inference_mode=True``.

Each MobileOne block is, at train time, a sum of ``k`` conv-BN branches
(``rbr_conv``), a 1x1 conv-BN "scale" branch (``rbr_scale``, k x k blocks only)
and a BN-only identity branch (``rbr_skip``, where shapes allow), followed by
optional squeeze-excite and ReLU. :meth:`MobileOneBlock.reparameterize` folds
all branches into one biased conv (``reparam_conv``); SE and ReLU stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.errors import UsageError
from ._registry import register_model

__all__ = ["MobileOne", "MobileOneBlock", "MobileOneConfig", "SEBlock", "CONFIGS"]


@dataclass(frozen=True)
class MobileOneConfig:
    """One MobileOne variant (the paper's Table 7).

    Stage widths are ``int(base * a)`` for bases 64/128/256/512; the stem is
    capped at 64 channels (``min(64, int(64 * a1))``), as in the original code.
    """

    width_multipliers: tuple[float, float, float, float]  # a1 (stages 1-2), a2, a3 (4-5), a4 (6)
    num_conv_branches: int = 1  # k, over-parameterization factor
    use_se: bool = False  # SE-ReLU in the blocks of `se_blocks`
    num_blocks: tuple[int, int, int, int] = (2, 8, 10, 1)  # depthwise+pointwise pairs per stage
    se_blocks: tuple[int, int, int, int] = (0, 0, 5, 1)  # last N pairs of each stage get SE if use_se

    @property
    def stem_width(self) -> int:
        return min(64, int(64 * self.width_multipliers[0]))

    @property
    def widths(self) -> tuple[int, int, int, int]:
        return tuple(int(b * a) for b, a in zip((64, 128, 256, 512), self.width_multipliers, strict=False))  # type: ignore[return-value]


CONFIGS: dict[str, MobileOneConfig] = {
    "s0": MobileOneConfig((0.75, 1.0, 1.0, 2.0), num_conv_branches=4),
    "s1": MobileOneConfig((1.5, 1.5, 2.0, 2.5)),
    "s2": MobileOneConfig((1.5, 2.0, 2.5, 4.0)),
    "s3": MobileOneConfig((2.0, 2.5, 3.0, 4.0)),
    "s4": MobileOneConfig((3.0, 3.5, 3.5, 4.0), use_se=True),
}


class SEBlock(nn.Module):
    """Squeeze-excite with a 1/16 reduction (keys ``se.reduce`` / ``se.expand``)."""

    def __init__(self, channels: int, rd_ratio: float = 0.0625) -> None:
        super().__init__()
        rd = int(channels * rd_ratio)
        self.reduce = nn.Conv2d(channels, rd, kernel_size=1, bias=True)
        self.expand = nn.Conv2d(rd, channels, kernel_size=1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.expand(F.relu(self.reduce(s))))


def _conv_bn(in_ch: int, out_ch: int, kernel_size: int, stride: int, padding: int, groups: int) -> nn.Sequential:
    seq = nn.Sequential()
    seq.add_module("conv", nn.Conv2d(in_ch, out_ch, kernel_size, stride, padding, groups=groups, bias=False))
    seq.add_module("bn", nn.BatchNorm2d(out_ch))
    return seq


def _fuse_bn(kernel: torch.Tensor, bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Kernel and bias of ``bn(conv(x))`` for a bias-free conv with weight ``kernel``."""
    assert bn.running_var is not None and bn.running_mean is not None  # every BN here tracks statistics
    std = (bn.running_var + bn.eps).sqrt()
    gamma = bn.weight if bn.weight is not None else torch.ones_like(std)
    beta = bn.bias if bn.bias is not None else torch.zeros_like(std)
    t = gamma / std
    return kernel * t.reshape(-1, 1, 1, 1), beta - bn.running_mean * t


class MobileOneBlock(nn.Module):
    """A MobileOne conv block: k conv-BN branches + scale + identity, then SE and ReLU.

    ``inference_mode=True`` builds the fused form (one ``reparam_conv`` with bias)
    directly, so fused checkpoints load without a train-time model.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        groups: int = 1,
        inference_mode: bool = False,
        use_se: bool = False,
        num_conv_branches: int = 1,
    ) -> None:
        super().__init__()
        if num_conv_branches < 1:
            raise ValueError(f"num_conv_branches must be >= 1, not {num_conv_branches}")
        if kernel_size > 1 and padding != kernel_size // 2:
            raise ValueError("the scale branch needs 'same' padding (kernel_size // 2)")
        self.in_ch, self.out_ch = in_ch, out_ch
        self.kernel_size, self.stride, self.padding, self.groups = kernel_size, stride, padding, groups
        self.num_conv_branches = num_conv_branches
        self.inference_mode = inference_mode
        # Registration order reproduces the official state_dict key order.
        self.se: nn.Module = SEBlock(out_ch) if use_se else nn.Identity()
        self.activation = nn.ReLU()
        if inference_mode:
            self.reparam_conv = self._make_reparam_conv()
            return
        self.rbr_skip: nn.BatchNorm2d | None = nn.BatchNorm2d(in_ch) if in_ch == out_ch and stride == 1 else None
        self.rbr_conv = nn.ModuleList(
            _conv_bn(in_ch, out_ch, kernel_size, stride, padding, groups) for _ in range(num_conv_branches)
        )
        self.rbr_scale: nn.Sequential | None = (
            _conv_bn(in_ch, out_ch, 1, stride, 0, groups) if kernel_size > 1 else None
        )

    def _make_reparam_conv(self, **factory: Any) -> nn.Conv2d:
        return nn.Conv2d(
            self.in_ch,
            self.out_ch,
            self.kernel_size,
            self.stride,
            self.padding,
            groups=self.groups,
            bias=True,
            **factory,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.inference_mode:
            return self.activation(self.se(self.reparam_conv(x)))
        outs = [self.rbr_skip(x)] if self.rbr_skip is not None else []
        if self.rbr_scale is not None:
            outs.append(self.rbr_scale(x))
        outs.extend(branch(x) for branch in self.rbr_conv)
        out = outs[0]
        for o in outs[1:]:  # no `0 + tensor`: keeps exported unfused graphs clean
            out = out + o
        return self.activation(self.se(out))

    @torch.no_grad()
    def get_kernel_bias(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The single kernel and bias equivalent to all branches (eval-mode BN)."""
        k = self.kernel_size
        kernel, bias = _fuse_bn(self.rbr_conv[0].conv.weight, self.rbr_conv[0].bn)
        for branch in list(self.rbr_conv)[1:]:
            kb, bb = _fuse_bn(branch.conv.weight, branch.bn)
            kernel, bias = kernel + kb, bias + bb
        if self.rbr_scale is not None:
            ks, bs = _fuse_bn(self.rbr_scale.conv.weight, self.rbr_scale.bn)
            kernel, bias = kernel + F.pad(ks, [k // 2] * 4), bias + bs
        if self.rbr_skip is not None:
            per_group = self.in_ch // self.groups
            ident = torch.zeros_like(kernel)
            idx = torch.arange(self.in_ch, device=kernel.device)
            ident[idx, idx % per_group, k // 2, k // 2] = 1.0
            ki, bi = _fuse_bn(ident, self.rbr_skip)
            kernel, bias = kernel + ki, bias + bi
        return kernel, bias

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Fuse in place: replace the branches by ``reparam_conv`` (no-op if fused)."""
        if self.inference_mode:
            return
        kernel, bias = self.get_kernel_bias()
        conv = self._make_reparam_conv(device=kernel.device, dtype=kernel.dtype)
        conv.weight.copy_(kernel)
        conv.bias.copy_(bias)  # type: ignore[union-attr]
        del self.rbr_conv, self.rbr_scale, self.rbr_skip
        self.reparam_conv = conv
        self.inference_mode = True

    def extra_repr(self) -> str:
        return (
            f"{self.in_ch}, {self.out_ch}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"groups={self.groups}, k={self.num_conv_branches}, inference_mode={self.inference_mode}"
        )


class MobileOne(nn.Module):
    """MobileOne network: stem, four stages of depthwise/pointwise pairs, GAP, linear.

    Module names (``stage0`` .. ``stage4``, ``linear``) match the original code,
    so ``stage0`` is the paper's stage 1 (the stem) and ``stage4`` its stage 6.
    """

    def __init__(
        self,
        config: MobileOneConfig,
        *,
        inference_mode: bool = False,
        num_classes: int = 1000,
        in_chans: int = 3,
    ) -> None:
        super().__init__()
        self.config = config
        self.num_classes = num_classes
        self._in_planes = config.stem_width
        # The stem has a single conv branch (k applies to stages 1-4), as in the original.
        self.stage0 = MobileOneBlock(in_chans, self._in_planes, 3, 2, 1, inference_mode=inference_mode)
        stages = zip(config.widths, config.num_blocks, config.se_blocks, strict=False)
        for i, (width, n, n_se) in enumerate(stages, start=1):
            stage = self._make_stage(width, n, n_se if config.use_se else 0, inference_mode)
            self.add_module(f"stage{i}", stage)
        self.num_features = config.widths[-1]
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(self.num_features, num_classes)

    def _make_stage(self, width: int, num_blocks: int, num_se: int, inference_mode: bool) -> nn.Sequential:
        if not 0 <= num_se <= num_blocks:
            raise ValueError(f"cannot put SE in {num_se} of {num_blocks} blocks")
        blocks: list[nn.Module] = []
        for i in range(num_blocks):
            stride, use_se = (2 if i == 0 else 1), i >= num_blocks - num_se
            common = dict(inference_mode=inference_mode, use_se=use_se, num_conv_branches=self.config.num_conv_branches)
            c = self._in_planes
            blocks.append(MobileOneBlock(c, c, 3, stride, 1, groups=c, **common))  # depthwise
            blocks.append(MobileOneBlock(c, width, 1, 1, 0, groups=1, **common))  # pointwise
            self._in_planes = width
        return nn.Sequential(*blocks)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stage0(x)
        x = self.stage1(x)
        x = self.stage2(x)
        x = self.stage3(x)
        return self.stage4(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.gap(self.forward_features(x))
        return self.linear(torch.flatten(x, 1))

    @property
    def is_fused(self) -> bool:
        """True when every block is in its deployed (single-conv) form."""
        return all(m.inference_mode for m in self.modules() if isinstance(m, MobileOneBlock))


_ALLOWED_KWARGS = {"in_chans"}


def _build(variant: str, inference_mode: bool, num_classes: int, kw: dict[str, Any]) -> MobileOne:
    bad = sorted(set(kw) - _ALLOWED_KWARGS)
    if bad:
        raise UsageError(
            f"mobileone_{variant} does not take {', '.join(bad)} "
            f"(options: inference_mode, num_classes, {', '.join(sorted(_ALLOWED_KWARGS))})"
        )
    return MobileOne(CONFIGS[variant], inference_mode=inference_mode, num_classes=num_classes, **kw)


@register_model(
    family="mobileone",
    kind="convnet",
    reparameterizable=True,
    paper_name="mobileone_s0",
    config=CONFIGS["s0"],
    aliases=("s0",),
)
def mobileone_s0(*, inference_mode: bool = False, num_classes: int = 1000, **kw: Any) -> MobileOne:
    """MobileOne-S0 (k=4): 2.08 M fused params, 275 M MACs, 71.4% top-1."""
    return _build("s0", inference_mode, num_classes, kw)


@register_model(
    family="mobileone",
    kind="convnet",
    reparameterizable=True,
    paper_name="mobileone_s1",
    config=CONFIGS["s1"],
    aliases=("s1",),
)
def mobileone_s1(*, inference_mode: bool = False, num_classes: int = 1000, **kw: Any) -> MobileOne:
    """MobileOne-S1: 4.76 M fused params, 825 M MACs, 75.9% top-1."""
    return _build("s1", inference_mode, num_classes, kw)


@register_model(
    family="mobileone",
    kind="convnet",
    reparameterizable=True,
    paper_name="mobileone_s2",
    config=CONFIGS["s2"],
    aliases=("s2",),
)
def mobileone_s2(*, inference_mode: bool = False, num_classes: int = 1000, **kw: Any) -> MobileOne:
    """MobileOne-S2: 7.81 M fused params, 1299 M MACs, 77.4% top-1."""
    return _build("s2", inference_mode, num_classes, kw)


@register_model(
    family="mobileone",
    kind="convnet",
    reparameterizable=True,
    paper_name="mobileone_s3",
    config=CONFIGS["s3"],
    aliases=("s3",),
)
def mobileone_s3(*, inference_mode: bool = False, num_classes: int = 1000, **kw: Any) -> MobileOne:
    """MobileOne-S3: 10.08 M fused params, 1896 M MACs, 78.1% top-1."""
    return _build("s3", inference_mode, num_classes, kw)


@register_model(
    family="mobileone",
    kind="convnet",
    reparameterizable=True,
    paper_name="mobileone_s4",
    config=CONFIGS["s4"],
    aliases=("s4",),
)
def mobileone_s4(*, inference_mode: bool = False, num_classes: int = 1000, **kw: Any) -> MobileOne:
    """MobileOne-S4 (SE-ReLU in stages 5-6): 14.84 M fused params, 2978 M MACs, 79.4% top-1."""
    return _build("s4", inference_mode, num_classes, kw)
