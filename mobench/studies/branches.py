"""``branches``: MobileOne blocks with k = 1, 2, 4, 8 conv-BN branches, train-time against fused.

The MobileOne block (Vasu et al., CVPR 2023, Figure 3) trains with k parallel conv-BN
branches (the trivial over-parameterization factor) and is reparameterized to one
conv for inference. Here a small MobileOne (``probe_mobileone_k*``, widths 16-128,
:mod:`mobench.models.probes`) is timed for each k as its train-time graph and fused:
the unfused latency grows with k, the fused graph is the same for every k.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Column, Network, Row, Study

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class BranchesStudy(Study):
    title = "MobileOne blocks with k = 1, 2, 4, 8 branches, train-time vs fused"
    citation = "Vasu et al., MobileOne, CVPR 2023 (arXiv:2206.04040), Figure 3 (over-parameterization factor k)"
    columns = (
        Column("k", "k"),
        Column("form", "form", text=True),
        Column("latency_ms", "measured ms"),
        Column("params_m", "params M"),
        Column("model", "model", text=True),
    )

    def networks(self) -> list[Network]:
        from ..models.probes import BRANCH_KS

        return [
            Network(f"k={k} {form}", f"probe_mobileone_k{k}", fused=form == "fused", fields={"k": k, "form": form})
            for form in ("unfused", "fused")
            for k in BRANCH_KS
        ]

    def draw(self, rows: list[Row]) -> Figure:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 4.2))
        for form, style in (("unfused", "o-"), ("fused", "s-")):
            pts = sorted((r["k"], r["latency_ms"]) for r in rows if r["form"] == form and r.get("latency_ms"))
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=form)
        ax.set_xscale("log", base=2)
        ks = sorted({r["k"] for r in rows})
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.set_xlabel("k (conv-BN branches per MobileOne block)")
        ax.set_ylabel("latency (ms, median)")
        ax.set_ylim(bottom=0)
        ax.set_title("Over-parameterization: train-time vs fused MobileOne blocks")
        ax.legend()
        return fig
