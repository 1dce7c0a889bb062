"""The record of one timed run: what every device backend produces and the store keeps.

Local devices (ONNX Runtime, torch, Core ML on a Mac) and the tethered iPhone
(whose report the host ingests) all produce a :class:`RunRecord`, so the results
store, statistics and analysis never care where a number came from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["ok", "failed"]


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
    precision: str | None = None  # fp32, fp16
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
    extra: dict[str, Any] = field(default_factory=dict)
    target: dict[str, Any] = field(default_factory=dict)  # mobench.core.target.Target.to_dict()
    inputs: dict[str, Any] = field(default_factory=dict)  # mobench.core.inputs.Inputs.to_dict() of what was fed
    uuid: str | None = None  # stable run identity across stores; the store fills it
    created: str | None = None  # ISO 8601 UTC; the store fills it if empty

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def n_samples(self) -> int:
        return sum(len(r) for r in self.samples_ms)
