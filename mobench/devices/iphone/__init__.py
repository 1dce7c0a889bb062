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
from ..base import Device, DeviceOption, DeviceProfiler
from ..remote import reuse_key_options
from ..remote.ingest import to_records
from ..remote.plan import make_plan, parse_compute_units
from ..remote.session import run_session
from .constants import BUNDLE_ID, IPHONE, PLAN_FILE, PROTOCOL_VERSION, SCHEMA_VERSION, default_bundle_id
from .discovery import list_iphones
from .transport import Transport

__all__ = [
    "BUNDLE_ID",
    "IPhoneDevice",
    "PROTOCOL_VERSION",
    "SCHEMA_VERSION",
    "TRANSPORTS",
    "make_transport",
]


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
    runtime = "Core ML"
    runs_batches = True  # one plan, one app launch for a whole sweep
    OPTIONS = (
        DeviceOption(
            "compute_units",
            str,
            "all",
            "Core ML compute units (one per run; `mobench ios run` times several)",
            ("all", "cpu", "gpu", "ane", "cpuOnly", "cpuAndGPU", "cpuAndNeuralEngine"),
        ),
        DeviceOption("udid", str, None, "the phone's UDID (default: the one attached)", scope="run"),
        DeviceOption(
            "transport",
            str,
            "pymobiledevice3",
            "how the host reaches the app",
            tuple(TRANSPORTS.names()),
            scope="session",
        ),
        DeviceOption("timeout", float, 3600.0, "seconds to wait for the app's report", minimum=1, scope="session"),
        DeviceOption("bundle_id", str, None, "the harness app's bundle id", scope="session"),
    )
    compute_units: str
    udid: str | None
    transport: str
    timeout: float
    bundle_id: str | None

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        units = parse_compute_units(self.compute_units, IPHONE)
        if len(units) != 1:
            raise UsageError(
                "the iphone device times one compute-units setting per run; use `mobench ios run` for several"
            )
        self.set_option("compute_units", units[0])  # the plan's MLComputeUnits name

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

    def target(self, artifact: Any = None) -> None:
        """Unknown before the run: the phone that answers (its model, OS) makes the target."""
        return None

    @classmethod
    def profiler(cls) -> DeviceProfiler:
        return DeviceProfiler("Core ML compute plan from the harness report (iOS 17.4+)", from_stored_runs=True)

    def info(self) -> dict[str, Any]:
        return {
            "udid": self.udid,
            "compute_units": self.compute_units,
            "transport": self.transport,
            "runtime": self.runtime,
            "app_bundle_id": self.bundle_id or default_bundle_id(),
            "protocol_version": PROTOCOL_VERSION,
        }

    def options_key(self) -> dict[str, Any]:
        return reuse_key_options(self.compute_units, self.udid)

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

            transport = make_transport(self.transport, udid=self.udid, bundle_id=self.bundle_id)
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
