"""The store as pandas tables, for notebooks, the analysis and ``results export``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..core.errors import StoreError, UsageError
from ..core.target import unique_labels
from ..core.util import atomic_write_bytes
from .location import StoreLocation
from .store import Store
from .tables import STAT_COLUMNS

RUN_COLUMNS = [
    "run_id",
    "created",
    "status",
    "error",
    "model",
    "inputs",
    "input_data_sha256",
    "device",
    "target",
    "format",
    "reparameterized",
    "protocol",
    "headline",
    "headline_ms",
    "n_samples",
    "rounds",
    *STAT_COLUMNS,
    "robust_ms",
    "round_spread",
    "round_spread_limit",
    "rounds_disagree",
    "headline_ci_low_ms",
    "headline_ci_high_ms",
    "ci_half_width",
    "target_ci",
    "target_ci_met",
    "host_check",
    "schedule",
    "sweep_id",
    "load_ms",
    "first_inference_ms",
    "compile_ms",
    "load_rss_delta_mb",
    "load_peak_rss_delta_mb",
    "inference_peak_rss_delta_mb",
    "threads",
    "graph_optimization",
    "compute_units",
    "device_model",
    "os_version",
    "runtime",
    "runtime_version",
    "recipe",
    "hardware",
    "hardware_id",
    "target_label",
    "target_key",
    "uuid",
    "artifact_sha256",
    "config_key",
    "host",
    "cpu",
    "os",
    "python_version",
    "mobench_version",
    "git_commit",
]

#: ``target`` is the run's target label, made unique among the runs loaded together
#: (:func:`mobench.core.target.unique_labels`): each target is its own column in analysis.
_DEVICE_FIELDS = ("threads", "graph_optimization", "compute_units", "device_model", "os_version")
_MEMORY_FIELDS = ("load_rss_delta_mb", "load_peak_rss_delta_mb", "inference_peak_rss_delta_mb")


def _median(values: list[float]) -> float | None:
    import statistics

    return float(statistics.median(values)) if values else None


def _inputs(inputs_json: str | None, extra: dict[str, Any]) -> tuple[str | None, str | None]:
    """The run's input spec (``x: [1, 3, 640, 640] float32; ...``) and its ``--input-data`` sha256:
    the inputs stored with the run, else (runs stored before schema version 6) the model record
    stored with it (model files and factories; None for the zoo)."""
    src = extra.get("model_source") or {}
    chosen = json.loads(inputs_json) if inputs_json else src.get("chosen")
    if chosen:
        from ..core.inputs import Inputs

        inputs = Inputs.from_dict(chosen)
        return "; ".join(s.describe() for s in inputs.specs), (inputs.data.sha256 if inputs.data else None)
    if src.get("inputs"):
        from ..core.errors import UsageError
        from ..core.inputs import InputSpec, resolve

        specs = [InputSpec.from_dict(s) for s in src["inputs"]]
        try:
            specs = list(resolve(str(src.get("label") or ""), specs).specs)
        except UsageError:
            pass
        return "; ".join(s.describe() for s in specs), None
    return None, None


def _open(db: str | os.PathLike | StoreLocation | Store | None) -> tuple[Store, bool]:
    if isinstance(db, Store):
        return db, False
    return Store(db, readonly=True), True


def load(db: str | os.PathLike | StoreLocation | Store | None = None):
    """One row per run (see ``RUN_COLUMNS``): statistics, provenance, device fields flattened.

    ``load_ms`` / ``first_inference_ms`` are medians over the run's (re)loads.
    Failed runs are rows too, with ``status == "failed"`` and their ``error``.
    """
    import pandas as pd

    store, close = _open(db)
    try:
        rows = store._query(
            "SELECT r.*, s.n, s.rounds, s.min_ms, s.mean_ms, s.median_ms, s.p90_ms, s.p99_ms, s.std_ms, "
            "s.cv, s.trimmed_mean_ms, s.low_ms, s.high_ms, s.median_ci_low_ms, s.median_ci_high_ms, "
            "s.outlier_fraction, s.robust_ms, s.round_spread, s.round_spread_limit, s.rounds_disagree, "
            "s.headline_ci_low_ms, s.headline_ci_high_ms, s.ci_half_width, s.target_ci, s.target_ci_met, "
            "s.headline, s.headline_ms, sw.extra_json AS sweep_extra_json FROM runs r "
            "LEFT JOIN stats s ON s.run_id = r.id LEFT JOIN sweeps sw ON sw.id = r.sweep_id "
            "ORDER BY r.id"
        )
    finally:
        if close:
            store.close()
    out: list[dict[str, Any]] = []
    for r in rows:
        d = dict(r)
        info = json.loads(d.pop("device_info_json") or "{}")
        mem = json.loads(d.pop("memory_json") or "{}")
        host = (json.loads(d.pop("sweep_extra_json") or "{}") or {}).get("host_check") or {}
        rec = {
            "host_check": host.get("line"),
            "run_id": d["id"],
            "format": d["artifact_format"],
            "reparameterized": None if d["reparameterized"] is None else bool(d["reparameterized"]),
            "load_ms": _median(json.loads(d["load_ms_json"])),
            "first_inference_ms": _median(json.loads(d["first_inference_ms_json"])),
        }
        for k in RUN_COLUMNS:
            if k not in rec:
                rec[k] = d.get(k)
        for k in _DEVICE_FIELDS:
            rec[k] = info.get(k, rec.get(k))
        if rec["device_model"] is None:
            rec["device_model"] = info.get("model_identifier")
        for k in _MEMORY_FIELDS:
            rec[k] = mem.get(k)
        rec["inputs"], rec["input_data_sha256"] = _inputs(d.get("inputs_json"), json.loads(d.get("extra_json") or "{}"))
        out.append(rec)
    labels = unique_labels(
        (r["target_key"] or f"run{r['run_id']}", r["target_label"] or r["device"], r["hardware_id"]) for r in out
    )
    for r in out:
        r["target"] = labels[r["target_key"] or f"run{r['run_id']}"]
    df = pd.DataFrame(out, columns=RUN_COLUMNS)
    if len(df):
        df["created"] = pd.to_datetime(df["created"], utc=True, errors="coerce", format="ISO8601")
    return df


def load_samples(db: str | os.PathLike | StoreLocation | Store | None = None, *, run_ids: list[int] | None = None):
    """Every raw sample: ``run_id, model, device, target (stored label), protocol, round, index, latency_ms``."""
    import pandas as pd

    store, close = _open(db)
    try:
        sql = (
            "SELECT x.run_id, r.model, r.device, r.target_label AS target, r.protocol, x.round, "
            'x.idx AS "index", x.latency_ms '
            "FROM samples x JOIN runs r ON r.id = x.run_id"
        )
        args: tuple = ()
        if run_ids:
            sql += f" WHERE x.run_id IN ({', '.join('?' for _ in run_ids)})"
            args = tuple(int(i) for i in run_ids)
        rows = store._query(sql + " ORDER BY x.run_id, x.round, x.idx", args)
    finally:
        if close:
            store.close()
    return pd.DataFrame(
        [dict(r) for r in rows],
        columns=["run_id", "model", "device", "target", "protocol", "round", "index", "latency_ms"],
    )


EXPORT_FORMATS = ("csv", "parquet", "json")


def render(df, fmt: str) -> bytes:
    """``df`` as a ``fmt`` file's bytes (csv, json: one object per row, parquet)."""
    import io

    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    if fmt == "csv":
        return df.to_csv(index=False).encode("utf-8")
    if fmt == "json":
        return df.to_json(orient="records", date_format="iso", indent=1).encode("utf-8")
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def export(
    db: str | os.PathLike | StoreLocation | None, out: str | os.PathLike, fmt: str, *, samples: bool = False
) -> Path:
    """Write the runs table (or, with ``samples``, every raw sample) to ``out`` atomically."""
    df = load_samples(db) if samples else load(db)
    out = Path(out)
    if out.exists() and out.is_dir():
        raise UsageError(f"{out} is a folder; give a file name, e.g. {out / ('runs.' + fmt)}")
    data = render(df, fmt)
    try:
        atomic_write_bytes(out, data)
    except OSError as exc:
        raise StoreError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return out
