"""One remote-device session: push a plan, launch the app, follow progress, pull, validate and store the report.

The same code drives a real iPhone (pymobiledevice3 or devicectl transport) and
the Python stand-in app of the tests (folder transport): only the transport
differs. The report is kept as a file next to the results store
(``<results>/ios_reports/<plan_id>.json``) before it is ingested, so a store
problem never loses a measurement (``mobench ios ingest`` can retry).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core.errors import DeviceError, SchemaError
from ...core.util import atomic_write_bytes, default_results_dir
from . import RemoteKind
from .constants import ARG_AUTOSTART, ARG_PLAN, ARG_REPORT, PLAN_FILE, PROGRESS_FILE, REPORT_FILE
from .ingest import IngestResult, ingest_report
from .plan import plan_files
from .schema import loads_json, read_json, validate_plan, validate_progress, validate_report

if TYPE_CHECKING:  # a platform's transport (push, launch, pull); e.g. mobench.devices.iphone.transport
    from ..iphone.transport import Transport

ProgressFn = Callable[[dict[str, Any]], None]


@dataclass
class SessionResult:
    report: dict[str, Any]
    report_path: Path
    ingest: IngestResult | None


def launch_args(plan_name: str = PLAN_FILE, report_name: str = REPORT_FILE) -> list[str]:
    return [ARG_PLAN, plan_name, ARG_REPORT, report_name, ARG_AUTOSTART]


def push_plan(
    transport: Transport, plan_dir: Path, plan: dict[str, Any], *, on_file: Callable[[str], None] | None = None
) -> None:
    """Models first, the plan last (the app never sees a plan whose models are missing)."""
    for name in (REPORT_FILE, PROGRESS_FILE, PLAN_FILE):
        transport.remove(name)
    for name in plan_files(plan):
        src = plan_dir / name
        if not src.exists():
            raise SchemaError(f"the plan names {name} but {src} does not exist; re-run `mobench ios plan`")
        if on_file:
            on_file(name)
        transport.push(src, name)
    transport.push(plan_dir / PLAN_FILE, PLAN_FILE)


def _pull_json(transport: Transport, name: str, tmpdir: Path) -> bytes | None:
    local = tmpdir / name
    if local.exists():
        local.unlink()
    if not transport.pull(name, local):
        return None
    return local.read_bytes()


def wait_for_report(
    transport: Transport,
    plan: dict[str, Any],
    *,
    timeout: float,
    poll: float = 2.0,
    on_progress: ProgressFn | None = None,
) -> bytes:
    """Poll ``progress.json`` until the plan is finished (or the app exited); return the report bytes."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="mobench-ios-") as tmp:
        tmpdir = Path(tmp)
        while True:
            raw = _pull_json(transport, PROGRESS_FILE, tmpdir)
            if raw is not None:
                try:
                    prog = validate_progress(loads_json(raw, PROGRESS_FILE))
                except SchemaError:
                    prog = None  # caught mid-write or from an older app: poll again
                if prog is not None and prog["plan_id"] == plan["plan_id"]:
                    if prog != last and on_progress:
                        on_progress(prog)
                    last = prog
                    if prog["state"] == "failed":
                        raise DeviceError(
                            f"the harness app could not run the plan: {prog.get('error') or 'no reason given'}"
                        )
                    if prog["state"] == "finished":
                        break
            exited = transport.app_exited()
            if exited:
                break
            if time.monotonic() >= deadline:
                where = (
                    f" (last progress: {last['done']}/{last['total']} runs, current {last.get('current')})"
                    if last
                    else " (no progress.json from the app yet)"
                )
                raise DeviceError(
                    f"no finished report after {timeout:.0f} s{where}; check that the app is in the foreground "
                    "and the phone unlocked, raise --timeout for big plans, or pull Documents/report.json "
                    "later and run `mobench ios ingest`"
                )
            time.sleep(poll)
        report = _pull_json(transport, REPORT_FILE, tmpdir)
    if report is None:
        console = transport.console().strip().splitlines()[-3:]
        hint = f" (app output: {' | '.join(console)})" if console else ""
        raise DeviceError(
            f"the harness app finished without writing {REPORT_FILE}{hint}; see ios_harness/README.md (troubleshooting)"
        )
    return report


def run_session(
    plan_dir: str | os.PathLike,
    transport: Transport,
    *,
    db: str | os.PathLike | None = None,
    reports_dir: str | os.PathLike | None = None,
    timeout: float = 3600.0,
    poll: float = 2.0,
    store: bool = True,
    on_progress: ProgressFn | None = None,
    on_file: Callable[[str], None] | None = None,
    kind: RemoteKind | str | None = None,
    config: Any = None,
) -> SessionResult:
    """Push ``plan_dir`` to the app, run it, pull, validate and (with ``store``) ingest the report."""
    plan_dir = Path(plan_dir)
    plan = validate_plan(read_json(plan_dir / PLAN_FILE), f"{plan_dir / PLAN_FILE}")
    try:
        push_plan(transport, plan_dir, plan, on_file=on_file)
        transport.launch(transport.bundle_id, launch_args())
        raw = wait_for_report(transport, plan, timeout=timeout, poll=poll, on_progress=on_progress)
    finally:
        transport.close()
    reports_dir = Path(reports_dir) if reports_dir is not None else default_results_dir() / "ios_reports"
    report_path = reports_dir / f"{plan['plan_id']}.json"
    atomic_write_bytes(report_path, raw)  # keep the raw bytes even if they turn out to be invalid
    report = validate_report(loads_json(raw, f"{REPORT_FILE} from the app"), plan, what=f"{REPORT_FILE} from the app")
    missing = sorted({r["run_id"] for r in plan["runs"]} - {r["run_id"] for r in report["runs"]})
    if missing:
        raise DeviceError(
            f"the report has {len(report['runs'])} of {len(plan['runs'])} runs (missing {', '.join(missing[:3])}); "
            f"the app stopped early: its partial report is in {report_path} (`mobench ios ingest` stores it)"
        )
    udid = getattr(transport, "udid", None)
    result = (
        ingest_report(report, db, plan=plan, source=str(report_path), udid=udid, kind=kind, config=config)
        if store
        else None
    )
    return SessionResult(report=report, report_path=report_path, ingest=result)
