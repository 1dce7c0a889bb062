"""``run_profile``: time a model as usual, profile it, and store the profile linked to that run.

On a device that profiles here (its ``profiler()`` names a function) the model is first timed through the
normal sweep (a fresh run, stored with its raw samples): its median is the
unprofiled reference that states the profiling overhead (profiled total against
unprofiled median), and, for Core ML, the time the compute plan's costs are
scaled by. Then the profiler runs on the same artifact with the same device
options. On a device whose profiler reads stored runs (a phone; and the device name the
Swift harness's synthetic engine is stored as) the profile comes from the newest stored
run of the model on that device whose report carries compute-plan costs (runs reach the
store through ``mobench ios`` plans).
"""

from __future__ import annotations

from typing import Any

from ..core.configs import protocol
from ..core.errors import DeviceError
from ..core.profiles import Profile
from ..core.progress import Reporter
from ..devices import DEVICES, device_class, get_device
from ..devices.remote import KINDS
from ..exporters import ExportConfig, find_artifact
from ..exporters.model_file import as_artifact
from ..models import resolve_models
from ..models.user import is_artifact
from ..profiling import profile_artifact
from ..profiling.coreml_plan import profile_from_report_run
from ..results import Store
from ..results.profiles import add_profile
from .sweep import run_sweep, sweep_device_options


def stored_run_devices() -> set[str]:
    """Devices profiled from stored remote-harness runs whose report carries ``compute_plan.ops``:
    the device names every engine of every remote kind is stored as (``iphone``, ``harness-known-cost``)."""
    return {device for kind in KINDS.values() for device, _ in kind.engines.values()}


def profile_devices() -> dict[str, str]:
    """Every device that can profile, with how (from each device's ``profiler()``, and the stored-run devices)."""
    out: dict[str, str] = {}
    for name in DEVICES.names():
        try:
            spec = device_class(name).profiler()
        except Exception:  # a device that cannot load here is left out
            continue
        if spec is not None:
            out[name] = spec.description
    for name in sorted(stored_run_devices() - set(out)):
        out[name] = "compute plan from stored harness reports"
    return out


def check_profile_device(name: str) -> None:
    """Raise a one-line :class:`DeviceError` unless ``name`` is a device that can profile."""
    if name in stored_run_devices():
        return
    if name in DEVICES:
        if device_class(name).profiler() is not None:
            return
        raise DeviceError(f"cannot profile on {name!r}: the device has no profiler")
    raise DeviceError(f"cannot profile on {name!r}: profiles come from {', '.join(profile_devices())}")


def run_profile(
    model: str,
    device: str = "cpu",
    *,
    unfused: bool = False,
    runs: int | None = None,
    protocol_name: str = "quick",
    db: Any = None,
    export_config: ExportConfig | None = None,
    device_options: dict[str, Any] | None = None,
    progress: Reporter | None = None,
) -> Profile:
    """Profile ``model`` on ``device`` and store the profile (see the module docstring)."""
    check_profile_device(device)
    (name,) = resolve_models([model])
    own = not isinstance(db, Store)
    store = Store(db) if own else db
    try:
        if device in stored_run_devices() or _profiler(device).from_stored_runs:
            prof = _from_stored(store, name, device, unfused)
        else:
            prof = _local(store, name, device, unfused, runs, protocol_name, export_config, device_options, progress)
        prof.extra["profile_id"] = add_profile(store, prof)
        return prof
    finally:
        if own:
            store.close()


def _profiler(device: str):
    spec = device_class(device).profiler()
    assert spec is not None  # check_profile_device said so
    return spec


def _local(store, name, device, unfused, runs, protocol_name, export_config, device_options, progress) -> Profile:
    config = protocol(protocol_name)
    opts = dict(device_options or {})
    ec = export_config or ExportConfig(input_kind=config.input_kind)
    if unfused:
        from dataclasses import replace

        ec = replace(ec, reparameterize=False)
    opts = sweep_device_options(device, [name], ec, opts)  # the options the timing run gets
    (rec,) = run_sweep(
        [name], device, config, db=store, export_config=ec, force=True, device_options=opts, progress=progress
    )
    if rec.status != "ok":
        raise DeviceError(f"cannot profile {name} on {device}: its timing run failed ({rec.error})")
    assert rec.run_id is not None  # run_sweep stored it
    stats = store.get_stats(rec.run_id) or {}
    median = stats.get("median_ms")
    dev = get_device(device, **opts)
    art = None
    if dev.artifact_format is not None and is_artifact(name):  # a model file is its own artifact
        art = as_artifact(name)
    elif dev.artifact_format is not None:
        art = find_artifact(name, dev.artifact_format, ec)
        if art is None:
            raise DeviceError(f"the {dev.artifact_format} export of {name} timed a moment ago is gone")
    prof = profile_artifact(dev, name, art, config, runs=runs, median_ms=median)
    prof.run_id = rec.run_id
    prof.unprofiled_median_ms = median
    prof.unfused = unfused
    return prof


def _from_stored(store: Store, name: str, device: str, unfused: bool) -> Profile:
    rows = store.list_runs(model=name, device=device, status="ok")
    rows = [r for r in rows if (r.get("reparameterized") == 0) == unfused]  # SQLite keeps 0/1/NULL
    last_err = None
    for row in rows:  # newest first
        rec = store.get_run(row["run_id"])
        if not (rec.extra or {}).get("compute_plan"):
            continue
        try:
            return profile_from_report_run(rec, row.get("median_ms"))
        except DeviceError as exc:
            last_err = exc
    if last_err is not None:
        raise last_err
    form = "unfused " if unfused else ""
    raise DeviceError(
        f"no stored {device} run of the {form}{name} with a compute plan; time it on the phone "
        f"first (mobench ios plan / mobench ios ingest), then profile again"
    )
