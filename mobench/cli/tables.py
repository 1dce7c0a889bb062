"""Rich tables of runs: the headline statistic is named in every table."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..core.configs import HEADLINES
from ..core.util import fmt_number

HEADLINE_LABEL = {"min": "min", "median": "median", "trimmed_mean": "trimmed mean", "mean": "mean", "robust": "robust"}
_STAT_COL = {h: f"{h}_ms" for h in HEADLINES}


def spread_cell(r: dict[str, Any]) -> str:
    """The rounds' spread (upper/lower quartile of round medians - 1), flagged when they disagree."""
    v = r.get("round_spread")
    if v is None or (isinstance(v, float) and math.isnan(v)) or r.get("status") != "ok":
        return "-"
    txt = _pct(v)
    return f"[bold yellow]{txt} ![/]" if r.get("rounds_disagree") else txt


def ci_cell(r: dict[str, Any]) -> str:
    """The headline's 95% CI half-width (``±1.2%``), marked when the run missed its precision target."""
    v = r.get("ci_half_width")
    if r.get("status") != "ok" or v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    txt = f"±{100 * v:.1f}%"
    return f"[yellow]{txt} ✗[/]" if r.get("target_ci_met") == 0 else txt


def disagree_note(rows: Iterable[dict[str, Any]]) -> str | None:
    """A line naming the runs whose rounds disagree or that missed their precision target (None when none)."""
    rows = [r for r in rows if r.get("status") == "ok"]
    bad = [str(r.get("model")) for r in rows if r.get("rounds_disagree")]
    missed = [str(r.get("model")) for r in rows if r.get("target_ci_met") == 0]
    notes = []
    if bad:
        notes.append(
            "[yellow]note:[/] rounds disagree (spread beyond what each run's own noise predicts, marked !) for "
            f"{', '.join(bad)}: the machine changed while they were timed; the robust figure "
            "(lower quartile of round medians) is the one to trust, or time them again."
        )
    if missed:
        notes.append(
            "[yellow]note:[/] reached the maximum time short of the precision target (marked ✗): "
            f"{', '.join(missed)}; their CI is wider than asked (--target-ci), time them on a quieter machine "
            "or raise --max-time."
        )
    return "\n".join(notes) or None


def _pct(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{100 * v:.1f}%"


def runs_table(rows: Iterable[dict[str, Any]], *, title: str | None = None, show_device: bool = False):
    """A rich Table; ``rows`` are dicts with the stats keys (``results.load`` rows or sweep rows).

    The headline statistic (it depends on the protocol) is starred in its column
    header and named in the caption; when the rows mix protocols with different
    headlines, a ``headline`` column names it per row.
    """
    from rich.markup import escape
    from rich.table import Table

    rows = list(rows)
    heads = sorted({r.get("headline") or "median" for r in rows if r.get("status") == "ok"}) or ["median"]
    single = heads[0] if len(heads) == 1 else None
    if single:
        caption = f"* headline statistic: {HEADLINE_LABEL.get(single, single)} (ms)."
    else:
        caption = "headline statistic per run in the 'headline' column."
    caption += (
        " Times in ms; 95% CI = bootstrap CI of the median; CV = std/mean; load/1st = load and first inference; "
        "ΔRSS = peak resident-memory growth of the process during load or timed inference; "
        "robust = lower quartile of the round medians; ±CI = half-width of the headline's 95% CI, ✗ when "
        "the run hit its maximum time short of --target-ci; rounds ± = upper/lower quartile of the round "
        "medians - 1, ! when beyond what the run's own within-round noise predicts (the rounds disagree)."
    )
    table = Table(title=title, caption=caption, caption_justify="left")

    def star(stat: str, label: str) -> str:
        return f"{label} *" if single == stat else label

    cols: list[tuple[str, dict]] = [("run", {"justify": "right"}), ("model", {"no_wrap": True})]
    if show_device:
        cols += [("target", {"no_wrap": True, "overflow": "fold"}), ("protocol", {})]
    if not single:
        cols.append(("headline", {"no_wrap": True}))
    cols += [
        ("n", {"justify": "right"}),
        (star("min", "min"), {"justify": "right"}),
        (star("median", "median"), {"justify": "right"}),
        ("95% CI", {"justify": "right", "no_wrap": True}),
        ("CV", {"justify": "right"}),
        (star("trimmed_mean", "trim. mean"), {"justify": "right"}),
        (star("robust", "robust"), {"justify": "right"}),
        ("±CI", {"justify": "right", "no_wrap": True}),
        ("rounds ±", {"justify": "right", "no_wrap": True}),
        ("load", {"justify": "right"}),
        ("1st", {"justify": "right"}),
        ("ΔRSS MB", {"justify": "right"}),
        ("status", {}),
    ]
    if single == "mean":
        cols.insert(-10, ("mean *", {"justify": "right"}))
    for name, kw in cols:
        table.add_column(name, **kw)
    for r in rows:
        ok = r.get("status") == "ok"
        head = r.get("headline") or "median"
        err = str(r.get("error") or "")
        status = "ok" if ok else f"[red]failed[/] {escape(err[:90] + ('...' if len(err) > 90 else ''))}"
        if r.get("reused"):
            status = "[cyan]stored[/]"
        mems = [v for v in (r.get("inference_peak_rss_delta_mb"), r.get("load_peak_rss_delta_mb")) if v is not None]

        def cell(stat: str, nd: int | None = None, r=r, ok=ok, head=head) -> str:
            txt = fmt_number(r.get(_STAT_COL[stat]), nd) if ok else "-"
            return f"[bold]{txt}[/]" if ok and stat == head else txt

        vals = [str(r.get("run_id") or "-"), str(r.get("model"))]
        if show_device:
            vals += [str(r.get("target") or r.get("device")), str(r.get("protocol") or "-")]
        if not single:
            vals.append(
                f"{HEADLINE_LABEL.get(head, head)} {fmt_number(r.get(_STAT_COL.get(head, 'median_ms')))}" if ok else "-"
            )
        vals += [
            str(r.get("n_samples") or r.get("n") or 0),
            cell("min"),
            cell("median"),
            f"{fmt_number(r.get('median_ci_low_ms'))}-{fmt_number(r.get('median_ci_high_ms'))}" if ok else "-",
            _pct(r.get("cv")) if ok else "-",
            cell("trimmed_mean"),
            cell("robust"),
            ci_cell(r),
            spread_cell(r),
            fmt_number(r.get("load_ms"), 0),
            fmt_number(r.get("first_inference_ms")),
            fmt_number(max(mems), 1) if mems else "-",
            status,
        ]
        if single == "mean":
            vals.insert(-10, cell("mean"))
        table.add_row(*vals)
    return table


def record_row(rec, stats: dict[str, Any] | None) -> dict[str, Any]:
    """A table row for a RunRecord and its statistics."""
    import statistics

    row: dict[str, Any] = {
        "run_id": rec.run_id,
        "model": rec.model,
        "device": rec.device,
        "target": (rec.target or {}).get("label"),
        "protocol": rec.protocol,
        "status": rec.status,
        "error": rec.error,
        "n_samples": rec.n_samples,
        "reused": rec.reused,
        "load_ms": statistics.median(rec.load_ms) if rec.load_ms else None,
        "first_inference_ms": statistics.median(rec.first_inference_ms) if rec.first_inference_ms else None,
        "inference_peak_rss_delta_mb": (rec.memory or {}).get("inference_peak_rss_delta_mb"),
        "load_peak_rss_delta_mb": (rec.memory or {}).get("load_peak_rss_delta_mb"),
    }
    row.update(stats or {})
    return row
