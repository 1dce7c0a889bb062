"""A stand-in for the harness app, in Python, for tests and demos on a machine without an iPhone.

It follows the app's side of mobench/devices/iphone/PROTOCOL.md: the same launch
arguments, the same files in a Documents folder (``MOBENCH_DOCUMENTS`` or the
working directory), the same measurement procedure and the same report, progress
and stdout run lines (validated by the host against the same schemas). It
differs from the app only in what it times: the ONNX export that ``mobench ios
plan --with-onnx`` puts next to each ``.mlpackage`` (``<stem>.onnx``), with ONNX
Runtime on the CPU, since Core ML does not exist here. The timings are real.

    python tests/devices/iphone/standin.py --plan plan.json --autostart
    python tests/devices/iphone/standin.py --server http://127.0.0.1:8765 --token T --autostart

Mapping of the app's phases: compile = building the ORT session with full graph
optimization and saving the optimized model (``.mlpackage`` -> ``.mlmodelc``);
load = a session from the optimized model; memory = RSS (``phys_footprint``);
thermal state = ``nominal`` and Low Power Mode = off (no such sensors here).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

APP_VERSION = "standin-1.0"
PROTOCOL_VERSION = 1
_MB = 1024 * 1024


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_json(path: Path, obj: Any) -> None:
    """Atomic, like the app's Data.write(options: .atomic)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1)
    os.replace(tmp, path)


def _sha256_tree(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    if path.is_dir():
        for f in sorted(p for p in path.rglob("*") if p.is_file()):  # by path components, as the host does
            h.update(f.relative_to(path).as_posix().encode() + b"\0")
            h.update(f.read_bytes())
    else:
        h.update(path.read_bytes())
    return h.hexdigest()


class Http:
    def __init__(self, server: str, token: str) -> None:
        self.server = server.rstrip("/")
        self.token = token

    def request(self, method: str, path: str, body: bytes | None = None) -> bytes:
        req = urllib.request.Request(self.server + path, data=body, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        if body is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.read()

    def fetch_plan(self, documents: Path) -> dict[str, Any]:
        plan = json.loads(self.request("GET", "/plan.json"))
        listing = json.loads(self.request("GET", "/files"))
        for f in listing["files"]:
            dest = documents / f["path"]
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(self.request("GET", "/files/" + urllib.request.quote(f["path"])))
        _write_json(documents / "plan.json", plan)
        return plan


class StandIn:
    def __init__(self, documents: Path, plan: dict[str, Any], report_name: str, http: Http | None = None) -> None:
        import psutil

        self.documents = documents
        self.plan = plan
        self.report_path = documents / report_name
        self.http = http
        self.proc = psutil.Process()
        self.device = {
            "model_identifier": f"PythonStandIn,{platform.machine() or 'unknown'}",
            "os_name": platform.system() or "unknown",
            "os_version": platform.release() or "unknown",
            "os_build": None,
            "low_power_mode": False,
            "thermal_state": "nominal",
            "physical_memory_mb": round(psutil.virtual_memory().total / _MB, 1),
            "processor_count": os.cpu_count(),
        }
        self.report: dict[str, Any] = {
            "schema_version": 1,
            "plan_id": plan["plan_id"],
            "app_version": APP_VERSION,
            "protocol_version": PROTOCOL_VERSION,
            "clock": "mach_absolute_time",  # perf_counter_ns: monotonic
            "started": _now(),
            "finished": _now(),
            "device": self.device,
            "protocol": plan["protocol"],
            "input_kind": plan["input_kind"],
            "runs": [],
        }

    # -- progress / output ---------------------------------------------------------
    def progress(
        self, done: int, current: str | None, rnd: int | None, state: str = "running", error: str | None = None
    ) -> None:
        prog = {
            "plan_id": self.plan["plan_id"],
            "done": done,
            "total": len(self.plan["runs"]),
            "current": current,
            "round": rnd,
            "state": state,
            "error": error,
        }
        _write_json(self.documents / "progress.json", prog)
        if self.http is not None:
            try:
                self.http.request("POST", "/progress", json.dumps(prog).encode())
            except OSError:
                pass  # progress is best effort; the report is what counts

    def finish_run(self, run: dict[str, Any]) -> None:
        self.report["runs"].append(run)
        self.report["finished"] = _now()
        line = {
            "mobench_run": 1,
            "schema_version": 1,
            "plan_id": self.plan["plan_id"],
            "app_version": APP_VERSION,
            "protocol_version": PROTOCOL_VERSION,
            "clock": self.report["clock"],
            "device": self.device,
            "protocol": self.plan["protocol"],
            "input_kind": self.plan["input_kind"],
            "run": run,
        }
        print(json.dumps(line, separators=(",", ":")), flush=True)
        _write_json(self.report_path, self.report)

    # -- measurement ---------------------------------------------------------------
    def run_all(self) -> None:
        for name in ("report.json", "progress.json"):
            if (self.documents / name).exists() and self.documents / name != self.report_path:
                (self.documents / name).unlink()
        self.progress(0, None, None)
        for i, spec in enumerate(self.plan["runs"]):
            self.progress(i, spec["run_id"], 0)
            self.finish_run(self.run_one(spec))
        self.progress(len(self.plan["runs"]), None, None, state="finished")
        if self.http is not None:
            self.http.request("POST", "/report", json.dumps(self.report).encode())

    def run_one(self, spec: dict[str, Any]) -> dict[str, Any]:
        run: dict[str, Any] = {
            "run_id": spec["run_id"],
            "model": spec["model"],
            "file": spec["file"],
            "sha256": spec["sha256"],
            "sha256_verified": None,
            "compute_units": spec["compute_units"],
            "status": "ok",
            "error": None,
            "compile_ms": None,
            "load_ms": [],
            "first_prediction_ms": [],
            "warmup_ms": [],
            "samples_ms": [],
            "rounds": [],
            "started": _now(),
        }
        try:
            self._measure(spec, run)
        except Exception as exc:  # like the app: a failed entry, never a crash
            run["status"] = "failed"
            run["error"] = f"{type(exc).__name__}: {exc}"
        run["finished"] = _now()
        if run["status"] == "failed" and "memory" not in run:
            run["memory"] = {"footprint_after_load_mb": None, "peak_footprint_mb": None}
        return run

    def _measure(self, spec: dict[str, Any], run: dict[str, Any]) -> None:
        import numpy as np
        import onnxruntime as ort

        proto = self.plan["protocol"]
        package = self.documents / spec["file"]
        if not package.exists():
            raise FileNotFoundError(f"{spec['file']} is not in Documents")
        digest = _sha256_tree(package)
        run["sha256_verified"] = digest == spec["sha256"]
        if not run["sha256_verified"]:
            raise ValueError(f"sha256 mismatch: plan {spec['sha256']}, file {digest}")
        onnx_path = self.documents / (package.name.rsplit(".", 1)[0] + ".onnx")
        if not onnx_path.exists():
            raise FileNotFoundError(
                f"{onnx_path.name} missing: the stand-in times the ONNX export (mobench ios plan --with-onnx)"
            )
        pc = time.perf_counter_ns
        compiled = Path(tempfile.mkdtemp(prefix="standin-")) / "model.opt.onnx"
        so = ort.SessionOptions()
        so.log_severity_level = 3  # the NCHWc serialization warning is expected here
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.optimized_model_filepath = str(compiled)
        t0 = pc()
        ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        run["compile_ms"] = (pc() - t0) / 1e6

        def load():
            lo = ort.SessionOptions()
            lo.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            return ort.InferenceSession(str(compiled), lo, providers=["CPUExecutionProvider"])

        before = self.proc.memory_info().rss
        feeds = None
        sess = None
        peak = 0
        for r in range(proto["rounds"]):
            self.progress(len(self.report["runs"]), spec["run_id"], r)
            rnd_start = pc()
            info = {"index": r, "thermal_state_before": "nominal"}
            warm: list[float] = []
            n_warm = proto["warmup"]
            if sess is None or proto["reload_per_round"]:
                sess = None
                t0 = pc()
                sess = load()
                run["load_ms"].append((pc() - t0) / 1e6)
                if r == 0:
                    run["memory"] = {
                        "footprint_before_load_mb": before / _MB,
                        "footprint_after_load_mb": self.proc.memory_info().rss / _MB,
                        "peak_footprint_mb": None,
                    }
                if feeds is None:  # synthesized from the model's description, fixed pattern
                    feeds, run["inputs"] = {}, []
                    for inp in sess.get_inputs():
                        shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
                        feeds[inp.name] = (np.arange(int(np.prod(shape)), dtype=np.float32) % 255 / 255.0).reshape(
                            shape
                        )
                        run["inputs"].append(
                            {"name": inp.name, "kind": "multiArray", "shape": shape, "data_type": "float32"}
                        )
                t0 = pc()
                sess.run(None, feeds)
                first = (pc() - t0) / 1e6
                run["first_prediction_ms"].append(first)
                if n_warm:
                    warm.append(first)
                    n_warm -= 1
            for _ in range(n_warm):
                t0 = pc()
                sess.run(None, feeds)
                warm.append((pc() - t0) / 1e6)
            run["warmup_ms"].append(warm)
            samples = []
            for _ in range(proto["inferences"]):
                t0 = pc()
                sess.run(None, feeds)
                samples.append((pc() - t0) / 1e6)
                peak = max(peak, self.proc.memory_info().rss)
            run["samples_ms"].append(samples)
            info.update(thermal_state_after="nominal", low_power_mode=False, duration_ms=(pc() - rnd_start) / 1e6)
            run["rounds"].append(info)
            if proto.get("cooldown_s"):
                time.sleep(proto["cooldown_s"])
        run["memory"]["peak_footprint_mb"] = peak / _MB
        run["compute_plan"] = {"available": False, "reason": "stand-in app: ONNX Runtime CPU, no MLComputePlan"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", default="plan.json")
    ap.add_argument("--report", default="report.json")
    ap.add_argument("--server")
    ap.add_argument("--token")
    ap.add_argument("--autostart", action="store_true")
    ap.add_argument("--documents", default=os.environ.get("MOBENCH_DOCUMENTS") or os.getcwd())
    args = ap.parse_args(argv)
    documents = Path(args.documents)
    documents.mkdir(parents=True, exist_ok=True)
    if not args.autostart:
        print("stand-in: nothing to do without --autostart (the app would show its UI)")
        return 0
    http = Http(args.server, args.token or "") if args.server else None
    try:
        plan = http.fetch_plan(documents) if http else json.loads((documents / args.plan).read_text())
    except Exception as exc:
        _write_json(
            documents / "progress.json",
            {
                "plan_id": "unknown",
                "done": 0,
                "total": 0,
                "current": None,
                "round": None,
                "state": "failed",
                "error": f"cannot read the plan: {exc}",
            },
        )
        print(f"stand-in: cannot read the plan: {exc}", file=sys.stderr)
        return 1
    StandIn(documents, plan, args.report, http).run_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
