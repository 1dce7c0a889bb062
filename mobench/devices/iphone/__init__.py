"""The tethered iPhone: host side of the mobench harness app (``ios_harness/``).

The app runs a *plan* (Core ML models + compute units + protocol) and writes a
*report* with every raw sample; both are defined by the JSON Schemas in
``schema/`` and the contract in ``PROTOCOL.md``. Plans, the session, ingest and
the Wi-Fi plan server are the remote-device harness's (:mod:`mobench.devices.remote`),
run with the iPhone's :data:`~.constants.IPHONE` kind (Core ML packages,
MLComputeUnits, engines). This package keeps what is the iPhone's own: the
transports that reach the app (:class:`~.transport.Transport`: pymobiledevice3,
devicectl, or a local folder for the Swift command-line harness or the Python
stand-in), discovery of attached phones (:mod:`.discovery`) and Core ML
specifics. CLI: ``mobench ios devices|plan|run|serve|ingest``.

:class:`IPhoneDevice` is the ``iphone`` backend of the device registry: it
times one exported Core ML artifact on the phone through the same session.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...core.errors import DeviceError, UsageError
from ...core.records import RunRecord
from ...core.registry import Registry
from ...core.util import atomic_write_json, safe_filename, sha256_path
from ...exporters.manifest import manifest_recipe
from ..base import Device, DeviceOption
from ..remote.ingest import to_records
from ..remote.plan import make_plan, parse_compute_units
from ..remote.session import run_session
from .constants import BUNDLE_ID, IPHONE, PLAN_FILE, PROTOCOL_VERSION, SCHEMA_VERSION, default_bundle_id
from .discovery import list_iphones
from .transport import Transport

__all__ = ["BUNDLE_ID", "IPhoneDevice", "PROTOCOL_VERSION", "SCHEMA_VERSION", "TRANSPORTS", "make_transport"]


#: How the host reaches the app: name -> "module:Transport subclass". Other
#: distributions add transports through the ``mobench.transports`` entry-point group.
TRANSPORTS: Registry[type[Transport]] = Registry("transport", group="mobench.transports")
TRANSPORTS.register("pymobiledevice3", "mobench.devices.iphone.transport:Pymobiledevice3Transport")
TRANSPORTS.register("devicectl", "mobench.devices.iphone.transport:DevicectlTransport")
TRANSPORTS.register("folder", "mobench.devices.iphone.transport:FolderTransport")


def make_transport(
    kind: str = "pymobiledevice3",
    *,
    udid: str | None = None,
    tunnel: str | None = None,
    documents: str | None = None,
    app_command: list[str] | None = None,
    timeout: float = 120.0,
    bundle_id: str | None = None,
    launcher: str = "dvt",
) -> Transport:
    """A transport by name: ``pymobiledevice3`` (default), ``devicectl`` or ``folder``."""
    return TRANSPORTS.get(kind).from_options(
        udid=udid,
        tunnel=tunnel,
        documents=documents,
        app_command=app_command,
        timeout=timeout,
        bundle_id=bundle_id,
        launcher=launcher,
    )


class IPhoneDevice(Device):
    """Core ML on a tethered iPhone, through the harness app."""

    name = "iphone"
    artifact_format = "coreml"
    description = "a tethered iPhone running the mobench harness app (Core ML)"
    OPTIONS = {
        "compute_units": DeviceOption(
            "compute_units",
            str,
            "Core ML compute units",
            ("all", "cpu", "gpu", "ane", "cpuOnly", "cpuAndGPU", "cpuAndNeuralEngine"),
        ),
        "udid": DeviceOption("udid", str, "the phone's UDID (default: the one attached)"),
        "transport": DeviceOption("transport", str, "pymobiledevice3, devicectl or folder"),
    }

    def __init__(
        self,
        *,
        udid: str | None = None,
        compute_units: str = "all",
        transport: str = "pymobiledevice3",
        timeout: float = 3600.0,
        bundle_id: str | None = None,
    ) -> None:

        units = parse_compute_units(compute_units, IPHONE)
        if len(units) != 1:
            raise UsageError(
                "the iphone device times one compute-units setting per run; use `mobench ios run` for several"
            )
        self.udid = udid
        self.compute_units = units[0]
        self.transport_kind = transport
        self.timeout = timeout
        self.bundle_id = bundle_id

    @classmethod
    def available(cls) -> tuple[bool, str]:

        try:  # DeviceError also when pymobiledevice3 is not installed
            phones = list_iphones(timeout=10)
        except DeviceError as exc:
            return False, str(exc)
        if not phones:
            return False, "no iPhone attached over USB (connect it, unlock it, tap Trust; see `mobench ios devices`)"
        ready = [p for p in phones if p.ready]
        if not ready:
            return False, f"iPhone {phones[0].udid} is not ready: {phones[0].next_step}"
        return True, ""

    def info(self) -> dict[str, Any]:
        return {
            "udid": self.udid,
            "compute_units": self.compute_units,
            "transport": self.transport_kind,
            "runtime": "Core ML",
            "app_bundle_id": self.bundle_id or default_bundle_id(),
            "protocol_version": PROTOCOL_VERSION,
        }

    def options_key(self) -> dict[str, Any]:
        return {"compute_units": self.compute_units, "udid": self.udid}

    def run(self, model_name: str, artifact: Any, config: Any, *, progress: Callable | None = None) -> RunRecord:
        def per_model(model: str, what: str) -> None:
            if progress is not None and what.startswith("round "):
                done, total = what.split()[1].split("/")
                progress(int(done), int(total))

        rec = self.run_many([(model_name, artifact)], config, progress=per_model)[model_name]
        if progress is not None:
            rounds = int(getattr(config, "rounds", 1))
            progress(rounds, rounds)
        return rec

    def run_many(
        self, items: list[tuple[str, Any]], config: Any, *, progress: Callable[[str, str], None] | None = None
    ) -> dict[str, RunRecord]:
        """Time every ``(model, Core ML artifact)`` of a sweep in one plan: one push, one app launch,
        one report (the same plan and session code as ``mobench ios run``). Returns model -> record."""
        if not items:
            return {}
        with tempfile.TemporaryDirectory(prefix="mobench-iphone-") as tmp:
            plan_dir = Path(tmp) / "plan"
            plan_dir.mkdir()
            entries, manifests = [], {}
            for model_name, artifact in items:
                if artifact is None or getattr(artifact, "path", None) is None:
                    raise DeviceError("the iphone device needs an exported Core ML artifact (.mlpackage)")
                src = Path(artifact.path)
                if not src.exists():
                    raise DeviceError(f"artifact {src} does not exist; export the model again")
                dest = plan_dir / f"{safe_filename(model_name)}{src.suffix or '.mlpackage'}"
                (shutil.copytree if src.is_dir() else shutil.copyfile)(src, dest)
                entries.append((model_name, dest.name, sha256_path(dest)))
                manifests[model_name] = getattr(artifact, "manifest", None) or {}
            plan = make_plan(entries, [self.compute_units], config, input_kind=getattr(config, "input_kind", "image"))
            atomic_write_json(plan_dir / PLAN_FILE, plan)
            models_by_run = {r["run_id"]: r["model"] for r in plan["runs"]}

            def on_progress(p: dict[str, Any]) -> None:
                model = models_by_run.get(p.get("current") or "")
                if progress is not None and model and p.get("round") is not None:
                    progress(model, f"round {int(p['round'])}/{int(getattr(config, 'rounds', 1))}")

            transport = make_transport(self.transport_kind, udid=self.udid, bundle_id=self.bundle_id)
            result = run_session(
                plan_dir, transport, timeout=self.timeout, store=False, on_progress=on_progress, kind=IPHONE
            )
        out: dict[str, RunRecord] = {}
        for rec in to_records(result.report, source=str(result.report_path), udid=self.udid, kind=IPHONE):
            man = manifests.get(rec.model, {})
            rec.recipe, rec.reparameterized = manifest_recipe(man), man.get("reparameterized")
            rec.config = config.to_dict() if hasattr(config, "to_dict") else rec.config
            rec.protocol = getattr(config, "name", rec.protocol)
            if rec.target:
                rec.target["recipe"] = rec.recipe
                rec.target = {k: v for k, v in rec.target.items() if k not in ("key", "label")}
            out[rec.model] = rec
        return out
