"""Pass-through names: ``timm:<any timm model>`` and ``torchvision:<name>``.

Built like the registered baselines (``library.build_library_model``), with
random weights: latency does not depend on the weights, and these machines
cannot download them anyway.
"""

from __future__ import annotations

import difflib

from ..core.errors import ModelNotFoundError
from ._registry import ModelInfo
from .library import LibraryModel, build_library_model


def _library_names(library: str) -> list[str]:
    if library == "timm":
        import timm

        return timm.list_models()
    import torchvision

    return torchvision.models.list_models()


def passthrough_info(key: str) -> ModelInfo:
    library, _, name = key.partition(":")
    if library not in ("timm", "torchvision"):  # pragma: no cover - resolve_name only passes these
        raise ModelNotFoundError(f"unknown model source {library!r}")
    names = _library_names(library)
    if name not in names:
        close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(f'{library}:{c}' for c in close)}?" if close else ""
        raise ModelNotFoundError(f"unknown {library} model {name!r}{hint}")
    cfg = LibraryModel(library, name)

    def fn(*, inference_mode: bool = False, **kw):
        return build_library_model(cfg, inference_mode, kw)

    kind = "transformer" if any(t in name for t in ("vit", "deit", "swin", "former")) else "convnet"
    return ModelInfo(
        name=key,
        family=name.split("_")[0],
        kind=kind,
        source=key,
        config=cfg,
        description=f"{name} from {library} (random weights)",
        fn=fn,
    )
