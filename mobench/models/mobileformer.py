"""Mobile-Former: a MobileNet and a few global tokens, joined by two-way cross attention.

Paper: Y. Chen, X. Dai, D. Chen, M. Liu, X. Dong, L. Yuan, Z. Liu,
"Mobile-Former: Bridging MobileNet and Transformer", CVPR 2022, arXiv:2108.05895.
Dynamic ReLU: Y. Chen et al., "Dynamic ReLU", ECCV 2020, arXiv:2003.10027.
Reference code: github.com/AAboys/MobileFormer (``mobile_former.py``, ``dna_blocks.py``,
built on timm 0.3.4).
No license is stated in the files consulted, so nothing is copied: this is an
independent re-implementation of the architecture, with the layer widths and block
order of the reference configurations.

One Mobile-Former block, on a feature map ``x`` (B, C, H, W) and tokens ``z`` (B, T, D):

1. Mobile->Former: the tokens attend to the pixels (queries from a linear map of the
   tokens, keys = values = the raw features, 2 heads), scaled channel-wise by a
   token-driven gate, projected back to D, residual + LayerNorm.
2. Former: token self-attention (queries projected, keys = values = the tokens,
   4 heads) + linear + residual + LayerNorm, then a 2x FFN (GELU) + residual + LayerNorm.
3. Mobile: an inverted bottleneck whose activations are dynamic ReLUs,
   ``max(a1 * x, a2 * x)`` with per-channel ``a1, a2`` computed from the *first* token
   (an MLP with reduction 4 and a hard sigmoid). Stride-1 blocks are pw -> dw -> pw;
   stride-2 blocks are dw(x e1, stride 2) -> pw -> dw(x e2) -> pw with a residual
   around the second half.
4. Former->Mobile: every pixel attends to the tokens (queries = the raw features,
   keys and values linear maps of the tokens, 2 heads); the result is added.

The first block (after the 3x3 stride-2 stem) is a plain depthwise-separable conv
without tokens. After the last block the tokens read the final features once more
(Mobile->Former), and the head is: 1x1 conv to 6x channels (BN, ReLU6), average pool,
h-swish, concatenated with the first token, FC to the head width (BN, h-swish), linear.
The 26M variant uses 1x1 convs in 4 groups with channel shuffles.

Attention is plain ``softmax(q @ k) @ v`` (not ``scaled_dot_product_attention``) so
that ``torch.utils.flop_counter`` counts it; there is no data-dependent control flow,
so ``torch.export`` and both ONNX exporters trace the graph.

Params and MACs (``FlopCounterMode`` at 224x224, multiply-adds = flops / 2), against
the published params: 508M 13.98 M (14.0) / 498.5 M, 294M 11.42 (11.4) / 286.7,
214M 9.43 (9.4) / 208.4, 151M 7.60 (7.6) / 146.2, 96M 4.59 (4.6) / 92.0,
52M 3.47 (3.5) / 49.3, 26M 3.23 (3.2) / 23.6. The published MAdds (508 ... 26) also
count elementwise work such as the dynamic ReLUs, which the counter skips. The
Former uses 4 heads and the two bridges 2, as in the reference code (heads change
neither params nor MACs).
``inference_mode`` is accepted and ignored: nothing here reparameterizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ._registry import register_model

__all__ = [
    "ConvBlockCfg",
    "DownBlockCfg",
    "StdBlockCfg",
    "MobileFormerConfig",
    "MobileFormer",
    "MOBILEFORMER_CONFIGS",
]


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class ConvBlockCfg:
    """Token-free first block: dw 3x3 (channel multiplier ``expansion``) -> ReLU6 -> pw."""

    channels: int
    stride: int
    expansion: int


@dataclass(frozen=True)
class DownBlockCfg:
    """Stride-2 Mobile-Former block; Mobile part dw(x e1, s2) -> pw -> dw(x e2) -> pw."""

    channels: int
    expansion: int
    expansion2: int


@dataclass(frozen=True)
class StdBlockCfg:
    """Stride-1 Mobile-Former block; Mobile part pw(x e) -> dw 3x3 -> pw."""

    channels: int
    expansion: int


BlockCfg = ConvBlockCfg | DownBlockCfg | StdBlockCfg


@dataclass(frozen=True)
class MobileFormerConfig:
    stem_channels: int
    blocks: tuple[BlockCfg, ...]
    num_tokens: int
    token_dim: int
    head_width: int  # FC width of the head (the CSV's head_fc)
    groups: int = 1  # groups of the 1x1 convs (26M: 4, with channel shuffle)
    head_expansion: int = 6  # 1x1 conv before pooling: 6 x last channels
    cross_heads: int = 2  # Mobile->Former and Former->Mobile
    former_heads: int = 4  # token self-attention (reference default)
    ffn_expansion: int = 2
    dyrelu_reduction: int = 4  # token MLP: D -> D / 4 -> 2 C
    dyrelu_scale: float = 2.0
    dropout: float = 0.0


def _c(e: int, c: int, s: int) -> ConvBlockCfg:
    return ConvBlockCfg(channels=c, stride=s, expansion=e)


def _d(e1: int, c: int, e2: int) -> DownBlockCfg:
    return DownBlockCfg(channels=c, expansion=e1, expansion2=e2)


def _s(e: int, c: int) -> StdBlockCfg:
    return StdBlockCfg(channels=c, expansion=e)


_BLOCKS_52M = (
    _c(3, 12, 2),
    _s(3, 12),  # 56x56
    _d(6, 24, 4),
    _s(3, 24),  # 28x28
    _d(6, 48, 4),
    _s(4, 48),
    _s(6, 64),  # 14x14
    _d(6, 96, 4),
    _s(6, 96),  # 7x7
)

MOBILEFORMER_CONFIGS: dict[str, MobileFormerConfig] = {
    "mobileformer_508m": MobileFormerConfig(
        stem_channels=24,
        num_tokens=6,
        token_dim=192,
        head_width=1920,
        blocks=(
            _c(2, 24, 1),
            _d(6, 40, 4),
            _s(3, 40),
            _d(6, 72, 4),
            _s(3, 72),
            _d(6, 128, 4),
            _s(4, 128),
            _s(6, 176),
            _s(6, 176),
            _d(6, 240, 4),
            _s(6, 240),
            _s(6, 240),
        ),
    ),
    "mobileformer_294m": MobileFormerConfig(
        stem_channels=16,
        num_tokens=6,
        token_dim=192,
        head_width=1920,
        blocks=(
            _c(2, 16, 1),
            _d(6, 24, 4),
            _s(4, 24),
            _d(6, 48, 4),
            _s(4, 48),
            _d(6, 96, 4),
            _s(4, 96),
            _s(6, 128),
            _s(6, 128),
            _d(6, 192, 4),
            _s(6, 192),
            _s(6, 192),
        ),
    ),
    "mobileformer_214m": MobileFormerConfig(
        stem_channels=12,
        num_tokens=6,
        token_dim=192,
        head_width=1600,
        blocks=(
            _c(2, 12, 1),
            _d(6, 20, 4),
            _s(3, 20),
            _d(6, 40, 4),
            _s(4, 40),
            _d(6, 80, 4),
            _s(4, 80),
            _s(6, 112),
            _s(6, 112),
            _d(6, 160, 4),
            _s(6, 160),
            _s(6, 160),
        ),
    ),
    "mobileformer_151m": MobileFormerConfig(
        stem_channels=12,
        num_tokens=6,
        token_dim=192,
        head_width=1280,
        blocks=(
            _c(2, 12, 1),
            _d(6, 16, 4),
            _s(3, 16),
            _d(6, 32, 4),
            _s(3, 32),
            _d(6, 64, 4),
            _s(4, 64),
            _s(6, 88),
            _s(6, 88),
            _d(6, 128, 4),
            _s(6, 128),
            _s(6, 128),
        ),
    ),
    "mobileformer_96m": MobileFormerConfig(
        stem_channels=12,
        num_tokens=4,
        token_dim=128,
        head_width=1280,
        blocks=(
            _c(2, 12, 1),
            _d(6, 16, 4),
            _d(6, 32, 4),
            _s(3, 32),
            _d(6, 64, 4),
            _s(4, 64),
            _s(6, 88),
            _d(6, 128, 4),
            _s(6, 128),
        ),
    ),
    "mobileformer_52m": MobileFormerConfig(
        stem_channels=8,
        num_tokens=3,
        token_dim=128,
        head_width=1024,
        blocks=_BLOCKS_52M,
    ),
    "mobileformer_26m": MobileFormerConfig(
        stem_channels=8,
        num_tokens=3,
        token_dim=128,
        head_width=1024,
        blocks=_BLOCKS_52M,
        groups=4,
    ),
}


# --------------------------------------------------------------------------- layers


class ChannelShuffle(nn.Module):
    """ShuffleNet channel shuffle: (B, g*n, H, W) -> interleave the g groups."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        x = x.reshape(b, self.groups, c // self.groups, h, w).transpose(1, 2)
        return x.reshape(b, c, h, w)


def _conv_bn(inp: int, oup: int, k: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(inp, oup, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(oup)]


def _shuffle(groups: int) -> list[nn.Module]:
    return [ChannelShuffle(groups)] if groups > 1 else []


class DynamicReLU(nn.Module):
    """DY-ReLU-B: ``max(a1 * x, a2 * x)``, per-channel slopes from the first token."""

    def __init__(self, channels: int, token_dim: int, reduction: int, scale: float) -> None:
        super().__init__()
        self.channels = channels
        self.scale = scale
        self.coef = nn.Sequential(
            nn.Linear(token_dim, token_dim // reduction),
            nn.ReLU(inplace=True),
            nn.Linear(token_dim // reduction, 2 * channels),
            nn.Hardsigmoid(),
        )

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        a = self.coef(z[:, 0]).reshape(-1, 2 * self.channels, 1, 1)
        a1, a2 = a.split(self.channels, dim=1)
        a1 = (a1 - 0.5) * self.scale + 1.0  # slope in [0, 2]
        a2 = (a2 - 0.5) * self.scale  # slope in [-1, 1]
        return torch.maximum(x * a1, x * a2)


class Mobile2Former(nn.Module):
    """Tokens attend to the pixels; keys = values = the features (no projection)."""

    def __init__(self, channels: int, token_dim: int, heads: int) -> None:
        super().__init__()
        if channels % heads:
            raise ValueError(f"{channels} channels do not split into {heads} heads")
        self.heads = heads
        self.scale = (channels // heads) ** -0.5
        self.q = nn.Linear(token_dim, channels)
        self.gate = nn.Sequential(nn.Linear(token_dim, channels), nn.Hardsigmoid())
        self.proj = nn.Linear(channels, token_dim)
        self.norm = nn.LayerNorm(token_dim)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        t = z.shape[1]
        q = self.q(z).reshape(b, t, self.heads, c // self.heads).transpose(1, 2)  # B h T c
        k = x.reshape(b, self.heads, c // self.heads, h * w)  # B h c HW
        attn = torch.softmax((q @ k) * self.scale, dim=-1)  # B h T HW
        out = (attn @ k.transpose(-1, -2)).transpose(1, 2).reshape(b, t, c)  # B T C
        out = out * (self.gate(z) * 2.0)
        return self.norm(z + self.proj(out))


class Former(nn.Module):
    """Token self-attention (projected queries; keys = values = tokens) and an FFN."""

    def __init__(self, dim: int, heads: int, ffn_expansion: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"token dim {dim} does not split into {heads} heads")
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.q = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(
            nn.Linear(dim, dim * ffn_expansion),
            nn.GELU(),
            nn.Linear(dim * ffn_expansion, dim),
        )
        self.norm2 = nn.LayerNorm(dim)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        b, t, d = z.shape
        dh = d // self.heads
        q = self.q(z).reshape(b, t, self.heads, dh).transpose(1, 2)  # B h T dh
        kv = z.reshape(b, t, self.heads, dh).transpose(1, 2)  # B h T dh
        attn = torch.softmax((q @ kv.transpose(-1, -2)) * self.scale, dim=-1)
        out = (attn @ kv).transpose(1, 2).reshape(b, t, d)
        z = self.norm1(z + self.proj(out))
        return self.norm2(z + self.ffn(z))


class Former2Mobile(nn.Module):
    """Pixels attend to the tokens; queries = the features (no projection)."""

    def __init__(self, channels: int, token_dim: int, heads: int) -> None:
        super().__init__()
        if channels % heads:
            raise ValueError(f"{channels} channels do not split into {heads} heads")
        self.heads = heads
        self.scale = (channels // heads) ** -0.5
        self.k = nn.Linear(token_dim, channels)
        self.v = nn.Linear(token_dim, channels)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        t = z.shape[1]
        ch = c // self.heads
        q = x.reshape(b, self.heads, ch, h * w).transpose(-1, -2)  # B h HW ch
        k = self.k(z).reshape(b, t, self.heads, ch).permute(0, 2, 3, 1)  # B h ch T
        v = self.v(z).reshape(b, t, self.heads, ch).transpose(1, 2)  # B h T ch
        attn = torch.softmax((q @ k) * self.scale, dim=-1)  # B h HW T
        out = (attn @ v).transpose(-1, -2).reshape(b, c, h, w)
        return x + out


# --------------------------------------------------------------------------- blocks


class ConvBlock(nn.Module):
    """The token-free first block; tokens pass through unchanged."""

    def __init__(self, inp: int, spec: ConvBlockCfg, groups: int) -> None:
        super().__init__()
        hidden = inp * spec.expansion
        self.conv = nn.Sequential(
            *_conv_bn(inp, hidden, 3, spec.stride, groups=inp),
            nn.ReLU6(inplace=True),
            *_shuffle(inp if groups > 1 else 1),
            *_conv_bn(hidden, spec.channels, 1, groups=groups),
        )
        self.residual = spec.stride == 1 and inp == spec.channels

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.conv(x)
        return (out + x if self.residual else out), z


class _MobileFormerBase(nn.Module):
    def _bridge(self, inp: int, oup: int, cfg: MobileFormerConfig) -> None:
        d = cfg.token_dim
        self.mobile2former = Mobile2Former(inp, d, cfg.cross_heads)
        self.former = Former(d, cfg.former_heads, cfg.ffn_expansion)
        self.former2mobile = Former2Mobile(oup, d, cfg.cross_heads)

    def _dyrelu(self, channels: int, cfg: MobileFormerConfig) -> DynamicReLU:
        return DynamicReLU(channels, cfg.token_dim, cfg.dyrelu_reduction, cfg.dyrelu_scale)


class DownBlock(_MobileFormerBase):
    """Stride-2 Mobile-Former block."""

    def __init__(self, inp: int, spec: DownBlockCfg, cfg: MobileFormerConfig) -> None:
        super().__init__()
        oup, g = spec.channels, cfg.groups
        h1, h2 = inp * spec.expansion, oup * spec.expansion2
        self._bridge(inp, oup, cfg)
        self.dw1 = nn.Sequential(*_conv_bn(inp, h1, 3, 2, groups=inp), *_shuffle(inp if g > 1 else 1))
        self.act1 = self._dyrelu(h1, cfg)
        self.pw1 = nn.Sequential(*_conv_bn(h1, oup, 1, groups=g))
        self.dw2 = nn.Sequential(*_conv_bn(oup, h2, 3, groups=oup), *_shuffle(oup if g > 1 else 1))
        self.act2 = self._dyrelu(h2, cfg)
        self.pw2 = nn.Sequential(*_conv_bn(h2, oup, 1, groups=g))

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.former(self.mobile2former(x, z))
        y = self.pw1(self.act1(self.dw1(x), z))
        y = y + self.pw2(self.act2(self.dw2(y), z))
        return self.former2mobile(y, z), z


class StdBlock(_MobileFormerBase):
    """Stride-1 Mobile-Former block (identity shortcut when the width is unchanged)."""

    def __init__(self, inp: int, spec: StdBlockCfg, cfg: MobileFormerConfig) -> None:
        super().__init__()
        oup, g = spec.channels, cfg.groups
        hidden = round(inp * spec.expansion)
        self._bridge(inp, oup, cfg)
        self.pw1 = nn.Sequential(*_conv_bn(inp, hidden, 1, groups=g), *_shuffle(g))
        self.act1 = self._dyrelu(hidden, cfg)
        self.dw = nn.Sequential(*_conv_bn(hidden, hidden, 3, groups=hidden))
        self.act2 = self._dyrelu(hidden, cfg)
        self.pw2 = nn.Sequential(*_conv_bn(hidden, oup, 1, groups=g), *_shuffle(g))
        self.residual = inp == oup

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.former(self.mobile2former(x, z))
        y = self.act1(self.pw1(x), z)
        y = self.pw2(self.act2(self.dw(y), z))
        if self.residual:
            y = y + x
        return self.former2mobile(y, z), z


class MergeHead(nn.Module):
    """1x1 conv (x6) -> pool -> h-swish, concat first token -> FC -> h-swish -> linear."""

    def __init__(self, inp: int, cfg: MobileFormerConfig, num_classes: int) -> None:
        super().__init__()
        hidden = inp * cfg.head_expansion
        self.conv = nn.Sequential(
            *_shuffle(cfg.groups),
            *_conv_bn(inp, hidden, 1, groups=cfg.groups),
            nn.ReLU6(inplace=True),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.pool_act = nn.Hardswish()
        self.fc = nn.Sequential(
            nn.Linear(hidden + cfg.token_dim, cfg.head_width),
            nn.BatchNorm1d(cfg.head_width),
            nn.Hardswish(),
        )
        self.dropout = nn.Dropout(cfg.dropout)
        self.classifier = nn.Linear(cfg.head_width, num_classes)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        x = self.pool_act(self.pool(self.conv(x))).flatten(1)
        x = self.fc(torch.cat([x, z[:, 0]], dim=1))
        return self.classifier(self.dropout(x))


# --------------------------------------------------------------------------- model


class MobileFormer(nn.Module):
    def __init__(self, cfg: MobileFormerConfig, num_classes: int = 1000) -> None:
        super().__init__()
        self.cfg = cfg
        self.tokens = nn.Parameter(torch.randn(cfg.num_tokens, cfg.token_dim))
        inp = cfg.stem_channels
        self.stem = nn.Sequential(*_conv_bn(3, inp, 3, 2), nn.ReLU6(inplace=True))
        blocks: list[nn.Module] = []
        for spec in cfg.blocks:
            if isinstance(spec, ConvBlockCfg):
                blocks.append(ConvBlock(inp, spec, cfg.groups))
            elif isinstance(spec, DownBlockCfg):
                blocks.append(DownBlock(inp, spec, cfg))
            elif isinstance(spec, StdBlockCfg):
                blocks.append(StdBlock(inp, spec, cfg))
            else:  # pragma: no cover - configs are module constants
                raise TypeError(f"unknown block spec {spec!r}")
            inp = spec.channels
        self.blocks = nn.ModuleList(blocks)
        self.final_mobile2former = Mobile2Former(inp, cfg.token_dim, cfg.cross_heads)
        self.num_features = cfg.head_width
        self.head = MergeHead(inp, cfg, num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d, nn.LayerNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # repeat, not expand: a view of a parameter made under no_grad requires grad
        # but has no grad_fn, which trips FlopCounterMode's module tracker
        z = self.tokens.unsqueeze(0).repeat(x.shape[0], 1, 1)
        x = self.stem(x)
        for block in self.blocks:
            x, z = block(x, z)
        z = self.final_mobile2former(x, z)
        return self.head(x, z)


def _build(name: str, num_classes: int, **kw) -> MobileFormer:
    return MobileFormer(MOBILEFORMER_CONFIGS[name], num_classes=num_classes, **kw)


@register_model(family="mobileformer", kind="transformer", config=MOBILEFORMER_CONFIGS["mobileformer_508m"])
def mobileformer_508m(*, inference_mode: bool = False, num_classes: int = 1000, **kw) -> MobileFormer:
    """Mobile-Former-508M (14.0 M params, 508 M MAdds published)."""
    return _build("mobileformer_508m", num_classes, **kw)


@register_model(family="mobileformer", kind="transformer", config=MOBILEFORMER_CONFIGS["mobileformer_294m"])
def mobileformer_294m(*, inference_mode: bool = False, num_classes: int = 1000, **kw) -> MobileFormer:
    """Mobile-Former-294M (11.4 M params, 294 M MAdds published)."""
    return _build("mobileformer_294m", num_classes, **kw)


@register_model(family="mobileformer", kind="transformer", config=MOBILEFORMER_CONFIGS["mobileformer_214m"])
def mobileformer_214m(*, inference_mode: bool = False, num_classes: int = 1000, **kw) -> MobileFormer:
    """Mobile-Former-214M (9.4 M params, 214 M MAdds published)."""
    return _build("mobileformer_214m", num_classes, **kw)


@register_model(family="mobileformer", kind="transformer", config=MOBILEFORMER_CONFIGS["mobileformer_151m"])
def mobileformer_151m(*, inference_mode: bool = False, num_classes: int = 1000, **kw) -> MobileFormer:
    """Mobile-Former-151M (7.6 M params, 151 M MAdds published)."""
    return _build("mobileformer_151m", num_classes, **kw)


@register_model(
    family="mobileformer",
    kind="transformer",
    paper_name="mobileformer_96m",
    config=MOBILEFORMER_CONFIGS["mobileformer_96m"],
)
def mobileformer_96m(*, inference_mode: bool = False, num_classes: int = 1000, **kw) -> MobileFormer:
    """Mobile-Former-96M (4.6 M params, 96 M MAdds published)."""
    return _build("mobileformer_96m", num_classes, **kw)


@register_model(
    family="mobileformer",
    kind="transformer",
    paper_name="mobileformer_52m",
    config=MOBILEFORMER_CONFIGS["mobileformer_52m"],
)
def mobileformer_52m(*, inference_mode: bool = False, num_classes: int = 1000, **kw) -> MobileFormer:
    """Mobile-Former-52M (3.5 M params, 52 M MAdds published)."""
    return _build("mobileformer_52m", num_classes, **kw)


@register_model(family="mobileformer", kind="transformer", config=MOBILEFORMER_CONFIGS["mobileformer_26m"])
def mobileformer_26m(*, inference_mode: bool = False, num_classes: int = 1000, **kw) -> MobileFormer:
    """Mobile-Former-26M (3.2 M params, 26 M MAdds published; grouped 1x1 convs)."""
    return _build("mobileformer_26m", num_classes, **kw)
