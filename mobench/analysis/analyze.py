"""``analyze()``: correlation of latency with cost metrics per device, the paper's Table 1 layout.

Library entry point behind ``mobench analyze`` (and the report). Reference devices
(``paper:*``) are correlated with the paper's own published FLOPs/params columns by
default (the paper counted with fvcore); measured devices with mobench's counted
metrics of the deployed graph (:mod:`mobench.analysis.metrics`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import UsageError
from ..models.presets import PRESETS
from .correlation import (
    TABLE1_EXPLANATION,
    TABLE1_TOLERANCE,
    Agreement,
    Correlation,
    PaperComparison,
    compare_with_paper,
    correlate,
    device_agreement,
)
from .metrics import Metric, metrics_table, parse_metrics
from .reference import is_reference, published_complexity, reference_latencies
from .tables import (
    DEFAULT_STAT,
    available_devices,
    latency_table,
    load_runs,
    precision_table,
    resolve_devices,
    stat_column,
)

COMPLEXITY_SOURCES = ("auto", "paper", "counted")
REFERENCE_SET = "figure2"  # the paper's Table 1 / Figure 2 correlation set


@dataclass
class AnalysisResult:
    stat: str
    devices: list[str]
    metrics: list[str]
    rows: list[Correlation]
    comparisons: list[PaperComparison]
    agreements: list[Agreement]
    latency: Any  # DataFrame model x device (ms)
    complexity: Any = None  # counted metrics DataFrame (or None)
    complexity_errors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: measured target -> model -> headline, ci_half_width (fraction), target_ci_met (``tables.precision_table``)
    precision: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": self.stat,
            "devices": self.devices,
            "metrics": self.metrics,
            "correlations": [r.to_dict() for r in self.rows],
            "paper_table1": [c.to_dict() for c in self.comparisons],
            "paper_table1_tolerance": TABLE1_TOLERANCE,
            "agreement": [a.to_dict() for a in self.agreements],
            "complexity_errors": self.complexity_errors,
            "notes": self.notes,
            "latency_ms": {d: {m: float(v) for m, v in self.latency[d].dropna().items()} for d in self.latency.columns},
            "precision": {d: p for d, p in self.precision.items() if d in self.devices},
        }

    def to_frame(self):
        import pandas as pd

        df = pd.DataFrame([r.to_dict() for r in self.rows])
        if not df.empty:
            df["models"] = df["models"].map(lambda m: " ".join(m))
            df.insert(1, "kind", df["device"].map(lambda d: "reference" if is_reference(d) else "measured"))
        return df


def _measured_on(runs, target: str) -> str:
    """Where a target's runs were measured, in words: the phone, or the host (name and CPU)."""
    col = "target" if "target" in runs else "device"
    sel = runs[runs[col] == target]
    if sel.empty:
        return "unknown hardware"
    row = sel.iloc[-1]
    hw = row.get("hardware") if "hardware" in sel else None
    host = row.get("host") if "host" in sel else None
    cpu = row.get("cpu") if "cpu" in sel else None
    if hw and cpu and hw != cpu:  # a host stores runs of its own CPU, or of a device it drives (a phone)
        return f"the device {hw}, not this host"
    return f"host {host or '?'} ({hw or row.get('cpu') or 'unknown CPU'})"


def _reference_models(models: list[str] | None) -> list[str] | None:
    if models is not None:
        return models

    return list(PRESETS[REFERENCE_SET])


def analyze(
    devices: list[str] | None = None,
    metrics: str | list[str] | None = None,
    *,
    db=None,
    runs=None,
    stat: str = DEFAULT_STAT,
    complexity: str = "auto",
    models: list[str] | None = None,
    counted=None,
    count_missing: bool = True,
    n_resamples: int = 2000,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> AnalysisResult:
    """Correlate latency with each metric on each device.

    ``devices``: measured device names in the store and/or ``paper:iphone12|cpu|gpu``
    (default: every measured device, then ``paper:iphone12`` and ``paper:cpu``).
    ``models`` restricts every device to those models; by default reference devices use
    the paper's correlation set (preset ``figure2``) and measured devices what was measured.
    ``counted``: a precomputed metrics DataFrame (index model) to avoid rebuilding models;
    with ``count_missing=False`` models missing from it are left out instead of built.
    """
    import pandas as pd

    if complexity not in COMPLEXITY_SOURCES:
        raise UsageError(f"--complexity must be one of {', '.join(COMPLEXITY_SOURCES)}, not {complexity!r}")
    stat_column(stat)  # unknown --stat: an error even when only reference devices are asked for
    chosen: list[Metric] = parse_metrics(metrics)
    if runs is None:
        try:
            runs = load_runs(db)
        except Exception as exc:
            if devices and all(is_reference(d) for d in devices):
                runs = pd.DataFrame()  # reference devices need no store
            else:
                raise exc
    selection_notes: list[str] = []
    if not devices:
        devices = [d for d in available_devices(runs) if d != "paper:gpu"]
    else:
        devices, selection_notes = resolve_devices(list(devices), runs)
    lat = latency_table(devices, runs, stat)

    ref_models = _reference_models(models)
    use: dict[str, list[str]] = {}
    for d in devices:
        have = list(lat[d].dropna().index)
        wanted = ref_models if is_reference(d) else models
        use[d] = [m for m in have if wanted is None or m in wanted]

    def source_for(d: str, m: Metric) -> str:
        if m.name in ("macs", "params") and (complexity == "paper" or (complexity == "auto" and is_reference(d))):
            return "paper"
        return "counted"

    need_counted = sorted(
        {m for d in devices for m in use[d] if any(source_for(d, met) == "counted" for met in chosen)}
    )
    errors: dict[str, str] = {}
    if need_counted:
        if counted is None:
            counted, errors = metrics_table(need_counted, progress=progress)
        else:
            missing = [m for m in need_counted if m not in counted.index]
            if missing and count_missing:
                extra, errors = metrics_table(missing, progress=progress)
                counted = pd.concat([counted, extra]) if not extra.empty else counted
    published = published_complexity()

    rows: list[Correlation] = []
    for d in devices:
        for met in chosen:
            src = source_for(d, met)
            table = published if src == "paper" else counted
            if table is None or table.empty or met.column not in table:
                series = pd.Series(dtype=float)
            else:
                series = table[met.column]
            series = series[series.index.isin(use[d])]
            rows.append(
                correlate(
                    lat[d][use[d]],
                    series,
                    device=d,
                    metric_name=met.name,
                    source=src,
                    n_resamples=n_resamples,
                    seed=seed,
                )
            )

    agreements = []
    for d in devices:
        if is_reference(d):
            continue
        for ref in ("paper:cpu", "paper:iphone12"):
            ref_lat = reference_latencies(ref)
            mine = lat[d].dropna()
            if models is not None:
                mine = mine[mine.index.isin(models)]
            agreements.append(device_agreement(mine, ref_lat, device_a=d, device_b=ref))

    notes = list(selection_notes)
    comps = compare_with_paper(rows)
    if comps:
        notes.append(TABLE1_EXPLANATION)
    if errors:
        notes.append(f"metrics could not be counted for {len(errors)} model(s): {', '.join(sorted(errors))}")
    for d in devices:
        if not is_reference(d):
            notes.append(
                f"{d}: latency = per-run {stat} of the newest stored run per model on this target "
                f"(measured on {_measured_on(runs, d)})"
            )
    return AnalysisResult(
        stat=stat,
        devices=devices,
        metrics=[m.name for m in chosen],
        rows=rows,
        comparisons=comps,
        agreements=agreements,
        latency=lat,
        complexity=counted,
        complexity_errors=errors,
        notes=notes,
        precision=precision_table(runs),
    )
