"""``activations``: the 30-layer probe CNN with seven activation functions, beside the paper's Table 2.

The MobileOne paper (Vasu et al., CVPR 2023, Section 3.2, Table 2) times a 30-layer
CNN, identical but for its activation, on an iPhone 12: ReLU 1.53 ms, DynamicReLU-A
273.49 ms. Its network is not published; the probe CNN here
(:mod:`mobench.models.probes`, ``probe_act_*``) is mobench's own, so milliseconds
compare only on one device: the ratio to ReLU is the column to set beside the paper's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..data import CITATION_TABLE2
from .base import Column, Network, Row, Study

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class ActivationsStudy(Study):
    title = "30-layer CNN, seven activations, beside the paper's Table 2 (iPhone 12)"
    citation = "Vasu et al., MobileOne, CVPR 2023 (arXiv:2206.04040), Section 3.2, Table 2"
    note = (
        f"paper columns: {CITATION_TABLE2}. The paper's network is not published; mobench's 30-layer probe CNN is documented in "
        "mobench.models.probes. Compare ratios to ReLU, not milliseconds, across devices."
    )
    columns = (
        Column("label", "activation", text=True),
        Column("latency_ms", "measured ms"),
        Column("ratio_to_relu", "x ReLU"),
        Column("paper_ms", "paper iPhone 12 ms"),
        Column("paper_ratio_to_relu", "paper x ReLU"),
        Column("model", "model", text=True),
    )

    def networks(self) -> list[Network]:
        from ..models.probes import ACTIVATIONS

        return [Network(label, f"probe_act_{act}", fields={"activation": act}) for act, label in ACTIVATIONS.items()]

    def derive(self, rows: list[Row], resolution: int) -> None:
        super().derive(rows, resolution)
        from ..data import paper_table2

        t2 = paper_table2()
        base = next((r["latency_ms"] for r in rows if r["activation"] == "relu"), None)
        for r in rows:
            r["paper_ms"] = float(t2.at[r["activation"], "iphone12_ms"])
            r["paper_ratio_to_relu"] = r["paper_ms"] / float(t2.at["relu", "iphone12_ms"])
            r["ratio_to_relu"] = (r["latency_ms"] / base) if (base and r["latency_ms"]) else None

    def draw(self, rows: list[Row]) -> Figure:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4.2))
        labels = [r["label"] for r in rows]
        base = next((r for r in rows if r["label"] == "ReLU"), rows[0])
        meas = [(r["latency_ms"] or float("nan")) / (base["latency_ms"] or float("nan")) for r in rows]
        paper = [(r.get("paper_ms") or float("nan")) / (base.get("paper_ms") or float("nan")) for r in rows]
        x = range(len(rows))
        ax.bar([i - 0.2 for i in x], meas, 0.4, label=f"measured ({rows[0].get('device', '')})")
        ax.bar([i + 0.2 for i in x], paper, 0.4, label="paper, iPhone 12 (Table 2)")
        ax.set_yscale("log")
        ax.set_xticks(list(x), labels, rotation=20, fontsize=8)
        ax.set_ylabel("latency relative to ReLU (log)")
        ax.set_title("Activation functions: 30-layer CNN, identical but for the activation")
        ax.legend(fontsize=8)
        return fig
