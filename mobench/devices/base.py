"""The device interface and the timing protocol shared by every local backend.

:class:`Device` is what the registry hands out: ``available()``, ``info()`` and
``run(model_name, artifact, config) -> RunRecord``. :class:`LocalDevice`
implements the protocol once, around three hooks a backend provides:
``load(model_name, artifact) -> handle``, ``make_input(handle, artifact, config)``
and ``bind(handle, inputs) -> zero-argument predict callable``.

Timing: ``time.perf_counter_ns()`` (monotonic, high resolution) around the
predict call only. Inputs are prepared (seeded) and bound before the clock
starts, raw samples are kept as integers of nanoseconds during a round and
converted afterwards, and the garbage collector is paused during each round
(as ``timeit`` does) so a collection does not land inside a sample.

Per round, ``rounds_info`` records the 1-minute load average, so a figure taken on
a busy machine says so.

Memory: resident set size (psutil). On Linux the kernel's peak-RSS mark
(``VmHWM``) is reset through ``/proc/self/clear_refs`` before the load and
before the timed rounds, so ``load_peak_rss_delta_mb`` and
``inference_peak_rss_delta_mb`` are true peaks at no cost to timing. Elsewhere
the peak is the largest RSS read between rounds (``memory.method`` says which).
"""

from __future__ import annotations

import abc
import gc
import os
import sys
import time
from datetime import datetime, timezone
from typing import Any, Callable

from ..core.records import RunRecord
from ..core.errors import DeviceError
from ..core.util import host_provenance
from ..core.util import physical_cores
from ..core.util import cpu_model, physical_cores

_MB = 1024 * 1024


class Device(abc.ABC):
    """A place where models are timed (see ``mobench.devices`` for the registry)."""
    name: str = ""
    artifact_format: str | None = None     # an export format name (mobench.exporters.FORMATS), or None (torch eager)
    description: str = ""

    def __init__(self, **options: Any) -> None:
        if options:
            raise DeviceError(
                f"device {self.name!r} takes no options {sorted(options)}; see `mobench devices`"
            )

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """``(True, "")`` if usable here, else ``(False, reason)``."""
        return True, ""

    def info(self) -> dict[str, Any]:
        """What is recorded about this device with every run."""
        return {}

    def options_key(self) -> dict[str, Any]:
        """Resolved options that change the measurement (part of a run's reuse key)."""
        return {}

    def artifact_fields(self, artifact: Any) -> dict[str, Any]:
        """The RunRecord fields that say what was timed, from the artifact's manifest."""
        if artifact is None:
            return {}
        man = getattr(artifact, "manifest", None) or {}
        return {
            "artifact_format": getattr(artifact, "format", None) or self.artifact_format,
            "artifact_sha256": man.get("sha256"),
            "artifact_path": str(getattr(artifact, "path", "") or "") or None,
            "precision": man.get("precision"),
            "reparameterized": man.get("reparameterized"),
        }

    @abc.abstractmethod
    def run(self, model_name: str, artifact: Any, config: Any, *, progress: Callable | None = None) -> RunRecord:
        """Time ``model_name`` (from ``artifact`` if the device needs one) with ``config``."""


class _Memory:
    """RSS and peak-RSS readings for one run."""
    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self.hwm = sys.platform.startswith("linux") and self._reset_hwm()

    def rss(self) -> int:
        return self._proc.memory_info().rss

    @staticmethod
    def _reset_hwm() -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            return True
        except OSError:
            return False

    @staticmethod
    def _read_hwm() -> int | None:
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        return None

    def start_peak(self) -> int:
        base = self.rss()
        if self.hwm:
            self._reset_hwm()
        self._peak_seen = base
        return base

    def note(self) -> None:
        """Read RSS now (the fallback peak where the kernel mark is not available)."""
        if not self.hwm:
            self._peak_seen = max(self._peak_seen, self.rss())

    def peak(self) -> int:
        if self.hwm:
            v = self._read_hwm()
            if v is not None:
                return v
        self.note()
        return self._peak_seen


class LocalDevice(Device):
    """A backend that runs in this process: implements the protocol around hooks."""
    def load(self, model_name: str, artifact: Any) -> Any:  # pragma: no cover - abstract hook
        raise NotImplementedError

    def make_input(self, handle: Any, artifact: Any, config: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def bind(self, handle: Any, inputs: Any) -> Callable[[], Any]:  # pragma: no cover
        raise NotImplementedError

    def unload(self, handle: Any) -> None:
        del handle

    def run(self, model_name: str, artifact: Any, config: Any, *, progress: Callable | None = None) -> RunRecord:

        if self.artifact_format is not None and artifact is None:
            raise DeviceError(f"device {self.name!r} needs an exported {self.artifact_format} artifact")
        rec = RunRecord(
            model=model_name, device=self.name, protocol=config.name, config=config.to_dict(),
            device_info=self.info(), provenance=host_provenance(),
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **self.artifact_fields(artifact),
        )
        mem = _Memory()
        pc = time.perf_counter_ns
        load_deltas: list[float] = []
        load_peaks: list[float] = []
        infer_peak = 0
        handle = predict = None
        inputs = None
        budget_ns = None if config.time_budget_s is None else int(config.time_budget_s * 1e9)
        timed_start = None
        for rnd in range(config.rounds):
            if handle is None or config.reload_per_round:
                if handle is not None:
                    predict = None
                    self.unload(handle)
                    handle = None
                    gc.collect()
                base = mem.start_peak()
                t0 = pc()
                handle = self.load(model_name, artifact)
                t1 = pc()
                rec.load_ms.append((t1 - t0) / 1e6)
                load_deltas.append((mem.rss() - base) / _MB)
                load_peaks.append((mem.peak() - base) / _MB)
                if inputs is None:
                    inputs = self.make_input(handle, artifact, config)
                predict = self.bind(handle, inputs)
                t0 = pc()
                predict()
                t1 = pc()
                first = (t1 - t0) / 1e6
                rec.first_inference_ms.append(first)
                warm = [first] if config.warmup else []
                n_warm = max(config.warmup - 1, 0)
            else:
                warm, n_warm = [], config.warmup
            for _ in range(n_warm):
                t0 = pc()
                predict()
                t1 = pc()
                warm.append((t1 - t0) / 1e6)
            rec.warmup_ms.append(warm)
            base = mem.start_peak()
            if timed_start is None:
                timed_start = pc()
            buf = [0] * config.inferences
            gc_was = gc.isenabled()
            gc.disable()
            try:
                for i in range(config.inferences):
                    t0 = pc()
                    predict()
                    t1 = pc()
                    buf[i] = t1 - t0
            finally:
                if gc_was:
                    gc.enable()
            infer_peak = max(infer_peak, mem.peak() - base)
            rec.samples_ms.append([b / 1e6 for b in buf])
            rec.rounds_info.append(_round_info(rnd))
            if progress is not None:
                progress(rnd + 1, config.rounds)
            done = sum(len(r) for r in rec.samples_ms)
            if budget_ns is not None and pc() - timed_start >= budget_ns and done >= config.min_inferences:
                rec.extra["stopped_by_budget"] = True
                break
        predict = None
        if handle is not None:
            self.unload(handle)
        rec.memory = {
            "method": "linux VmHWM reset via clear_refs" if mem.hwm else "max RSS read between rounds",
            "load_rss_delta_mb": max(load_deltas) if load_deltas else None,
            "load_peak_rss_delta_mb": max(load_peaks) if load_peaks else None,
            "inference_peak_rss_delta_mb": infer_peak / _MB,
            "rss_after_mb": mem.rss() / _MB,
        }
        rec.extra.setdefault("gc_disabled_during_rounds", True)
        rec.extra["pid"] = os.getpid()
        return rec


def _round_info(index: int) -> dict[str, Any]:
    """What is cheap to know about the machine after a round (read outside the timed loop)."""
    info: dict[str, Any] = {"index": index}
    try:
        info["loadavg_1m"] = round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        pass
    return info


def seeded_tensor(shape: list[int] | tuple[int, ...], seed: int, dtype: str = "float32"):
    """The benchmark input: standard-normal values from a seeded generator."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.standard_normal(tuple(int(s) for s in shape)).astype(dtype)


def cpu_threads(threads: int | None) -> int:
    """The intra-op thread count of a CPU backend: ``threads`` checked, or the physical cores."""
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise DeviceError(f"--threads must be a positive integer, not {threads!r}")
    return threads or physical_cores()


def cpu_info(threads: int, threads_default: bool) -> dict[str, Any]:
    """What a CPU backend records about its threads and the host CPU."""
    return {
        "threads": threads,
        "threads_default": threads_default,
        "cpu_model": cpu_model(),
        "physical_cores": physical_cores(),
        "logical_cores": os.cpu_count(),
    }
