"""Graph metrics against hand-computed values on tiny modules."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn as nn

from mobench.analysis.metrics import METRICS, graph_metrics, parse_metrics
from mobench.core.errors import UsageError


def test_single_conv_memory_traffic_by_hand():
    # Conv2d 3->8, 3x3, bias, on 1x3x8x8 (padding 1 keeps 8x8), fp32:
    # weights 8*3*3*3 + 8 = 224 floats = 896 B; input 3*8*8 = 192 floats = 768 B;
    # output 8*8*8 = 512 floats = 2048 B; traffic = 896 + 768 + 2048 = 3712 B
    g = graph_metrics(nn.Conv2d(3, 8, 3, padding=1), 8)
    assert g["weight_bytes"] == 896
    assert g["activation_read_bytes"] == 768
    assert g["activation_write_bytes"] == 2048
    assert g["memory_bytes"] == 3712
    assert g["activation_elements"] == 512
    assert (g["conv_layers"], g["linear_layers"], g["layers"]) == (1, 0, 1)
    assert g["branches"] == 0 and g["depth"] == 1


class _Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1, bias=False)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        y = torch.relu(self.conv(x)) + x  # one skip: a multi-input node
        return self.fc(y.mean((2, 3)))


def test_residual_block_by_hand():
    g = graph_metrics(_Residual(), 4, in_chans=4)
    # weights: conv 4*4 = 16 floats, fc 4*2 + 2 = 10 floats -> 104 B
    assert g["weight_bytes"] == 104
    assert g["branches"] == 1
    assert g["layers"] == 2 and g["conv_layers"] == 1 and g["linear_layers"] == 1
    assert g["depth"] == 2  # conv -> fc on the longest path
    # activations (outputs of conv and fc): 4*4*4 + 2 = 66 elements
    assert g["activation_elements"] == 66


class _Concat(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 2, 1)
        self.b = nn.Sequential(nn.Conv2d(3, 2, 1), nn.Conv2d(2, 2, 1))
        self.pos = nn.Parameter(torch.zeros(1, 4, 1, 1))

    def forward(self, x):
        y = torch.cat([self.a(x), self.b(x)], dim=1)  # a branch merge
        y = y + self.pos  # a weight operand: not a branch
        return y.view(1, -1)  # a view moves nothing


def test_concat_is_a_branch_weight_add_is_not_and_depth_follows_longest_path():
    g = graph_metrics(_Concat(), 2)
    assert g["branches"] == 1
    assert g["depth"] == 2
    assert g["layers"] == 3
    # traffic of the view is zero: the total equals the sum over conv, cat and add only
    # conv a: w 2*3+2=8 f, in 12, out 8; conv b1: same; conv b2: w 2*2+2=6, in 8, out 8
    # cat: in 8+8, out 16; add: w 4 (pos), in 16, out 16
    floats = (8 + 12 + 8) * 2 + (6 + 8 + 8) + (16 + 16) + (4 + 16 + 16)
    assert g["memory_bytes"] == floats * 4


def test_parse_metrics():
    assert [m.name for m in parse_metrics("macs, params")] == ["macs", "params"]
    assert [m.name for m in parse_metrics(None)] == ["macs", "params"]
    assert len(parse_metrics("all")) == len(METRICS)
    with pytest.raises(UsageError, match="unknown metric 'flops'"):
        parse_metrics("flops")


def test_model_metrics_cached_on_disk(tmp_path, monkeypatch):
    from mobench.analysis import metrics as M

    monkeypatch.setenv("MOBENCH_CACHE_DIR", str(tmp_path))
    row = M.model_metrics("mobilenet_v3_small")
    assert row["params_m"] == pytest.approx(2.54, abs=0.05)  # torchvision/timm MobileNetV3-S
    assert 50 < row["macs_m"] < 70
    assert row["memory_mb"] > row["params_m"] * 4  # weights alone are 4 B each
    cache = json.loads((tmp_path / "complexity.json").read_text())  # complexity.py's cache file
    assert [v["macs_m"] for k, v in cache.items() if k.startswith("metrics/v1:mobilenet_v3_small@224:fused|")] == [
        row["macs_m"]
    ]

    def boom(*a, **k):
        raise AssertionError("rebuilt although cached")

    monkeypatch.setattr(M, "build_deployed", boom)
    assert M.model_metrics("mobilenet_v3_small") == row
    # a table lists a model that cannot be built instead of failing
    df, errors = M.metrics_table(["mobilenet_v3_small", "no_such_model_xyz"])
    assert list(df.index) == ["mobilenet_v3_small"] and "no_such_model_xyz" in errors
