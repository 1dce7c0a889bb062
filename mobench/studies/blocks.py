"""``blocks``: skip connections, squeeze-excite and parallel conv-BN branches: memory traffic beside latency.

The MobileOne paper (Vasu et al., CVPR 2023, Section 3.2, Table 3) times architectural
blocks in a 30-layer CNN and explains their cost by memory access (a multi-branch
block keeps every branch's activations until they are added) and synchronization
(squeeze-excite's global pooling). Here the probe CNN (:mod:`mobench.models.probes`)
is timed plain, with a skip connection around every stride-1 layer, with SE-ReLU, and
with k = 4 parallel conv-BN branches per layer (``BLOCKS_BRANCHES``), unfused and fused; each row carries the
memory traffic of its graph (``analysis.metrics.graph_metrics``: weights + activations
read and written per op).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Column, Network, Row, Study, add_complexity

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class BlocksStudy(Study):
    title = "skip connections, squeeze-excite and parallel conv-BN branches: memory traffic and latency"
    citation = "Vasu et al., MobileOne, CVPR 2023 (arXiv:2206.04040), Section 3.2, Table 3"
    columns = (
        Column("label", "network", text=True),
        Column("memory_mb", "memory traffic MB"),
        Column("latency_ms", "measured ms"),
        Column("params_m", "params M"),
        Column("model", "model", text=True),
    )

    def networks(self) -> list[Network]:
        from ..models.probes import BLOCKS_BRANCHES as k

        return [
            Network("plain (ReLU)", "probe_act_relu"),
            Network("skip connections", "probe_blk_skip"),
            Network("squeeze-excite (SE-ReLU)", "probe_act_se_relu"),
            Network(f"{k} conv-BN branches, unfused", f"probe_blk_branches{k}", fused=False),
            Network(f"{k} conv-BN branches, fused", f"probe_blk_branches{k}"),
        ]

    def derive(self, rows: list[Row], resolution: int) -> None:
        add_complexity(rows, resolution, memory=True)

    def draw(self, rows: list[Row]) -> Figure:
        import matplotlib.pyplot as plt

        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
        labels = [r["label"] for r in rows]
        a1.barh(labels, [r.get("memory_mb") or 0 for r in rows], color="tab:orange")
        a1.set_xlabel("memory traffic per inference (MB)")
        a2.barh(labels, [r.get("latency_ms") or 0 for r in rows], color="tab:blue")
        a2.set_xlabel("latency (ms, median)")
        a2.set_yticks(range(len(labels)), [""] * len(labels))
        for a in (a1, a2):
            a.invert_yaxis()
        fig.suptitle("Blocks: skip connections, squeeze-excite, parallel branches")
        return fig
