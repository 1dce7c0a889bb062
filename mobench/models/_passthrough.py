"""Pass-through names: ``timm:<any timm model>`` and ``torchvision:<name>``.

Built with random weights (``pretrained=False``): latency does not depend on the
weights, and these machines cannot download them anyway.
"""

from __future__ import annotations

import difflib

from ..errors import ModelNotFoundError
from ._registry import ModelInfo


def _timm_names() -> list[str]:
    import timm

    return timm.list_models()


def _tv_names() -> list[str]:
    import torchvision

    return torchvision.models.list_models()


def _check(prefix: str, name: str, names: list[str]) -> None:
    if name not in names:
        close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(prefix + c for c in close)}?" if close else ""
        raise ModelNotFoundError(f"unknown {prefix[:-1]} model {name!r}{hint}")


def passthrough_info(key: str) -> ModelInfo:
    prefix, _, name = key.partition(":")
    if prefix == "timm":
        _check("timm:", name, _timm_names())

        def fn(*, inference_mode: bool = False, **kw):
            import timm

            from . import reparameterize_model

            model = timm.create_model(name, pretrained=False, **kw).eval()
            return reparameterize_model(model) if inference_mode else model

        family = name.split("_")[0]
    elif prefix == "torchvision":
        _check("torchvision:", name, _tv_names())

        def fn(*, inference_mode: bool = False, **kw):
            import torchvision

            return torchvision.models.get_model(name, weights=None, **kw).eval()

        family = name.split("_")[0]
    else:  # pragma: no cover - resolve_name only passes the two prefixes
        raise ModelNotFoundError(f"unknown model source {prefix!r}")
    kind = "transformer" if any(t in name for t in ("vit", "deit", "swin", "former")) else "convnet"
    return ModelInfo(
        name=key, family=family, kind=kind, source=key,
        reparameterizable=False, description=f"{name} from {prefix} (random weights)", fn=fn,
    )
