"""The registry's public API: names, aliases, errors, presets, pass-through, reparameterization."""

from __future__ import annotations

import pytest
import torch

from mobench.core.errors import CheckpointError, ModelNotFoundError, UsageError
from mobench.models import (
    PRESETS,
    create_model,
    list_models,
    model_info,
    register_model,
    reparameterize_model,
    resolve_models,
)


def test_list_models_pattern_and_aliases():
    assert list_models("mobileone*") == [f"mobileone_s{i}" for i in range(5)]
    assert list_models("s0") == ["mobileone_s0"]  # an alias matches its model
    assert "repvgg_b1" in list_models()
    assert list_models("nothing-like-this*") == []


def test_unknown_name_lists_close_matches():
    with pytest.raises(ModelNotFoundError) as err:
        model_info("mobileone_s7")
    msg = str(err.value)
    assert "unknown model 'mobileone_s7'" in msg
    assert "mobileone_s1" in msg and "\n" not in msg


def test_unknown_timm_name_suggests():
    with pytest.raises(ModelNotFoundError, match="timm:resnet18"):
        model_info("timm:resnet18x")


def test_duplicate_registration_is_an_error():
    with pytest.raises(ValueError, match="registered twice"):

        @register_model(family="mobileone")
        def mobileone_s0(**kw):  # noqa: F811
            return None


def test_duplicate_alias_is_an_error():
    with pytest.raises(ValueError, match="already taken"):

        @register_model(family="x", aliases=("s0",))
        def some_new_model_for_alias_test(**kw):
            return None


def test_presets_resolve_and_deduplicate():
    assert resolve_models(preset="mobileone") == PRESETS["mobileone"]
    names = resolve_models(["s0", "mobilenet_v1", "mobileone_s0"], preset=None)
    assert names == ["mobileone_s0", "mobilenet_v1"]
    with pytest.raises(UsageError, match="unknown preset 'papr'; did you mean paper"):
        resolve_models(preset="papr")
    with pytest.raises(UsageError, match="no models given"):
        resolve_models([], None)


def test_every_preset_model_is_registered():
    registered = set(list_models())
    for preset, names in PRESETS.items():
        missing = [n for n in names if n not in registered]
        assert not missing, f"preset {preset} names unregistered models {missing}"
    assert len(PRESETS["figure2"]) == 21  # the paper's Table 1 correlation set


def test_paper_preset_covers_table9():
    from mobench.data import paper_table9

    table = paper_table9()
    assert set(table.index) <= set(PRESETS["paper"])


def test_passthrough_timm_and_torchvision():
    m = create_model("timm:resnet10t")
    assert m(torch.randn(1, 3, 64, 64)).shape == (1, 1000)
    m = create_model("torchvision:squeezenet1_1")
    assert m(torch.randn(1, 3, 64, 64)).shape == (1, 1000)
    assert model_info("timm:resnet10t").source == "timm:resnet10t"


def test_reparameterize_model_repvgg_is_a_fused_copy():
    torch.manual_seed(0)
    model = create_model("repvgg_a0")
    # non-trivial BN statistics so that fusing has something to fold
    for mod in model.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.1, 0.1)
            mod.running_var.uniform_(0.5, 1.5)
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        ref = model(x)
        fused = reparameterize_model(model)
        out = fused(x)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()), "original must be untouched"
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    assert (out - ref).abs().max() / ref.abs().max() < 1e-4


def test_reparameterize_model_rejects_non_modules():
    with pytest.raises(UsageError):
        reparameterize_model("not a model")


def test_checkpoint_errors_are_one_line(tmp_path):
    missing = tmp_path / "nope.pth"
    with pytest.raises(CheckpointError, match="does not exist"):
        create_model("mobilenet_v3_small", checkpoint=str(missing))
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"this is not a torch file")
    with pytest.raises(CheckpointError, match="cannot read checkpoint") as err:
        create_model("mobilenet_v3_small", checkpoint=str(corrupt))
    assert "\n" not in str(err.value)
    assert "not a PyTorch state_dict file" in str(err.value)


def test_checkpoint_wrapped_and_prefixed_state_dicts_load(tmp_path):
    src = create_model("mobilenet_v3_small")
    path = tmp_path / "wrapped.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in src.state_dict().items()}}, path)
    dst = create_model("mobilenet_v3_small", checkpoint=str(path))
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(src(x), dst(x))
