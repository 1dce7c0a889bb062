"""The record of one timed run: what every device backend produces and the store keeps.

Local devices (ONNX Runtime, torch, Core ML on a Mac) and the tethered iPhone
(whose report the host ingests) all produce a :class:`RunRecord`, so the results
store, statistics and analysis never care where a number came from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

Status = Literal["ok", "failed"]
#: Where a failed run failed: its export, its artifact on disk (bad input: such a run is not
#: stored), or its timing.
FailureStage = Literal["export", "artifact", "run"]

#: Typed fields that the store keeps inside ``extra_json``, under these keys (the keys runs
#: were stored with before they were fields, so old stored runs read the same).
_STORED_IN_EXTRA = {
    "failed_at": "stage",
    "traceback": "traceback",
    "stopped_by_budget": "stopped_by_budget",
    "stopped_by": "stopped_by",
    "schedule": "schedule",
    "sweep_id": "sweep_id",
    "round_slots": "round_slots",
    "variant": "variant",
    "config_key": "config_key",
    "model_source": "model_source",
}
#: Fields that say what happened to the record in this process, never stored.
_NOT_STORED = ("run_id", "reused")


@dataclass
class RunRecord:
    """One model timed on one device with one protocol.

    ``samples_ms`` keeps every raw steady-state latency: one list per round, in
    the order measured (warm-up inferences are not in it; they are in
    ``warmup_ms``). A failed run has ``status="failed"``, an ``error`` and
    usually no samples.
    """

    model: str
    device: str  # backend name: cpu, torch, coreml, iphone, ...
    status: Status = "ok"
    error: str | None = None
    artifact_format: str | None = None  # onnx, coreml, torch
    artifact_sha256: str | None = None
    artifact_path: str | None = None
    recipe: str | None = None  # the export recipe: fp32, fp16, int8 ... (stores before version 5: "precision")
    reparameterized: bool | None = None
    protocol: str | None = None  # preset name of the config: modelbench, paper, quick, custom
    config: dict[str, Any] = field(default_factory=dict)  # BenchConfig as a dict
    device_info: dict[str, Any] = field(default_factory=dict)  # e.g. threads, compute units, device model, OS
    provenance: dict[str, Any] = field(default_factory=dict)  # host, cpu, os, versions, git commit
    compile_ms: float | None = None
    load_ms: list[float] = field(default_factory=list)  # one per (re)load
    first_inference_ms: list[float] = field(default_factory=list)
    warmup_ms: list[list[float]] = field(default_factory=list)  # per round
    samples_ms: list[list[float]] = field(default_factory=list)  # per round, raw
    memory: dict[str, Any] = field(default_factory=dict)  # e.g. load_rss_delta_mb, peak_rss_delta_mb
    rounds_info: list[dict[str, Any]] = field(default_factory=list)  # per round: thermal state, low power ...
    extra: dict[str, Any] = field(default_factory=dict)  # free-form provenance (e.g. a phone report's ids)
    target: dict[str, Any] = field(default_factory=dict)  # mobench.core.target.Target.to_dict()
    inputs: dict[str, Any] = field(default_factory=dict)  # mobench.core.inputs.Inputs.to_dict() of what was fed
    uuid: str | None = None  # stable run identity across stores; the store fills it
    created: str | None = None  # ISO 8601 UTC; the store fills it if empty
    # -- how the run was made and kept (set by the sweep and the store) --------------------------
    run_id: int | None = None  # the store's id, once stored or read back
    config_key: str | None = None  # the reuse key: config + the device options that change the measurement
    reused: bool = False  # read back from the store instead of timed
    failed_at: FailureStage | None = None  # where a failed run failed
    traceback: str | None = None  # of an unexpected error (a bug), for the report
    stopped_by_budget: bool = False  # the time budget ended the run before its last round
    stopped_by: str | None = None  # why the timing ended: rounds, precision, max time (core.statistics.stop_reason)
    schedule: str | None = None  # how its sweep ordered the rounds (interleaved, contiguous, abab)
    sweep_id: int | None = None  # the stored sweep it was timed in
    round_slots: list[int] = field(default_factory=list)  # its rounds' places in the sweep's round order
    variant: str | None = None  # "unfused": the train-time graph timed beside the fused one
    model_source: dict[str, Any] | None = None  # a user model's factory or file (mobench.models.user)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def stored_extra(self) -> dict[str, Any]:
        """``extra`` as the store keeps it: the free-form keys and the set fields of ``_STORED_IN_EXTRA``."""
        out = dict(self.extra)
        for name, key in _STORED_IN_EXTRA.items():
            value = getattr(self, name)
            if value not in (None, False, []):
                out[key] = value
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunRecord:
        """A record from :meth:`to_dict` output or a stored row's fields; the keys runs were stored
        with inside ``extra`` (``stage``, ``sweep_id``, ``run_id`` ...) become their fields."""
        d = dict(d)
        if "precision" in d:  # records written before the recipe rename
            legacy = d.pop("precision")
            d["recipe"] = d.get("recipe") or legacy
        extra = dict(d.get("extra") or {})
        for name, key in _STORED_IN_EXTRA.items():
            if key in extra:
                value = extra.pop(key)
                if d.get(name) in (None, False, []):
                    d[name] = value
        for name in _NOT_STORED:
            if name in extra:
                value = extra.pop(name)
                d.setdefault(name, value)
        extra.pop("stored", None)  # a flag of earlier versions' sweeps, never meaningful once read back
        d["extra"] = extra
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    @property
    def n_samples(self) -> int:
        return sum(len(r) for r in self.samples_ms)
