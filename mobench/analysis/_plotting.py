"""Matplotlib helpers shared by the plots: figures without pyplot, styles per family, labels, saving."""

from __future__ import annotations

import io
from pathlib import Path

from ..core.util import atomic_write_bytes
from ..models import model_info
from .reference import paper_families

# Colour per model family (tab10), marker per paper grouping (convnet / transformer).
_FAMILY_COLORS = {
    "mobileone": "#d62728",
    "mobilenet": "#1f77b4",
    "efficientnet": "#2ca02c",
    "mixnet": "#17becf",
    "mnasnet": "#9467bd",
    "shufflenet": "#8c564b",
    "mobilenext": "#e377c2",
    "repvgg": "#ff7f0e",
    "mobilevit": "#bcbd22",
    "vit": "#7f7f7f",
    "deit": "#7f7f7f",
    "pit": "#393b79",
    "convit": "#637939",
    "mobileformer": "#843c39",
}
_MARKERS = {"convnet": "o", "transformer": "^"}


def new_figure(
    n_panels: int, *, panel_w: float = 6.0, panel_h: float = 4.6, ncols: int | None = None, sharey: bool = False
):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ncols = ncols or min(n_panels, 3)
    nrows = (n_panels + ncols - 1) // ncols
    fig = Figure(figsize=(panel_w * ncols, panel_h * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=sharey).ravel().tolist()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def family_of(model: str) -> tuple[str, str]:
    """(family, kind) from the registry, else from the paper's table, else a guess from the name."""
    try:
        info = model_info(model)
        return info.family, info.kind
    except Exception:
        pass
    try:
        kind = paper_families().get(model, "convnet")
    except Exception:
        kind = "convnet"
    return model.split("_")[0], kind


def style_of(model: str) -> dict:
    fam, kind = family_of(model)
    key = next((k for k in _FAMILY_COLORS if fam.lower().startswith(k)), None)
    color = _FAMILY_COLORS[key] if key is not None else "#444444"
    return {"color": color, "marker": _MARKERS.get(kind, "s"), "family": fam, "kind": kind}


def scatter_by_family(ax, xs, ys, models, *, size: float = 46):
    """Scatter points coloured by family, marker by kind; one legend entry per family."""
    seen = set()
    for x, y, m in zip(xs, ys, models, strict=False):
        st = style_of(m)
        label = st["family"] if st["family"] not in seen else None
        seen.add(st["family"])
        ax.scatter(
            [x],
            [y],
            s=size,
            c=st["color"],
            marker=st["marker"],
            edgecolors="black",
            linewidths=0.5,
            label=label,
            zorder=3,
        )


def short_name(model: str) -> str:
    return (
        model.replace("mobilenet_", "mnet_")
        .replace("shufflenet_", "shuffle_")
        .replace("mobileformer_", "mformer_")
        .replace("efficientnet_", "effnet_")
    )


def label_points(ax, xs, ys, labels, *, fontsize: float = 7.0) -> None:
    """Label every point, choosing per label the first offset that overlaps no earlier label or point.

    A greedy placement over eight offsets around the point (text size measured once per
    label, candidate boxes computed arithmetically); a label that fits nowhere takes the
    least-overlapping slot. Readable labels without an extra dependency.
    """
    from matplotlib.transforms import Bbox

    fig = ax.figure
    ax.margins(x=0.08, y=0.1)  # room for labels of points at the edges
    ax.autoscale_view()
    renderer = fig.canvas.get_renderer()
    pt = fig.dpi / 72.0
    offsets = [
        (4, 4, "left", "bottom"),
        (4, -4, "left", "top"),
        (-4, 4, "right", "bottom"),
        (-4, -4, "right", "top"),
        (0, 7, "center", "bottom"),
        (0, -7, "center", "top"),
        (7, 0, "left", "center"),
        (-7, 0, "right", "center"),
    ]
    pts = [ax.transData.transform((x, y)) for x, y in zip(xs, ys, strict=False)]
    axbox = ax.get_window_extent(renderer)
    placed = []
    order = sorted(range(len(labels)), key=lambda i: (pts[i][0], pts[i][1]))
    for i in order:
        ann = ax.annotate(
            labels[i],
            (xs[i], ys[i]),
            xytext=(4, 4),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=fontsize,
            zorder=4,
        )
        ext = ann.get_window_extent(renderer)
        w, h = ext.width * 1.04, ext.height * 1.08
        best, best_cost = None, None
        for dx, dy, ha, va in offsets:
            x0 = pts[i][0] + dx * pt - {"left": 0, "center": w / 2, "right": w}[ha]
            y0 = pts[i][1] + dy * pt - {"bottom": 0, "center": h / 2, "top": h}[va]
            bb = Bbox.from_bounds(x0, y0, w, h)
            cost = sum(_overlap(bb, o) for o in placed)
            cost += sum(1 for j, p in enumerate(pts) if j != i and bb.contains(p[0], p[1])) * 20 * w
            if bb.x0 < axbox.x0 or bb.x1 > axbox.x1 or bb.y0 < axbox.y0 or bb.y1 > axbox.y1:
                cost += w * h
            if best_cost is None or cost < best_cost:
                best, best_cost = (dx, dy, ha, va, bb), cost
            if cost == 0:
                break
        assert best is not None  # offsets is never empty
        dx, dy, ha, va, bb = best
        ann.set_position((dx, dy))
        ann.set_horizontalalignment(ha)
        ann.set_verticalalignment(va)
        placed.append(bb)


def plain_log_ticks(ax, axis: str = "both") -> None:
    """Log axes labelled with plain numbers (1, 2, 5, 10 ...) instead of 2x10^0.

    Call after the data is drawn: an axis spanning less than a factor 4 also labels
    its minor ticks (0.8, 0.9, ...), a wider one only 1-2-5 steps.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fmt = FuncFormatter(lambda v, _: f"{v:g}")
    for name in ["x", "y"] if axis == "both" else [axis]:
        a = getattr(ax, f"{name}axis")
        lo, hi = ax.get_xlim() if name == "x" else ax.get_ylim()
        a.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        a.set_major_formatter(fmt)
        a.set_minor_locator(LogLocator(subs=tuple(range(1, 10))))
        narrow = lo > 0 and hi / lo < 4
        a.set_minor_formatter(fmt if narrow else NullFormatter())


def family_legend(fig, axes) -> None:
    """One legend for the whole figure (the scatter families) below the panels."""
    seen = {}
    for ax in axes:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=False):
            if hasattr(h, "get_offsets") and label and not label.startswith("_") and label not in seen:
                seen[label] = h
    if seen:
        fig.legend(
            list(seen.values()),
            list(seen),
            loc="outside lower center",
            ncol=min(len(seen), 8),
            fontsize=8,
            frameon=False,
        )


def _overlap(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def save_figure(fig, out_dir: Path, name: str) -> list[Path]:
    """Write ``name.png`` (150 dpi) and ``name.svg`` atomically; returns both paths."""
    import matplotlib

    out = []
    for fmt, kw in (("png", {"dpi": 150}), ("svg", {})):
        buf = io.BytesIO()
        # svg.fonttype none: text stays text (searchable, 2-3x smaller and faster to write)
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            fig.savefig(buf, format=fmt, **kw)
        out.append(atomic_write_bytes(Path(out_dir) / f"{name}.{fmt}", buf.getvalue()))
    return out
