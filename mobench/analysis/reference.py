"""The paper's published latencies as read-only *reference devices*.

``paper:iphone12``, ``paper:cpu`` and ``paper:gpu`` behave like devices in
``mobench analyze`` and ``mobench plot`` so that analysis works without
hardware and measured results sit beside the paper's. Every figure that comes
from here is labelled "reference" and cites the paper (``mobench.data.CITATION``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import UsageError
from ..data import CITATION_SHORT, PAPER_DEVICES, paper_table9

PREFIX = "paper:"


@dataclass(frozen=True)
class ReferenceDevice:
    name: str  # e.g. "paper:iphone12"
    column: str  # column of paper_table9_models.csv
    label: str  # short human label
    description: str  # how the paper measured it


REFERENCE_DEVICES: dict[str, ReferenceDevice] = {
    d.name: d
    for d in (
        ReferenceDevice("paper:iphone12", "mobile_ms", "iPhone 12 (paper)", PAPER_DEVICES["mobile_ms"]),
        ReferenceDevice("paper:cpu", "cpu_ms", "desktop CPU (paper)", PAPER_DEVICES["cpu_ms"]),
        ReferenceDevice("paper:gpu", "gpu_ms", "RTX 2080 Ti (paper)", PAPER_DEVICES["gpu_ms"]),
    )
}


def is_reference(device: str) -> bool:
    return device.startswith(PREFIX)


def reference_device(name: str) -> ReferenceDevice:
    try:
        return REFERENCE_DEVICES[name]
    except KeyError as exc:
        raise UsageError(
            f"unknown reference device {name!r}; reference devices: {', '.join(REFERENCE_DEVICES)}"
        ) from exc


def reference_latencies(name: str):
    """Published latency (ms) per model for a reference device; models the paper left empty are dropped."""
    dev = reference_device(name)
    s = paper_table9()[dev.column].dropna()
    s.name = "latency_ms"
    return s


def published_complexity():
    """The paper's own cost columns: ``macs_m`` (its "FLOPs", fvcore multiply-adds) and ``params_m``."""
    t = paper_table9()
    return t[["flops_m", "params_m"]].rename(columns={"flops_m": "macs_m"})


def top1():
    """Published ImageNet top-1 (%) per model (Table 9)."""
    return paper_table9()["top1"]


def paper_families():
    """The paper's grouping per model: convnet or transformer."""
    return paper_table9()["family"]


def citation() -> str:
    return CITATION_SHORT
