"""One self-contained HTML report: environment, protocol, correlation and latency tables, every plot.

Plots are embedded as base64 PNG (the SVGs sit next to the report in ``plots/``),
tables come from pandas, everything user-provided is HTML-escaped. Nothing is
loaded from the network, so the file can be mailed or archived as is.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.configs import PROTOCOLS
from ..core.errors import UsageError
from ..core.util import atomic_write_text, fmt_number, host_provenance
from ..data import CITATION
from .correlation import TABLE1_TOLERANCE
from .plots import fused_table
from .reference import is_reference, reference_latencies
from .tables import STATS, _target_col, device_label, latest_per_model, split_fused

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1400px;
     padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}
th,td{border:1px solid #ccc;padding:.25em .55em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}details{text-align:left;max-width:40em}
.note{color:#555;font-size:.9em}.ok{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}code{background:#f6f8fa;padding:0 .2em}
.tag{font-size:.75em;padding:.05em .4em;border-radius:.3em;background:#eef}
"""

NOISY_CV = 0.10  # a run whose std/mean exceeds this is flagged in the report

_PLOT_CAPTIONS = {
    "latency_vs_macs": "Latency vs MACs, one panel per device (log-log). Spearman rho in each panel.",
    "latency_vs_params": "Latency vs parameter count, one panel per device (log-log).",
    "top1_vs_latency": "Published ImageNet top-1 vs latency; the black step line is the Pareto front.",
    "measured_vs_paper": "Latency measured here vs the paper's published latency; solid = identity, "
    "dashed = median ratio.",
    "latency_distribution": "Every raw sample per model (box = quartiles, whiskers = p1-p99).",
    "latency_drift": "Median of each round relative to the run's median: warm-up shows as a high start, "
    "throttling as a rising line.",
    "fused_vs_unfused": "Latency of the reparameterized (fused) graph vs the train-time (unfused) graph; "
    "mobench run times each model's unfused graph right after its fused one.",
}


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _f(x: Any, nd: int = 2) -> str:
    return _e(fmt_number(x, nd))


def _table(headers: list[str], rows: list[list[str]]) -> str:
    """An HTML table from already-escaped cell strings."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _environment(runs) -> str:
    rows = []
    if runs is not None and not runs.empty:
        cols = [
            c
            for c in (
                "target",
                "device",
                "hardware",
                "device_model",
                "host",
                "cpu",
                "os",
                "threads",
                "compute_units",
                "runtime",
                "runtime_version",
                "python_version",
                "mobench_version",
                "git_commit",
            )
            if c in runs
        ]
        ok = runs[runs["status"] == "ok"] if "status" in runs else runs
        env = ok[cols].astype(object).where(ok[cols].notna(), "-").astype(str).drop_duplicates()
        rows = [[_e(v) for v in r] for r in env.itertuples(index=False)]
        return (
            "<p>Measured on, one row per target (from the store's provenance; a phone's runs were "
            "measured on the phone, the host only drove it):</p>" + _table([_e(c) for c in cols], rows)
        )
    prov = host_provenance()
    items = [
        ("host", prov["host"]),
        ("cpu", prov["cpu"]),
        ("os", prov["os"]),
        ("cores", f"{prov['physical_cores']} physical / {prov['logical_cores']} logical"),
    ]
    items += [(k, v) for k, v in prov["versions"].items()]
    return "<p>No measured runs; this host:</p>" + _table(["field", "value"], [[_e(k), _e(v)] for k, v in items])


def _protocols(runs) -> str:
    if runs is None or runs.empty:
        return "<p>No measured runs in the store; only the paper's reference devices are shown.</p>"

    ok = runs[runs["status"] == "ok"]
    parts = []
    for name, g in ok.groupby("protocol"):
        base_name = str(name).split("+")[0]
        cfg = PROTOCOLS.get(base_name) if base_name in PROTOCOLS else None
        desc = (
            (
                f"warm-up {cfg.warmup}, {cfg.rounds} rounds x {cfg.inferences} inferences, trim {cfg.trim}, "
                f"reload per round: {cfg.reload_per_round}, time budget per model: "
                f"{cfg.time_budget_s if cfg.time_budget_s else 'none'} s, minimum samples {cfg.min_inferences}, "
                f"headline {cfg.headline}"
            )
            if cfg
            else "custom configuration (see the store)"
        )
        parts.append([_e(name), _e(desc), _e(len(g)), _e(f"{int(g['n_samples'].min())}-{int(g['n_samples'].max())}")])
    return _table(["protocol", "what it does", "runs", "samples per run"], parts)


def _correlations(result) -> str:
    out = []
    hdr = ["latency measured on"] + [f"vs {m} (rho, p)" for m in result.metrics] + ["n"]
    rows = []
    for d in result.devices:
        cells, n = [], 0
        for m in result.metrics:
            r = next(r for r in result.rows if r.device == d and r.metric == m)
            cells.append(f"{_f(r.spearman_rho)}, {_f(r.spearman_p)}")
            n = max(n, r.n)
        rows.append([_e(device_label(d))] + cells + [str(n)])
    out.append(
        "<p>Spearman rank correlation of latency with each cost metric, in the layout of the "
        "paper's Table 1. Measured latency = per-run "
        + _e(result.stat)
        + "; reference latency = as published.</p>"
        + _table(hdr, rows)
    )
    det = [
        [
            _e(r.device),
            _e(r.metric),
            _e(r.source),
            str(r.n),
            _f(r.spearman_rho),
            f"[{_f(r.ci_low)}, {_f(r.ci_high)}]",
            _f(r.spearman_p, 3),
            _f(r.kendall_tau),
            _f(r.pearson_log_r),
            f"<details><summary>{len(r.models)} models</summary>{_e(', '.join(r.models))}</details>",
        ]
        for r in result.rows
    ]
    out.append(
        "<p>Details. Source <i>paper</i> = the paper's published FLOPs/params (fvcore); "
        "<i>counted</i> = mobench on the deployed graph. CI = paired bootstrap 95%.</p>"
        + _table(
            [
                "device",
                "metric",
                "source",
                "n",
                "Spearman rho",
                "95% CI",
                "p",
                "Kendall tau",
                "Pearson r (log-log)",
                "models",
            ],
            det,
        )
    )
    if result.comparisons:
        rows = []
        for c in result.comparisons:
            cls = "ok" if c.within else "warn"
            rows.append(
                [
                    _e(c.device),
                    _e(c.metric),
                    f"{c.paper_rho:.2f} ({c.paper_p:.2f})",
                    f"{c.rho:.3f} ({c.p:.3f})",
                    f"{c.diff:+.3f}",
                    str(c.n),
                    f"<span class='{cls}'>{'reproduced' if c.within else 'outside tolerance'}</span>",
                ]
            )
        out.append(
            f"<h3>Against the paper's Table 1 (tolerance |delta rho| &le; {TABLE1_TOLERANCE})</h3>"
            + _table(["device", "metric", "paper rho (p)", "ours rho (p)", "delta", "n", "verdict"], rows)
        )
    if result.agreements:
        rows = [
            [_e(a.device_a), _e(a.device_b), str(a.n), _f(a.spearman_rho), _f(a.spearman_p, 3), _f(a.kendall_tau)]
            for a in result.agreements
        ]
        out.append(
            "<h3>Agreement between devices</h3><p>Rank correlation of this host's latencies with "
            "the paper's, over the models both have.</p>"
            + _table(["measured", "reference", "n", "Spearman rho", "p", "Kendall tau"], rows)
        )
    for n in result.notes:
        out.append(f"<p class='note'>{_e(n)}</p>")
    return "\n".join(out)


def _latencies(result, runs) -> str:
    if runs is None or runs.empty:
        lat = result.latency
        rows = [[_e(m)] + [_f(lat.at[m, d]) for d in lat.columns] for m in lat.index]
        return _table(["model"] + [_e(device_label(d, short=True)) for d in lat.columns], rows)
    deployed, _ = split_fused(runs)
    tc = _target_col(deployed)
    latest = latest_per_model(deployed).sort_values([tc, STATS.get(result.stat, "median_ms")])
    ref_cpu = reference_latencies("paper:cpu")
    ref_ip = reference_latencies("paper:iphone12")
    rows = []
    for r in latest.itertuples(index=False):
        d = r._asdict()
        rows.append(
            [
                _e(d["model"]),
                _e(d[tc]),
                _e(d.get("format")),
                _e(d.get("recipe")),
                _e(d.get("protocol")),
                str(int(d["n_samples"] or 0)),
                _f(d["median_ms"], 3),
                f"[{_f(d['median_ci_low_ms'], 3)}, {_f(d['median_ci_high_ms'], 3)}]",
                _f(d["min_ms"], 3),
                _f(d["p90_ms"], 3),
                _f(d["cv"], 3),
                _f(d.get("robust_ms"), 3),
                _precision(d),
                _spread(d),
                _e(d.get("schedule") or "-"),
                _f(d.get("load_ms"), 1),
                _f(d.get("first_inference_ms"), 1),
                _f(ref_cpu.get(d["model"])),
                _f(ref_ip.get(d["model"])),
            ]
        )
    table = _table(
        [
            "model",
            "target",
            "format",
            "recipe",
            "protocol",
            "n",
            "median (ms)",
            "median 95% CI",
            "min (ms)",
            "p90 (ms)",
            "CV",
            "robust (ms)",
            "headline 95% CI",
            "rounds spread",
            "schedule",
            "load (ms)",
            "first inference (ms)",
            "paper CPU (ms, reference)",
            "paper iPhone 12 (ms, reference)",
        ],
        rows,
    )
    if "rounds_disagree" in latest:
        split = latest[latest["rounds_disagree"].fillna(0).astype(bool)]
        if not split.empty:
            table += (
                f"<p class='warn'>{len(split)} of {len(latest)} runs have rounds that disagree (upper "
                "quartile of the round medians further above the lower one than the run's own within-round "
                f"noise predicts; flagged in 'rounds spread'): {_e(', '.join(split['model']))}. The machine "
                "changed while they were timed; robust = lower quartile of the round medians is the figure "
                "to trust.</p>"
            )
    if "target_ci_met" in latest:
        missed = latest[latest["target_ci_met"].fillna(1).astype(float) == 0]
        if not missed.empty:
            table += (
                f"<p class='warn'>{len(missed)} of {len(latest)} runs reached their maximum timing time "
                f"without their precision target (marked in 'headline 95% CI'): {_e(', '.join(missed['model']))}."
                "</p>"
            )
    noisy = latest[latest["cv"] > NOISY_CV] if "cv" in latest else latest.iloc[0:0]
    if not noisy.empty:
        table += (
            f"<p class='warn'>{len(noisy)} of {len(latest)} runs have a coefficient of variation above "
            f"{NOISY_CV:.0%} ({_e(', '.join(noisy['model']))}): the machine was busy or throttling while "
            "timing; medians are robust to this, but rankings of models closer than their CIs are not "
            "reliable. See the drift and distribution plots.</p>"
        )
    failed = runs[runs["status"] != "ok"]
    if not failed.empty:
        fc = _target_col(failed)
        frows = [[_e(r["model"]), _e(r[fc]), _e(r["error"])] for _, r in failed.iterrows()]
        table += "<h3>Failed runs</h3>" + _table(["model", "target", "error"], frows)
    return table


def _precision(d: dict) -> str:
    """The headline's 95% CI half-width, and whether the run met its precision target."""
    v = d.get("ci_half_width")
    if v is None or v != v:
        return "-"
    met, target = d.get("target_ci_met"), d.get("target_ci")
    txt = f"&plusmn;{v:.1%}"
    if target is not None and target == target:
        txt += f" (target &plusmn;{target:.0%}: {'met' if met else '&#9888; missed, hit the maximum time'})"
    return txt


def _host_checks(runs) -> str:
    """The host check stored with each sweep of the runs shown (one line per distinct check)."""
    if runs is None or runs.empty or "host_check" not in runs:
        return ""
    lines = [x for x in runs["host_check"].dropna().unique() if x]
    if not lines:
        return "<p>No host check stored with these runs (timed before mobench checked the host).</p>"
    items = "".join(f"<li>{_e(x)}</li>" for x in lines)
    return f"<p>Host check before timing (mobench doctor; one line per distinct result):</p><ul>{items}</ul>"


def _spread(d: dict) -> str:
    """The rounds' spread, with a flag when they disagree (beyond the run's own ``round_spread_limit``)."""
    v = d.get("round_spread")
    if v is None or v != v:
        return "-"
    flag = d.get("rounds_disagree")
    return f"{v:.1%}" + (" &#9888; disagree" if flag == flag and flag else "")


def _fused(runs, stat: str) -> str:

    df = fused_table(runs, STATS.get(stat, "median_ms"))
    if df.empty:
        return "<p>No model was timed both fused and unfused.</p>"
    rows = [
        [_e(r.model), _e(r.device), _f(r.unfused_ms, 3), _f(r.fused_ms, 3), f"{r.speedup:.2f}x"]
        for r in df.itertuples(index=False)
    ]
    return _table(["model", "device", f"unfused ({stat}, ms)", f"fused ({stat}, ms)", "speed-up"], rows)


def _complexity(result) -> str:
    df = result.complexity
    if df is None or getattr(df, "empty", True):
        return "<p>No counted metrics (the analysis used the paper's published columns only).</p>"
    cols = [c for c in ("params_m", "macs_m", "memory_mb", "activations_m", "layers", "branches", "depth") if c in df]
    ints = {"layers", "branches", "depth"}

    def cell(m, c) -> str:
        v = df.at[m, c]
        if c in ("params_m", "macs_m") and (v is None or v != v):
            return "not counted"  # a model file that does not tell (never shown as 0)
        return _f(v, 0 if c in ints else 1)

    rows = [[_e(m)] + [cell(m, c) for c in cols] for m in df.index]
    return (
        "<p>Counted by mobench on the deployed (fused) graph, batch 1, 224x224, fp32 "
        "(memory traffic = weights + activations read and written per op).</p>"
        + _table(["model"] + [_e(c) for c in cols], rows)
    )


def _plots(plots: dict[str, list[Path]], base: Path) -> str:
    out = []
    for stem, paths in plots.items():
        png = next((p for p in paths if str(p).endswith(".png")), None)
        svg = next((p for p in paths if str(p).endswith(".svg")), None)
        if png is None:
            continue
        data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
        link = ""
        if svg is not None:
            try:
                rel = Path(svg).resolve().relative_to(base.resolve())
            except ValueError:
                rel = Path(svg)
            link = f" <a href='{_e(rel.as_posix())}'>SVG</a>"
        out.append(
            f"<figure><img alt='{_e(stem)}' src='data:image/png;base64,{data}'>"
            f"<figcaption><b>{_e(stem)}</b>: {_e(_PLOT_CAPTIONS.get(stem, ''))}{link}</figcaption></figure>"
        )
    return "\n".join(out) or "<p>No plots.</p>"


def render_report(
    result,
    runs=None,
    plots: dict[str, list[Path]] | None = None,
    *,
    base: Path | None = None,
    title: str = "mobench report",
    summary: str = "",
    extra_sections: list[str] | None = None,
) -> str:
    """The report as an HTML string (see :func:`write_report`); ``extra_sections`` go before the plots."""
    base = Path(base or ".")
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    kinds = ", ".join(sorted({"measured" if not is_reference(d) else "reference" for d in result.devices}))
    sections = [
        f"<h1>{_e(title)}</h1>",
        f"<p class='note'>Generated {now} by mobench {__version__}. Devices: "
        f"{_e(', '.join(device_label(d, short=True) for d in result.devices))} ({kinds}). "
        f"Reference figures: {_e(CITATION)}.</p>",
        f"<p>{_e(summary)}</p>" if summary else "",
        "<h2>Environment</h2>",
        _environment(runs),
        _host_checks(runs),
        "<h2>Protocol</h2>",
        _protocols(runs),
        "<h2>Correlation of latency with cost metrics</h2>",
        _correlations(result),
        "<h2>Latency</h2>",
        _latencies(result, runs),
        "<h2>Fused vs unfused</h2>",
        _fused(runs, result.stat) if runs is not None and not runs.empty else "<p>No measured runs.</p>",
        "<h2>Complexity metrics</h2>",
        _complexity(result),
        *(extra_sections or []),
        "<h2>Plots</h2>",
        _plots(plots or {}, base),
    ]
    body = "\n".join(s for s in sections if s)
    return (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def write_report(path, result, runs=None, plots: dict[str, list[Path]] | None = None, **kw) -> Path:
    """Write the self-contained HTML report to ``path`` atomically."""
    path = Path(path)
    text = render_report(result, runs, plots, base=path.parent, **kw)
    try:
        return atomic_write_text(path, text)
    except OSError as exc:
        raise UsageError(f"cannot write the report to {path}: {exc.strerror or exc}") from exc
