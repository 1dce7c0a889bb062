"""Assemble the tables analysis and plots work on: latency per (model, device), complexity per model.

Measured latencies come from the results store (``mobench.results.load``);
reference latencies from the paper (``paper:*`` devices). A device column
is labelled measured or reference wherever it is shown (:func:`device_label`).
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import StoreError, UsageError
from .reference import REFERENCE_DEVICES, is_reference, reference_latencies
from ..results import load
from ..models import model_info

# CLI name -> store column of the per-run statistic used as "the" latency.
STATS = {
    "median": "median_ms",
    "min": "min_ms",
    "mean": "mean_ms",
    "trimmed_mean": "trimmed_mean_ms",
    "p90": "p90_ms",
    "robust": "robust_ms",
}
DEFAULT_STAT = "median"


def stat_column(stat: str) -> str:
    try:
        return STATS[stat]
    except KeyError:
        raise UsageError(f"unknown statistic {stat!r}; choose from {', '.join(STATS)}") from None


def device_label(device: str, *, short: bool = False) -> str:
    """``paper:iphone12`` -> "iPhone 12 (paper, reference)"; ``cpu`` -> "cpu (measured)"."""
    if is_reference(device):
        d = REFERENCE_DEVICES.get(device)
        base = d.label.replace(" (paper)", "") if d else device
        return f"{device} (reference)" if short else f"{base} - {device} (reference, published)"
    return f"{device} (measured)"


def load_runs(db=None):
    """Store rows (one per run); a StoreError naming ``mobench run`` when ``db`` does not exist."""
    if db is not None and not Path(db).exists():
        raise StoreError(f"no results store at {db}; run `mobench run` or `mobench bench` first, or pass --db PATH")

    return load(db)


def _reparameterizable(model: str) -> bool:
    try:

        return bool(model_info(model).reparameterizable)
    except Exception:  # unknown or unbuildable model: treat as plain
        return False


def split_fused(runs):
    """Split ok runs into (deployed, unfused): unfused = reparameterized False on a reparameterizable model."""
    if runs.empty:
        return runs, runs
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    rep = ok.get("reparameterized")
    if rep is None:
        return ok, ok.iloc[0:0]
    is_false = rep.map(lambda v: v is not None and v == v and not bool(v))
    rmap = {m: _reparameterizable(m) for m in ok["model"].unique()} if is_false.any() else {}
    unfused_mask = is_false & ok["model"].map(lambda m: rmap.get(m, False))
    return ok[~unfused_mask], ok[unfused_mask]


def latest_per_model(runs):
    """Keep the newest run per (model, device)."""
    if runs.empty:
        return runs
    order = [c for c in ("created", "run_id") if c in runs]
    return runs.sort_values(order).groupby(["model", "device"], as_index=False).tail(1)


def measured_latency_table(runs, stat: str = DEFAULT_STAT):
    """DataFrame indexed by model, one column per measured device: the chosen statistic (ms)."""
    import pandas as pd

    col = stat_column(stat)
    deployed, _ = split_fused(runs)
    latest = latest_per_model(deployed)
    if latest.empty:
        return pd.DataFrame()
    return latest.pivot(index="model", columns="device", values=col)


def latency_table(devices: list[str], runs=None, stat: str = DEFAULT_STAT):
    """Latency (ms) per model for each requested device (measured or reference), as a DataFrame."""
    import pandas as pd

    measured = measured_latency_table(runs, stat) if runs is not None and not runs.empty else pd.DataFrame()
    cols = {}
    for d in devices:
        if is_reference(d):
            cols[d] = reference_latencies(d)
        elif d in measured:
            cols[d] = measured[d].dropna()
        else:
            have = sorted(set(measured.columns)) if not measured.empty else []
            raise UsageError(
                f"no measured runs for device {d!r} in the store (measured devices: "
                f"{', '.join(have) or 'none'}; reference devices: {', '.join(REFERENCE_DEVICES)})"
            )
    return pd.DataFrame(cols)


def available_devices(runs=None) -> list[str]:
    """Measured devices in the store, then the reference devices."""
    measured = []
    if runs is not None and not runs.empty:
        deployed, _ = split_fused(runs)
        measured = sorted(deployed["device"].unique())
    return [*measured, *REFERENCE_DEVICES]
