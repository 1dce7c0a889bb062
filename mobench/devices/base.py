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
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any, ClassVar

from ..core.errors import DeviceError
from ..core.records import RunRecord
from ..core.statistics import STOP_MAX_TIME, stop_reason
from ..core.target import Target, host_target, short_version
from ..core.util import cpu_model, host_provenance, package_version, physical_cores
from ..exporters.manifest import manifest_recipe
from .declaration import OPTION_TYPES, DeviceOption, DeviceProfiler

_MB = 1024 * 1024


#: The hooks every device class must define (checked when the class is defined).
_DEVICE_HOOKS = ("run", "target", "profiler")
_LOCAL_HOOKS = ("load", "make_input", "bind")


class Device(abc.ABC):
    """A place where models are timed (see ``mobench.devices`` for the registry).

    A device is one class in one file: ``name``, ``artifact_format``, ``description``,
    its runtime (``runtime``, ``runtime_label``, ``runtime_package``), its options
    (``OPTIONS``, a tuple of :class:`DeviceOption`), its capabilities (``runs_batches``)
    and the hooks ``run``, ``target`` and ``profiler`` (``load``, ``make_input`` and
    ``bind`` for a :class:`LocalDevice`). A concrete subclass missing any of them is a
    ``TypeError`` when it is defined (pass ``abstract=True`` for an intermediate base).
    """

    name: ClassVar[str] = ""
    artifact_format: ClassVar[str | None] = None  # an export format name (mobench.exporters.FORMATS), or None
    description: ClassVar[str] = ""
    #: Every option the device takes, declared once (see :class:`DeviceOption`).
    OPTIONS: ClassVar[tuple[DeviceOption, ...]] = ()
    runtime: ClassVar[str] = ""  # what runs the model, as stored in the target (e.g. onnxruntime)
    runtime_label: ClassVar[str] = ""  # its short form in target labels (e.g. ort); default: ``runtime``
    runtime_package: ClassVar[str | None] = None  # the distribution whose version is the runtime version
    #: Capability: ``run_many(items, config, progress=)`` times a whole sweep in one go (e.g. one app launch).
    runs_batches: ClassVar[bool] = False
    #: Option values the device takes when rounds of several models take turns in one process
    #: (``mobench compare``, and sweeps of several models under a non-contiguous schedule); an
    #: option the user sets wins. ONNX Runtime's intra-op threads, for one, spin-wait after a run
    #: and take the cores from the model timed next (README, "Can the numbers be trusted?").
    INTERLEAVED_OPTIONS: ClassVar[Mapping[str, Any]] = MappingProxyType({})

    options: dict[str, Any]
    given: frozenset[str]

    @classmethod
    def interleaved_options(cls, given: dict[str, Any]) -> dict[str, Any]:
        """``given`` with :attr:`INTERLEAVED_OPTIONS` filling the options it leaves unset (``None``)."""
        out = dict(given)
        for k, v in cls.INTERLEAVED_OPTIONS.items():
            if out.get(k) is None:
                out[k] = v
        return out

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not abstract:
            _check_device_class(cls)

    def __init__(self, **options: Any) -> None:
        declared = {o.name: o for o in self.OPTIONS}
        unknown = sorted(set(options) - set(declared))
        if unknown:
            takes = ", ".join(declared) or "none"
            raise DeviceError(f"device {self.name!r} does not take option(s) {', '.join(unknown)} (it takes: {takes})")
        values: dict[str, Any] = {}
        for name, opt in declared.items():
            try:
                value = opt.check(options.get(name))
            except ValueError as exc:
                what = f" ({opt.help})" if opt.help else ""
                raise DeviceError(f"device {self.name!r} option {name}={options.get(name)!r}{what}: {exc}") from None
            values[name] = opt.default if value is None else value
        self.given = frozenset(k for k, v in options.items() if v is not None)
        self.options = values
        for name, value in values.items():
            setattr(self, name, value)

    def set_option(self, name: str, value: Any) -> None:
        """Record the value an option resolved to (e.g. the thread count a default picked)."""
        self.options[name] = value
        setattr(self, name, value)

    @classmethod
    def option(cls, name: str) -> DeviceOption | None:
        return next((o for o in cls.OPTIONS if o.name == name), None)

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """``(True, "")`` if usable here, else ``(False, reason)``."""
        return True, ""

    @classmethod
    def runtime_version(cls) -> str | None:
        return package_version(cls.runtime_package) if cls.runtime_package else None

    def info(self) -> dict[str, Any]:
        """What is recorded about this device with every run: runtime, version and every option."""
        return {
            "runtime": self.runtime or None,
            "runtime_version": self.runtime_version(),
            **{o.name: self.options[o.name] for o in self.OPTIONS},
        }

    def options_key(self) -> dict[str, Any]:
        """Resolved options that change the measurement (part of a run's reuse key)."""
        return {o.key_name: self.options[o.name] for o in self.OPTIONS if o.in_key(self.options[o.name])}

    def label_parts(self) -> tuple[str, ...]:
        """The target label before the recipe: the device, its runtime and version, its labelled options."""
        rt = self.runtime_label or self.runtime
        ver = short_version(self.runtime_version())
        parts = [self.name]
        if rt and rt != self.name:
            parts.append(f"{rt}-{ver}" if ver else rt)
        elif ver:
            parts.append(ver)
        for o in self.OPTIONS:
            if o.scope == "target":
                part = o.label_part(self.options[o.name])
                if part:
                    parts.append(part)
        return tuple(parts)

    def host_target(self, artifact: Any = None, recipe: str | None = None) -> Target:
        """This device on this host as a :class:`Target`, from its declaration (recipe: the artifact's)."""
        man = getattr(artifact, "manifest", None) or {}
        return host_target(
            self.name,
            runtime=self.runtime or None,
            runtime_version=self.runtime_version(),
            recipe=recipe or manifest_recipe(man),
            label=self.label_parts(),
            **{o.name: v for o in self.OPTIONS if o.scope == "target" and o.in_key(v := self.options[o.name])},
        )

    @abc.abstractmethod
    def target(self, artifact: Any = None) -> Target | None:
        """The :class:`~mobench.core.target.Target` a run of ``artifact`` measures, when it is known
        before the run (``None`` when only the run tells, e.g. which phone answered)."""

    @classmethod
    @abc.abstractmethod
    def profiler(cls) -> DeviceProfiler | None:
        """How this device profiles op by op, or ``None`` when it cannot."""

    def artifact_fields(self, artifact: Any) -> dict[str, Any]:
        """The RunRecord fields that say what was timed, from the artifact's manifest."""
        if artifact is None:
            return {}
        man = getattr(artifact, "manifest", None) or {}
        return {
            "artifact_format": getattr(artifact, "format", None) or self.artifact_format,
            "artifact_sha256": man.get("sha256"),
            "artifact_path": str(getattr(artifact, "path", "") or "") or None,
            "recipe": manifest_recipe(man),
            "reparameterized": man.get("reparameterized"),
        }

    @abc.abstractmethod
    def run(self, model_name: str, artifact: Any, config: Any, *, progress: Callable | None = None) -> RunRecord:
        """Time ``model_name`` (from ``artifact`` if the device needs one) with ``config``."""

    def run_many(
        self, items: list[tuple[str, Any]], config: Any, *, progress: Callable[[str, str], None] | None = None
    ) -> dict[str, RunRecord]:
        """Time every ``(model, artifact)`` in one go; devices with ``runs_batches`` implement it."""
        raise DeviceError(f"device {self.name!r} times one model at a time")


def _check_device_class(cls: type) -> None:
    """``TypeError`` now, not at the first run, when a device class misses a hook or declares badly."""
    where = f"{cls.__module__}.{cls.__qualname__}"
    hooks = _DEVICE_HOOKS + (_LOCAL_HOOKS if any(b.__name__ == "LocalDevice" for b in cls.__mro__) else ())
    missing = [h for h in hooks if getattr(getattr(cls, h, None), "__isabstractmethod__", False)]
    if missing:
        raise TypeError(f"device class {where} does not define {', '.join(missing)}")
    name = cls.__dict__.get("name", getattr(cls, "name", ""))
    if not isinstance(name, str) or not name:
        raise TypeError(f"device class {where} has no name")
    if getattr(cls, "runs_batches", False) and cls.run_many is Device.run_many:  # type: ignore[attr-defined]
        raise TypeError(f"device class {where} declares runs_batches but does not define run_many")
    opts = getattr(cls, "OPTIONS", ())
    if not isinstance(opts, tuple) or not all(isinstance(o, DeviceOption) for o in opts):
        raise TypeError(f"device class {where}: OPTIONS must be a tuple of DeviceOption")
    names = [o.name for o in opts]
    if len(set(names)) != len(names):
        raise TypeError(f"device class {where} declares an option twice: {names}")
    for o in opts:
        if not o.name.isidentifier() or o.type not in OPTION_TYPES:
            raise TypeError(
                f"device class {where}: bad option {o.name!r} (a name, and a type in int, float, str, bool)"
            )
        try:
            o.check(o.default)
        except ValueError as exc:
            raise TypeError(f"device class {where}: default of option {o.name!r} {exc}") from None
    for key, value in getattr(cls, "INTERLEAVED_OPTIONS", {}).items():
        o = next((o for o in opts if o.name == key), None)
        try:
            if o is None:
                raise ValueError("is not a declared option")
            o.check(value)
        except ValueError as exc:
            raise TypeError(f"device class {where}: INTERLEAVED_OPTIONS {key!r} {exc}") from None


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


class LocalDevice(Device, abstract=True):
    """A backend that runs in this process: implements the protocol around three hooks."""

    @abc.abstractmethod
    def load(self, model_name: str, artifact: Any) -> Any:
        """Load the model (from ``artifact`` when the device takes one); returns a handle."""

    @abc.abstractmethod
    def make_input(self, handle: Any, artifact: Any, config: Any) -> Any:
        """The seeded benchmark input for ``handle``, made before the clock starts."""

    @abc.abstractmethod
    def bind(self, handle: Any, inputs: Any) -> Callable[[], Any]:
        """A zero-argument callable that runs one inference of ``handle`` on ``inputs``."""

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
        ``core.statistics.stop_reason`` decides; its answer is the record's ``stopped_by``."""
        reason = stop_reason(self.record.samples_ms, self.config, self._spent_ns / 1e9)
        if reason is None:
            return
        self.done = True
        self.record.stopped_by = reason
        if reason == STOP_MAX_TIME:
            self.record.stopped_by_budget = True

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


def run_inputs(artifact: Any, model: str | None = None):
    """The :class:`~mobench.core.inputs.Inputs` a run feeds: the resolved inputs of the artifact's
    manifest (model files, chosen inputs), else its one exported input, else the model's own."""
    from ..core.inputs import Inputs, spec

    man = getattr(artifact, "manifest", None) or {}
    if man.get("inputs"):
        return Inputs.from_dict(man["inputs"])
    inp = man.get("input") or {}
    if inp.get("shape") and all(isinstance(x, int) and x > 0 for x in inp["shape"]):
        if inp.get("kind") == "image":  # a Core ML image input: 8-bit RGB pixels (the manifest's dtype describes it)
            return Inputs((spec(inp.get("name") or "x", inp["shape"], "uint8", kind="image"),))
        return Inputs((spec(inp.get("name") or "x", inp["shape"], inp.get("dtype") or "float32"),))
    key = model or man.get("model")
    from ..models.user import is_user_key

    if key and is_user_key(key):
        from ..models.chosen_inputs import inputs_of

        return inputs_of(key)
    raise DeviceError("the artifact's manifest has no input shape; re-export it with --force")


def input_feed(artifact: Any, config: Any, model: str | None = None) -> dict[str, Any]:
    """Every input of a run by name, each in its own dtype (see :func:`mobench.core.inputs.feed`)."""
    from ..core.inputs import feed

    if config.input_kind != "tensor":
        raise DeviceError(f"this device takes tensor input, not {config.input_kind!r}")
    return feed(run_inputs(artifact, model), config.seed)


def seeded_tensor(shape: list[int] | tuple[int, ...], seed: int, dtype: str = "float32"):
    """The benchmark input: standard-normal values from a seeded generator."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.standard_normal(tuple(int(s) for s in shape)).astype(dtype)


#: The ``threads`` option of a CPU backend (resolved to the physical cores when not given).
THREADS = DeviceOption(
    "threads", int, None, "intra-op threads (default: physical cores; recorded)", label="{}t", minimum=1
)


def resolve_threads(device: Device) -> int:
    """Set a CPU backend's ``threads`` to the physical cores when not given; returns it."""
    if device.options.get("threads") is None:
        device.set_option("threads", physical_cores())
    return int(device.options["threads"])


def cpu_info(device: Device) -> dict[str, Any]:
    """What a CPU backend records about its threads and the host CPU."""
    return {
        "threads": device.options["threads"],
        "threads_default": "threads" not in device.given,
        "cpu_model": cpu_model(),
        "physical_cores": physical_cores(),
        "logical_cores": os.cpu_count(),
    }
