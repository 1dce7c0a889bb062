"""Packaged reference tables: the MobileOne paper's published numbers.

Source (cite this when you use the numbers)::

    P. K. A. Vasu, J. Gabriel, J. Zhu, O. Tuzel, A. Ranjan,
    "MobileOne: An Improved One millisecond Mobile Backbone", CVPR 2023,
    arXiv:2206.04040. Code and iOS app: https://github.com/apple/ml-mobileone

Files (read-only, shipped with the package):

- ``paper_table9_models.csv``: Table 9 - model, family (convnet/transformer), top-1 (%),
  FLOPs (M, fvcore, i.e. multiply-adds), params (M), CPU / GPU / mobile latency (ms).
  Empty GPU cell = the paper could not export the model to TensorRT.
- ``mobileformer_variants.csv``: Mobile-Former (Chen et al., CVPR 2022) variants.
- ``paper_table2_activations.csv``: Table 2 - latency (ms, iPhone 12) of a 30-layer CNN
  identical but for the activation function.

The ``model`` column uses mobench's registry names.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

CITATION = (
    "Vasu, Gabriel, Zhu, Tuzel, Ranjan. MobileOne: An Improved One millisecond Mobile "
    "Backbone. CVPR 2023 (arXiv:2206.04040), Table 9"
)
CITATION_SHORT = "Vasu et al., CVPR 2023, Table 9"

# Where and how the paper measured each latency column of its Table 9 (as the paper states).
PAPER_DEVICES = {
    "mobile_ms": "iPhone 12, Core ML, minimum of 1000 runs after 1 warm-up",
    "cpu_ms": "Intel Xeon Gold 5118 @ 2.3 GHz desktop CPU, batch 1 (runtime, threads not stated)",
    "gpu_ms": "RTX 2080 Ti, TensorRT 8.0.1.6, median of 100 runs",
}


def _read(name: str):
    import pandas as pd

    with resources.files(__name__).joinpath(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


@cache
def _table9():
    df = _read("paper_table9_models.csv").set_index("model")
    if not df.index.is_unique:
        raise ValueError("paper_table9_models.csv lists a model twice")
    return df


def paper_table9():
    """The paper's Table 9 as a DataFrame indexed by model name (a copy: edit freely)."""
    return _table9().copy()


def mobileformer_variants():
    """Mobile-Former variants as published by Chen et al. (params, MAdds, top-1, ...)."""
    return _read("mobileformer_variants.csv")


__all__ = [
    "CITATION",
    "CITATION_SHORT",
    "PAPER_DEVICES",
    "mobileformer_variants",
    "paper_table9",
]


CITATION_TABLE2 = (
    "Vasu, Gabriel, Zhu, Tuzel, Ranjan. MobileOne: An Improved One millisecond Mobile "
    "Backbone. CVPR 2023 (arXiv:2206.04040), Table 2"
)


def paper_table2():
    """The paper's Table 2: iPhone 12 latency (ms) of the 30-layer CNN per activation, indexed by activation."""
    return _read("paper_table2_activations.csv").set_index("activation")
