"""Profiles for people: op-type share plots and HTML report sections.

``plot_op_shares(profiles, out_dir)`` draws, per model, the share of each op type
in the profiled time, fused and unfused side by side (one horizontal stacked bar
per model and form). ``profiles_section`` renders the HTML section,
``stored_sections`` the sections of every profile kept in a store, and
``write_sections_report`` writes sections as one self-contained report (the same
style as the report of ``mobench run``). The studies' sections come from
:mod:`mobench.studies`.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..core.errors import UsageError
from ..core.profiles import Profile, op_type_shares, stage_times
from ..core.util import atomic_write_text
from ..results.profiles import list_profiles
from ._plotting import save_figure
from .report import _CSS, _e, _f, _table

MAX_TYPES = 8  # op types drawn by name; the rest are "other"


def _type_order(profiles: list[Profile]) -> list[str]:
    acc: dict[str, float] = {}
    for p in profiles:
        for fam, _, share in op_type_shares(p):
            acc[fam] = acc.get(fam, 0.0) + share
    return [k for k, _ in sorted(acc.items(), key=lambda kv: -kv[1])][:MAX_TYPES]


def plot_op_shares(profiles: list[Profile], out_dir: Path, name: str = "op_type_shares") -> list[Path]:
    """Stacked bars of op-type shares, one per (model, fused/unfused), fused first; PNG + SVG."""
    if not profiles:
        raise UsageError("no profiles to plot; run `mobench profile` first")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = sorted(profiles, key=lambda p: (p.model, p.device, p.unfused))
    types = _type_order(order)
    labels = [f"{p.model} ({p.device}, {'unfused' if p.unfused else 'fused'})" for p in order]
    fig, ax = plt.subplots(figsize=(10, max(2.6, 0.45 * len(order) + 1.4)))
    cmap = plt.get_cmap("tab10")
    left = [0.0] * len(order)
    for i, t in enumerate(types + ["other"]):
        vals = []
        for p in order:
            shares = {k: s for k, _, s in op_type_shares(p)}
            vals.append(sum(s for k, s in shares.items() if k not in types) if t == "other" else shares.get(t, 0.0))
        ax.barh(
            range(len(order)),
            [100 * v for v in vals],
            left=left,
            color=cmap(i % 10),
            label=t,
            edgecolor="white",
            linewidth=0.5,
        )
        left = [a + 100 * v for a, v in zip(left, vals, strict=False)]
    ax.set_yticks(range(len(order)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the profiled op time (%)")
    ax.set_title("Where the time goes: op-type shares, fused vs unfused")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), title="op type", title_fontsize=8)
    fig.tight_layout()
    try:
        return save_figure(fig, out_dir, name)
    finally:
        plt.close(fig)


def profiles_section(profiles: list[Profile], top: int = 10) -> str:
    """HTML: per profile, the totals, the op-type shares, the stages and the top ops."""
    if not profiles:
        return "<p>No profiles stored.</p>"
    out = []
    for p in profiles:
        form = "unfused" if p.unfused else "fused"
        est = " (estimated: compute-plan cost x measured median)" if p.estimated else ""
        out.append(f"<h3>{_e(p.model)} on {_e(p.device)}, {form}</h3>")
        out.append(
            f"<p class='note'>{_e(p.source)}{_e(est)}, {p.runs} profiled inference(s). Profiled total "
            f"{_f(p.profiled_total_ms, 3)} ms, unprofiled median {_f(p.unprofiled_median_ms, 3)} ms "
            f"(overhead {_f(100 * p.overhead, 1) if p.overhead is not None else '-'}%); "
            f"ops add up to {_f(p.ops_total_ms, 3)} ms "
            f"({_f(100 * p.coverage, 1) if p.coverage is not None else '-'}% of the profiled total).</p>"
        )
        out.append(
            _table(["op type", "ms", "share %"], [[_e(k), _f(v, 3), _f(100 * s, 1)] for k, v, s in op_type_shares(p)])
        )
        st = stage_times(p)
        if len(st) > 1:
            out.append(_table(["stage", "ms", "share %"], [[_e(k), _f(v, 3), _f(100 * s, 1)] for k, v, s in st]))
        out.append(
            _table(
                ["op", "type", "ms", "device"],
                [[_e(o.name), _e(o.op_type), _f(o.ms, 3), _e(o.device or "")] for o in p.top_ops(top)],
            )
        )
    return "\n".join(out)


def figure_html(paths: list[Path], caption: str) -> str:
    png = next((p for p in paths if str(p).endswith(".png")), None)
    if png is None:
        return ""
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    return f"<figure><img alt='{_e(caption)}' src='data:image/png;base64,{data}'><figcaption>{_e(caption)}</figcaption></figure>"


def write_sections_report(path: Path, title: str, sections: list[str]) -> Path:
    """Write ``sections`` (HTML strings) as one self-contained report, atomically."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    body = "\n".join(
        [f"<h1>{_e(title)}</h1>", f"<p class='note'>Generated {now} by mobench {__version__}.</p>", *sections]
    )
    text = (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )
    try:
        return atomic_write_text(Path(path), text)
    except OSError as exc:
        raise UsageError(f"cannot write the report to {path}: {exc.strerror or exc}") from None


def stored_sections(store) -> list[str]:
    """Report sections for the profiles kept in ``store`` (empty if there are none)."""
    profiles = list_profiles(store)
    if not profiles:
        return []
    return ["<h2>Profiles: where the time goes</h2>", profiles_section(profiles)]
