"""MobileNeXt (Zhou et al., ECCV 2020): x1.0 and x1.4 against the published figures.

Params and MACs are counted on the ``meta`` device; one width is also counted on
real tensors with the shared ``count_macs`` helper.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from mobench.models import create_model, list_models, model_info
from mobench.models.complexity import count_macs, count_params
from mobench.models.mobilenext import MOBILENEXT_CONFIGS, SandglassBlock

NAMES = ["mobilenext_100", "mobilenext_140"]

# Authors' figures (rethinking_bottleneck_design README and paper): params (M).
AUTHORS_PARAMS_M = {"mobilenext_100": 3.5, "mobilenext_140": 6.1}

# Expected MACs (M) at 224x224, flops / 2:
# - x1.4: the authors' 590 M (we count 588 M).
# - x1.0: 311 M, the MobileOne paper's fvcore count (its Table 9), not the authors'
#   300 M: the authors' own architecture counts 311 M at x1.0 while reproducing their
#   x1.4 MACs and both params figures; see the mobench.models.mobilenext docstring for
#   what was checked. The test below pins the 3.8% gap so a change that "fixes" it
#   shows up.
EXPECTED_MACS_M = {"mobilenext_100": 311, "mobilenext_140": 590}
AUTHORS_MACS_M = {"mobilenext_100": 300, "mobilenext_140": 590}

REL = 0.03  # params and MACs must match the published figures within 3%


def _meta_model(name: str) -> nn.Module:
    with torch.device("meta"):
        return create_model(name)


def _meta_macs_m(model: nn.Module) -> float:
    with FlopCounterMode(display=False) as counter:
        model(torch.empty(1, 3, 224, 224, device="meta"))
    return counter.get_total_flops() / 2 / 1e6


def test_registered() -> None:
    assert list_models("mobilenext_*") == NAMES
    for name in NAMES:
        info = model_info(name)
        assert (info.family, info.kind, info.paper_name) == ("mobilenext", "convnet", name)
        assert info.config is MOBILENEXT_CONFIGS[name]


@pytest.mark.parametrize("name", NAMES)
def test_params_match_authors(name: str) -> None:
    assert count_params(_meta_model(name)) / 1e6 == pytest.approx(AUTHORS_PARAMS_M[name], rel=REL)


@pytest.mark.parametrize("name", NAMES)
def test_macs_match_expected(name: str) -> None:
    assert _meta_macs_m(_meta_model(name)) == pytest.approx(EXPECTED_MACS_M[name], rel=REL)


def test_x100_macs_gap_to_authors_figure() -> None:
    """The honest x1.0 count sits 3-5% above the authors' 300 M (see module docstring)."""
    macs = _meta_macs_m(_meta_model("mobilenext_100"))
    assert 1.03 < macs / AUTHORS_MACS_M["mobilenext_100"] < 1.05
    assert _meta_macs_m(_meta_model("mobilenext_140")) == pytest.approx(AUTHORS_MACS_M["mobilenext_140"], rel=0.01)


def test_shared_count_macs_on_real_tensors() -> None:
    model = create_model("mobilenext_100")
    macs = count_macs(model, 224) / 1e6
    assert macs == pytest.approx(EXPECTED_MACS_M["mobilenext_100"], rel=REL)
    assert macs == pytest.approx(_meta_macs_m(_meta_model("mobilenext_100")), abs=1e-6)


def test_block_structure_follows_authors_code() -> None:
    model = _meta_model("mobilenext_100")
    blocks = [m for m in model.modules() if isinstance(m, SandglassBlock)]
    # 20 sandglass blocks (+ stem = the "21 blocks" the first author counts in
    # rethinking_bottleneck_design issue #2), three of them ending at 960 channels
    assert len(blocks) == 20
    widths = [[m for m in b.modules() if isinstance(m, nn.BatchNorm2d)][-1].num_features for b in blocks]
    assert widths.count(960) == 3 and widths[-1] == 1280
    assert sum(b.residual for b in blocks) == 12
    assert model.classifier.in_features == 1280
    assert _meta_model("mobilenext_140").classifier.in_features == 1792


@pytest.mark.parametrize("name", NAMES)
def test_forward_shape(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name)
    with torch.no_grad():
        y = model(torch.randn(1, 3, 224, 224))
    assert y.shape == (1, 1000)
    assert torch.isfinite(y).all()


def test_torch_export() -> None:
    torch.manual_seed(0)
    model = create_model("mobilenext_100")
    x = torch.randn(1, 3, 224, 224)
    ep = torch.export.export(model, (x,))
    with torch.no_grad():
        torch.testing.assert_close(ep.module()(x), model(x))
