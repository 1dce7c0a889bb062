"""Every registered model builds and runs a forward pass, in both forms, at a small resolution.

Parametrized over the registry, so a newly registered model is tested here without a
new test. The train-time form is ``create_model(name)``; the fused form
(``inference_mode=True``: reparameterizable blocks built fused) is a different graph
only for reparameterizable models, so it is run for those (for the others
``inference_mode`` builds the same graph). 64x64 keeps the zoo fast; timm's
transformers take ``img_size`` to build at that resolution.
"""

from __future__ import annotations

import pytest
import torch

from mobench.models import create_model, list_models, model_info, reparameterize_model

RES = 64


def _cases():
    for name in list_models():
        yield pytest.param(name, False, id=f"{name}-train-time")
        if model_info(name).reparameterizable:
            yield pytest.param(name, True, id=f"{name}-fused")


def _kwargs(name: str) -> dict:
    info = model_info(name)
    return {"img_size": RES} if info.kind == "transformer" and info.source.startswith("timm:") else {}


@pytest.mark.parametrize("name, fused", list(_cases()))
def test_every_model_forwards(name, fused):
    torch.manual_seed(0)
    model = create_model(name, inference_mode=fused, **_kwargs(name))
    assert not model.training
    if fused:  # built fused: fusing again changes no parameter
        assert reparameterize_model(model).state_dict().keys() == model.state_dict().keys()
    with torch.no_grad():
        out = model(torch.randn(1, 3, RES, RES))
    assert out.shape == (1, 1000)
    assert not torch.isnan(out).any()
