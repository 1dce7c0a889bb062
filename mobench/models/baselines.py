"""The paper's comparison set, built from the field's libraries.

timm (Apache-2.0, github.com/huggingface/pytorch-image-models) provides most
baselines and torchvision (BSD-3-Clause) ShuffleNetV2; weights are random
(latency does not depend on them; top-1 comes from the paper's table). Names
follow ``mobench/data/paper_table9_models.csv``. Mobile-Former and MobileNeXt,
which neither library has, live in their own files.

RepVGG is reparameterizable: timm's ``RepVggBlock`` has ``reparameterize()``, so
``inference_mode=True`` returns the fused graph (the paper times RepVGG fused).
"""

from __future__ import annotations

from typing import Any

from ._registry import register_model
from .library import LibraryModel, build_library_model

# (registry name, family, kind, library model, reparameterizable, description)
_BASELINES: list[tuple[str, str, str, LibraryModel, bool, str]] = [
    (
        "mobilenet_v1",
        "mobilenet",
        "convnet",
        LibraryModel("timm", "mobilenetv1_100"),
        False,
        "MobileNetV1 1.0 (Howard et al., 2017)",
    ),
    (
        "mobilenet_v2_100",
        "mobilenet",
        "convnet",
        LibraryModel("timm", "mobilenetv2_100"),
        False,
        "MobileNetV2 x1.0 (Sandler et al., CVPR 2018)",
    ),
    (
        "mobilenet_v2_140",
        "mobilenet",
        "convnet",
        LibraryModel("timm", "mobilenetv2_140", "timm's x1.4 has 6.11 M params; the paper lists 6.9 M"),
        False,
        "MobileNetV2 x1.4 (Sandler et al., CVPR 2018)",
    ),
    (
        "mobilenet_v3_small",
        "mobilenet",
        "convnet",
        LibraryModel(
            "timm", "mobilenetv3_small_100", "reference checkpoints: 2.9 M / 66 M; the paper lists 2.5 M / 56 M"
        ),
        False,
        "MobileNetV3-Small 1.0 (Howard et al., ICCV 2019)",
    ),
    (
        "mobilenet_v3_large",
        "mobilenet",
        "convnet",
        LibraryModel("timm", "mobilenetv3_large_100"),
        False,
        "MobileNetV3-Large 1.0 (Howard et al., ICCV 2019)",
    ),
    (
        "efficientnet_b0",
        "efficientnet",
        "convnet",
        LibraryModel("timm", "efficientnet_b0"),
        False,
        "EfficientNet-B0 (Tan & Le, ICML 2019)",
    ),
    (
        "mixnet_s",
        "mixnet",
        "convnet",
        LibraryModel("timm", "mixnet_s", "torch's counter gives 239 M MACs; the paper lists 256 M"),
        False,
        "MixNet-S (Tan & Le, BMVC 2019)",
    ),
    (
        "mnasnet_a1",
        "mnasnet",
        "convnet",
        LibraryModel("timm", "semnasnet_100", "MnasNet-A1 is timm's semnasnet_100 (with SE)"),
        False,
        "MnasNet-A1 (Tan et al., CVPR 2019)",
    ),
    (
        "shufflenet_v2_x1_0",
        "shufflenet",
        "convnet",
        LibraryModel("torchvision", "shufflenet_v2_x1_0"),
        False,
        "ShuffleNetV2 x1.0 (Ma et al., ECCV 2018)",
    ),
    (
        "shufflenet_v2_x2_0",
        "shufflenet",
        "convnet",
        LibraryModel("torchvision", "shufflenet_v2_x2_0"),
        False,
        "ShuffleNetV2 x2.0 (Ma et al., ECCV 2018)",
    ),
    ("repvgg_a0", "repvgg", "convnet", LibraryModel("timm", "repvgg_a0"), True, "RepVGG-A0 (Ding et al., CVPR 2021)"),
    ("repvgg_a1", "repvgg", "convnet", LibraryModel("timm", "repvgg_a1"), True, "RepVGG-A1 (Ding et al., CVPR 2021)"),
    ("repvgg_a2", "repvgg", "convnet", LibraryModel("timm", "repvgg_a2"), True, "RepVGG-A2 (Ding et al., CVPR 2021)"),
    ("repvgg_b0", "repvgg", "convnet", LibraryModel("timm", "repvgg_b0"), True, "RepVGG-B0 (Ding et al., CVPR 2021)"),
    ("repvgg_b1", "repvgg", "convnet", LibraryModel("timm", "repvgg_b1"), True, "RepVGG-B1 (Ding et al., CVPR 2021)"),
    (
        "mobilevit_xxs",
        "mobilevit",
        "transformer",
        LibraryModel("timm", "mobilevit_xxs", "the paper's FLOPs follow MobileViT's own counting convention"),
        False,
        "MobileViT-XXS (Mehta & Rastegari, ICLR 2022)",
    ),
    (
        "mobilevit_xs",
        "mobilevit",
        "transformer",
        LibraryModel("timm", "mobilevit_xs", "the paper's FLOPs follow MobileViT's own counting convention"),
        False,
        "MobileViT-XS (Mehta & Rastegari, ICLR 2022)",
    ),
    (
        "mobilevit_s",
        "mobilevit",
        "transformer",
        LibraryModel("timm", "mobilevit_s", "the paper's FLOPs follow MobileViT's own counting convention"),
        False,
        "MobileViT-S (Mehta & Rastegari, ICLR 2022)",
    ),
    (
        "deit_tiny",
        "deit",
        "transformer",
        LibraryModel("timm", "deit_tiny_patch16_224"),
        False,
        "DeiT-Tiny (Touvron et al., ICML 2021)",
    ),
    ("pit_ti", "pit", "transformer", LibraryModel("timm", "pit_ti_224"), False, "PiT-Ti (Heo et al., ICCV 2021)"),
    (
        "convit_tiny",
        "convit",
        "transformer",
        LibraryModel("timm", "convit_tiny", "the paper's FLOPs follow ConViT's own counting convention"),
        False,
        "ConViT-Tiny (d'Ascoli et al., ICML 2021)",
    ),
]


def _make_entry(name: str, cfg: LibraryModel):
    def entry(*, inference_mode: bool = False, **kwargs: Any):
        return build_library_model(cfg, inference_mode, kwargs)

    entry.__name__ = name
    entry.__doc__ = f"{name} from {cfg.library}:{cfg.name} (random weights)."
    return entry


for _name, _family, _kind, _cfg, _reparam, _desc in _BASELINES:
    register_model(
        family=_family,
        kind=_kind,
        source=f"{_cfg.library}:{_cfg.name}",
        reparameterizable=_reparam,
        paper_name=_name,
        description=_desc,
        config=_cfg,
    )(_make_entry(_name, _cfg))
