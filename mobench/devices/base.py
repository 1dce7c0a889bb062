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

Per round, ``rounds_info`` records the 1-minute load average and the wall-clock
start of the timed inferences, so a figure taken on a busy machine says so and
drift over a sweep can be traced. :class:`TimingSession` runs the protocol one
round at a time, so a sweep can interleave the rounds of several loaded models.

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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..core.errors import DeviceError
from ..core.records import RunRecord
from ..core.statistics import STOP_MAX_TIME, stop_reason
from ..core.util import cpu_model, host_provenance, physical_cores

_MB = 1024 * 1024


@dataclass(frozen=True)
class DeviceOption:
    """An option a backend takes through ``--device-option KEY=VALUE``."""

    param: str  # the backend's constructor argument
    parse: Callable[[str], Any]  # text -> value (raises ValueError on bad text)
    help: str = ""
    choices: tuple[str, ...] = ()


def positive_int(text: str) -> int:
    v = int(text)
    if v < 1:
        raise ValueError("must be a positive integer")
    return v


def yes_no(text: str) -> bool:
    t = text.strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


class Device(abc.ABC):
    """A place where models are timed (see ``mobench.devices`` for the registry)."""

    name: str = ""
    artifact_format: str | None = None  # an export format name (mobench.exporters.FORMATS), or None (torch eager)
    description: str = ""
    #: What ``--device-option KEY=VALUE`` may set on this backend (KEY -> option).
    OPTIONS: dict[str, DeviceOption] = {}

    def __init__(self, **options: Any) -> None:
        if options:
            raise DeviceError(f"device {self.name!r} takes no options {sorted(options)}; see `mobench devices`")

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

    def target(self, artifact: Any = None):
        """The :class:`~mobench.core.target.Target` a run of ``artifact`` measures, when it is known
        before the run (``None`` when only the run tells, e.g. which phone answered)."""
        return None

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

    def session(self, model_name: str, artifact: Any, config: Any) -> TimingSession:
        """A :class:`TimingSession`: the same protocol as :meth:`run`, one round at a time."""
        return TimingSession(self, model_name, artifact, config)

    def run(self, model_name: str, artifact: Any, config: Any, *, progress: Callable | None = None) -> RunRecord:
        """Time ``model_name`` in one contiguous block of rounds (a sweep may interleave sessions instead)."""
        sess = self.session(model_name, artifact, config)
        try:
            while not sess.done:
                sess.round()
                if progress is not None:
                    progress(sess.rounds_done, config.rounds)
        finally:
            sess.close()
        return sess.record


class TimingSession:
    """One model's timing protocol on a :class:`LocalDevice`, advanced one round at a time.

    ``round()`` loads the model on first use (and again every round under
    ``reload_per_round``), runs the round's warm-up and its timed inferences, and
    sets ``done`` once every round ran or the time budget is spent. Between two
    rounds the model stays loaded, so a scheduler can keep several sessions open
    and interleave their rounds (``mobench.workflows.schedule``). The time budget
    counts this session's own rounds (warm-up and timed inferences), not the wall
    time since its first round, so it means the same interleaved or not. With a
    precision target (``target_ci_pct``) the run stops as soon as the headline's
    CI is narrow enough, between ``min_time_s`` and the budget
    (:func:`~mobench.core.statistics.stop_reason`).
    ``close()`` unloads the model and fills in the memory figures; ``record`` is
    the :class:`RunRecord`.
    """

    def __init__(self, device: LocalDevice, model_name: str, artifact: Any, config: Any) -> None:
        if device.artifact_format is not None and artifact is None:
            raise DeviceError(f"device {device.name!r} needs an exported {device.artifact_format} artifact")
        self.device, self.model, self.artifact, self.config = device, model_name, artifact, config
        self.record = RunRecord(
            model=model_name,
            device=device.name,
            protocol=config.name,
            config=config.to_dict(),
            device_info=device.info(),
            provenance=host_provenance(),
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **device.artifact_fields(artifact),
        )
        target = device.target(artifact)
        if target is not None:
            self.record.target = target.to_dict()
        self._mem = _Memory()
        self._load_deltas: list[float] = []
        self._load_peaks: list[float] = []
        self._infer_peak = 0
        self._handle: Any = None
        self._predict: Callable[[], Any] | None = None
        self._inputs: Any = None
        self._spent_ns = 0
        self.rounds_done = 0
        self.done = False
        self.closed = False

    @property
    def spent_s(self) -> float:
        """Seconds of timing so far: this session's rounds (warm-up and timed inferences), loads excluded."""
        return self._spent_ns / 1e9

    @property
    def loaded(self) -> bool:
        return self._handle is not None

    def _unload(self) -> None:
        self._predict = None
        if self._handle is not None:
            handle, self._handle = self._handle, None
            self.device.unload(handle)
            del handle
            gc.collect()

    def round(self) -> None:
        """Run the next round (see the class docstring)."""
        if self.done:
            raise DeviceError(f"the timing of {self.model} is finished")
        dev, cfg, rec, mem, pc = self.device, self.config, self.record, self._mem, time.perf_counter_ns
        r0 = pc()
        if self._handle is None or cfg.reload_per_round:
            self._unload()
            base = mem.start_peak()
            t0 = pc()
            self._handle = dev.load(self.model, self.artifact)
            t1 = pc()
            rec.load_ms.append((t1 - t0) / 1e6)
            self._load_deltas.append((mem.rss() - base) / _MB)
            self._load_peaks.append((mem.peak() - base) / _MB)
            if self._inputs is None:
                self._inputs = dev.make_input(self._handle, self.artifact, cfg)
            self._predict = dev.bind(self._handle, self._inputs)
            r0 = pc()  # the load is not part of the round's cost against the budget
            t0 = pc()
            self._predict()
            t1 = pc()
            first = (t1 - t0) / 1e6
            rec.first_inference_ms.append(first)
            warm = [first] if cfg.warmup else []
            n_warm = max(cfg.warmup - 1, 0)
        else:
            warm, n_warm = [], cfg.warmup
        predict = self._predict
        assert predict is not None  # bound at load
        for _ in range(n_warm):
            t0 = pc()
            predict()
            t1 = pc()
            warm.append((t1 - t0) / 1e6)
        rec.warmup_ms.append(warm)
        base = mem.start_peak()
        buf = [0] * cfg.inferences
        wall = time.time()
        gc_was = gc.isenabled()
        gc.disable()
        try:
            for i in range(cfg.inferences):
                t0 = pc()
                predict()
                t1 = pc()
                buf[i] = t1 - t0
        finally:
            if gc_was:
                gc.enable()
        self._infer_peak = max(self._infer_peak, mem.peak() - base)
        rec.samples_ms.append([b / 1e6 for b in buf])
        info = _round_info(self.rounds_done)
        info["wall_start"] = round(wall, 3)
        rec.rounds_info.append(info)
        self.rounds_done += 1
        self._spent_ns += pc() - r0
        self._apply_stop_rule()

    def _apply_stop_rule(self) -> None:
        """Finish after all rounds, at the precision target, or at the time budget (the maximum):
        ``core.statistics.stop_reason`` decides; its answer is kept in ``extra["stopped_by"]``."""
        reason = stop_reason(self.record.samples_ms, self.config, self._spent_ns / 1e9)
        if reason is None:
            return
        self.done = True
        self.record.extra["stopped_by"] = reason
        if reason == STOP_MAX_TIME:
            self.record.extra["stopped_by_budget"] = True

    def close(self) -> None:
        """Unload the model and record the memory figures (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self.done = True
        self._unload()
        mem = self._mem
        self.record.memory = {
            "method": "linux VmHWM reset via clear_refs" if mem.hwm else "max RSS read between rounds",
            "load_rss_delta_mb": max(self._load_deltas) if self._load_deltas else None,
            "load_peak_rss_delta_mb": max(self._load_peaks) if self._load_peaks else None,
            "inference_peak_rss_delta_mb": self._infer_peak / _MB,
            "rss_after_mb": mem.rss() / _MB,
        }
        self.record.extra.setdefault("gc_disabled_during_rounds", True)
        self.record.extra["pid"] = os.getpid()


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
