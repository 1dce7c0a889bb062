"""Assemble the tables analysis and plots work on: latency per (model, target), complexity per model.

Measured latencies come from the results store (``mobench.results.load``), one
column per measurement *target* (backend + hardware + options, see
:mod:`mobench.core.target`; the column name is the target's label, e.g.
``cpu/ort-1.23/2t`` or ``iphone13,2/ane``), so two phones, hosts or
compute-unit settings are never merged. Reference latencies come from the paper
(``paper:*`` devices). A column is labelled measured or reference wherever it
is shown (:func:`device_label`).
"""

from __future__ import annotations

from typing import Any

from ..core.configs import STATISTICS
from ..core.errors import StoreError, UsageError
from ..models import canonical_alias, model_info
from ..results import load, locate
from .reference import REFERENCE_DEVICES, is_reference, reference_latencies

# CLI name -> store column of the per-run statistic used as "the" latency.
STATS = {s: f"{s}_ms" for s in STATISTICS}
DEFAULT_STAT = "median"


def stat_column(stat: str) -> str:
    try:
        return STATS[stat]
    except KeyError as exc:
        raise UsageError(f"unknown statistic {stat!r}; choose from {', '.join(STATS)}") from exc


def device_label(device: str, *, short: bool = False) -> str:
    """``paper:iphone12`` -> "iPhone 12 (paper, reference)"; ``cpu`` -> "cpu (measured)"."""
    if is_reference(device):
        d = REFERENCE_DEVICES.get(device)
        base = d.label.replace(" (paper)", "") if d else device
        return f"{device} (reference)" if short else f"{base} - {device} (reference, published)"
    return f"{device} (measured)"


TARGET = "target"  # the runs frame's column naming each run's target (its unique label)


def _target_col(runs) -> str:
    return TARGET if TARGET in runs else "device"


def resolve_devices(requested: list[str], runs=None) -> tuple[list[str], list[str]]:
    """``--device`` values -> (target labels and reference devices, notes).

    A backend name (``cpu``, ``iphone``) selects every target of that backend; a
    target label selects that target. When one target is chosen among several
    of its backend, a note names the others, so nothing is dropped silently.
    """
    targets = _targets_by_backend(runs)
    out: list[str] = []
    notes: list[str] = []
    for d in requested:
        if is_reference(d):
            chosen = [d]
        elif d in targets:
            chosen = targets[d]
        else:
            owner = next((b for b, ts in targets.items() if d in ts), None)
            if owner is None:
                have = [t for ts in targets.values() for t in ts]
                raise UsageError(
                    f"no measured runs for device {d!r} in the store (backends: {', '.join(targets) or 'none'}; "
                    f"targets: {', '.join(have) or 'none'}; reference devices: {', '.join(REFERENCE_DEVICES)})"
                )
            chosen = [d]
            others = [t for t in targets[owner] if t != d and t not in requested]
            if others:
                notes.append(
                    f"{d}: chosen among {len(targets[owner])} {owner} targets; not shown: "
                    f"{', '.join(others)} (pass --device {owner} for all)"
                )
        out.extend(c for c in chosen if c not in out)
    return out, notes


def _targets_by_backend(runs) -> dict[str, list[str]]:
    if runs is None or runs.empty:
        return {}
    deployed, _ = split_fused(runs)
    col = _target_col(deployed)
    out: dict[str, list[str]] = {}
    for backend, target in deployed[["device", col]].drop_duplicates().itertuples(index=False):
        out.setdefault(backend, [])
        if target not in out[backend]:
            out[backend].append(target)
    return {b: sorted(ts) for b, ts in sorted(out.items())}


def load_runs(db=None):
    """Store rows (one per run); a StoreError naming ``mobench run`` when ``db`` does not exist.

    A run stored under a model's former name (a registered alias) reads as its current name,
    so it meets the model's metrics and its newer runs.
    """
    if db is not None and not locate(db).exists():
        raise StoreError(f"no results store at {db}; run `mobench run` or `mobench bench` first, or pass --db PATH")

    runs = load(db)
    if not runs.empty:
        runs["model"] = runs["model"].map(canonical_alias)
    return runs


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
    """Keep the newest run per (model, target): a model measured again on the same target counts
    once, runs on different targets (phones, hosts, compute units, threads) all stay."""
    if runs.empty:
        return runs
    order = [c for c in ("created", "run_id") if c in runs]
    return runs.sort_values(order).groupby(["model", _target_col(runs)], as_index=False).tail(1)


def measured_latency_table(runs, stat: str = DEFAULT_STAT):
    """DataFrame indexed by model, one column per measured target: the chosen statistic (ms)."""
    import pandas as pd

    col = stat_column(stat)
    deployed, _ = split_fused(runs)
    latest = latest_per_model(deployed)
    if latest.empty:
        return pd.DataFrame()
    return latest.pivot(index="model", columns=_target_col(latest), values=col)


def precision_table(runs) -> dict[str, dict[str, dict[str, Any]]]:
    """Per measured target and model (the newest deployed run): the headline statistic's name, the
    half-width of its 95% CI as a fraction, and whether the run met its precision target (None: no target)."""
    if runs is None or runs.empty or "ci_half_width" not in runs:
        return {}
    deployed, _ = split_fused(runs)
    latest = latest_per_model(deployed)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    tc = _target_col(latest) if not latest.empty else "target"
    for _, r in latest.iterrows():
        hw, met = r.get("ci_half_width"), r.get("target_ci_met")
        out.setdefault(str(r[tc]), {})[str(r["model"])] = {
            "headline": r.get("headline"),
            "ci_half_width": None if hw is None or hw != hw else float(hw),
            "target_ci_met": None if met is None or met != met else bool(met),
        }
    return out


def latency_table(devices: list[str], runs=None, stat: str = DEFAULT_STAT):
    """Latency (ms) per model for each requested target label or reference device, as a DataFrame."""
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
    """Measured targets in the store (by backend, then label), then the reference devices."""
    measured = [t for ts in _targets_by_backend(runs).values() for t in ts]
    return [*measured, *REFERENCE_DEVICES]
