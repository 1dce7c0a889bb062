"""``run_sweep``: export what is needed, time every model, store every run.

For each model: find or make the artifact the device needs (reusing an export
whose manifest matches), check it against its manifest's sha256, skip the
model if the store already holds a successful run of the same measurement
(model, device, artifact sha256 and config key) unless ``force``, time it, and
store the run in its own transaction. A failure of one model (export or
runtime) becomes a stored ``failed`` run and the sweep goes on; bad input
(unknown device or model, unusable store) raises before anything is done.
"""

from __future__ import annotations

import dataclasses
import os
import traceback
from datetime import datetime, timezone
from typing import Any, Iterable

from ..core.configs import BenchConfig, config_key, protocol
from ..core.errors import ArtifactExistsError, DeviceError, MobenchError, UsageError, one_line
from ..core.progress import Reporter, Tick, reporter_or_null
from ..core.records import RunRecord
from ..core.util import host_provenance, sha256_path
from ..devices import get_device
from ..exporters import ExportConfig, export, find_artifact
from ..exporters.config import DEFAULT_RESOLUTION
from ..models import resolve_models
from ..models.artifact import as_artifact, check_device
from ..models.user import is_artifact, is_user_key, lookup
from ..results import Store


def _failed(model: str, device, config: BenchConfig, error: str, stage: str, **fields: Any) -> RunRecord:
    try:
        info = device.info()
    except Exception:  # the failure record must not fail
        info = {}
    rec = RunRecord(
        model=model, device=device.name, status="failed", error=f"{stage}: {error}",
        protocol=config.name, config=config.to_dict(), device_info=info,
        provenance=host_provenance(), created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    for k, v in fields.items():
        setattr(rec, k, v)
    rec.extra["stage"] = stage
    return rec


class ArtifactIntegrityError(DeviceError):
    """An artifact on disk is missing or does not match its manifest: bad input, not a model failure.

    Not stored as a failed run (the model did nothing wrong); the sweep goes on
    and ``mobench bench`` exits non-zero with this message.
    """


def _artifact(model: str, device, config: BenchConfig, export_config: Any, step=None):
    """The verified artifact for ``model`` on ``device`` (exported if not found; a model file is itself)."""
    if is_artifact(model):
        try:
            return as_artifact(model)
        except DeviceError as exc:
            raise ArtifactIntegrityError(str(exc)) from None
    ec = export_config if export_config is not None else ExportConfig(input_kind=config.input_kind)
    if is_user_key(model) and ec.resolution == DEFAULT_RESOLUTION != lookup(model).input_size:
        ec = dataclasses.replace(ec, resolution=lookup(model).input_size)   # the size its factory declared
    fmt = device.artifact_format
    fix = f"re-export it: mobench export --model {model} --format {fmt} --force"
    art = None if getattr(ec, "force", False) else find_artifact(model, fmt, ec)
    if art is None:
        try:
            art = export(model, fmt, ec, progress=step)
        except ArtifactExistsError:
            # find_artifact refused the file that is there: it no longer matches its manifest
            raise ArtifactIntegrityError(
                f"the {fmt} export of {model} on disk does not match its manifest (corrupt or changed); {fix}"
            ) from None
    want = (art.manifest or {}).get("sha256")
    if not os.path.exists(art.path):
        raise ArtifactIntegrityError(f"artifact {art.path} of {model} is missing; {fix}")
    if want and sha256_path(art.path) != want:
        raise ArtifactIntegrityError(
            f"artifact {art.path} of {model} does not match the sha256 in its manifest (corrupt or changed); {fix}"
        )
    return art


def _torch_resolution(names: list[str]) -> int:
    """The one input size the torch device feeds this sweep: 224, or the size a user factory declares."""
    sizes = {lookup(n).input_size if is_user_key(n) else 224 for n in names}
    if len(sizes) > 1:
        raise UsageError(f"these models take different input sizes ({', '.join(map(str, sorted(sizes)))}); "
                         "the torch device times one size per sweep: bench them separately")
    return sizes.pop()


def run_sweep(
    models: Iterable[str],
    device: str = "cpu",
    config: BenchConfig | None = None,
    *,
    db: Any = None,
    export_config: Any = None,
    force: bool = False,
    device_options: dict[str, Any] | None = None,
    progress: Reporter | None = None,
) -> list[RunRecord]:
    """Time ``models`` on ``device`` with ``config`` and store every run (see module docstring).

    Returns one :class:`RunRecord` per model, in order; reused runs come from
    the store with ``extra["reused"] = True``; every stored record carries
    ``extra["run_id"]``. A missing or corrupt artifact is bad input, not a model
    failure: its record has ``status="failed"`` and ``extra["stored"] = False``. ``db`` is a path, a :class:`~mobench.results.Store` or
    ``None`` (``results/mobench.sqlite``). ``progress`` is told about every stage of every model.
    """
    config = config or protocol("modelbench")
    names = resolve_models(list(models))
    opts = dict(device_options or {})
    if device == "torch" and export_config is not None:
        opts.setdefault("fuse", getattr(export_config, "reparameterize", True))
        opts.setdefault("resolution", getattr(export_config, "resolution", 224))
        opts.setdefault("checkpoint", getattr(export_config, "checkpoint", None))
    if device == "torch" and opts.get("resolution") is None:
        opts["resolution"] = _torch_resolution(names)
    dev = get_device(device, **opts)
    ok, reason = dev.available()
    if not ok:
        raise DeviceError(f"device {device!r} is not usable here: {reason}")
    for name in names:
        if is_artifact(name):
            check_device(name, dev)   # a model file runs only where its format runs: bad input, before anything
    key = config_key(config, **dev.options_key())
    results: list[RunRecord] = []
    own_store = not isinstance(db, Store)
    store = Store(db) if own_store else db
    try:
        with reporter_or_null(progress).phase("sweep", total=len(names)) as tick:
            for name in names:
                tick(name, "start")
                rec = _one(name, dev, config, key, store, export_config, force, tick)
                results.append(rec)
                tick(name, "reused" if rec.extra.get("reused") else rec.status, True)
    finally:
        if own_store:
            store.close()
    return results


def _one(name, dev, config, key, store, export_config, force, tick: Tick) -> RunRecord:
    art = None
    if dev.artifact_format is not None:
        tick(name, "export")
        try:
            art = _artifact(name, dev, config, export_config, step=lambda what: tick(name, f"export: {what}"))
        except ArtifactIntegrityError as exc:
            rec = _failed(name, dev, config, str(exc), "artifact", artifact_format=dev.artifact_format)
            rec.extra["stored"] = False
            return rec
        except Exception as exc:
            rec = _failed(name, dev, config, one_line(exc), "export", artifact_format=dev.artifact_format,
                          reparameterized=getattr(export_config, "reparameterize", True))
            rec.extra["traceback"] = traceback.format_exc(limit=8) if not isinstance(exc, MobenchError) else None
            rec.extra["config_key"] = key
            rec.extra["run_id"] = store.add_run(rec, config_key=key)
            return rec
    sha = (art.manifest or {}).get("sha256") if art is not None else None
    if not force:
        found = store.find_run(name, dev.name, sha, key)
        if found is not None:
            rec = store.get_run(found)
            rec.extra["reused"] = True
            return rec
    tick(name, "timing")
    try:
        rec = dev.run(name, art, config, progress=lambda done, total: tick(name, f"round {done}/{total}"))
    except Exception as exc:
        rec = _failed(name, dev, config, one_line(exc), "run", **dev.artifact_fields(art))
        if not isinstance(exc, MobenchError):
            rec.extra["traceback"] = traceback.format_exc(limit=8)
    rec.extra["config_key"] = key
    if is_user_key(name):
        rec.extra["model_source"] = lookup(name).to_dict()
    rec.extra["run_id"] = store.add_run(rec, config_key=key)
    return rec
