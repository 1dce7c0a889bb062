"""Measurement targets: what a latency figure was measured on.

The same network costs different time on different hardware and compute units
(MobileOne, Vasu et al. CVPR 2023, Table 1 and Figure 2), so a run is keyed by
its *target*, never by its backend name alone. A target is

- the backend (``cpu``, ``torch``, ``coreml``, ``iphone`` ...);
- the hardware's identity: a model (host CPU model name, or the phone's model
  identifier such as ``iPhone13,2``) and a stable id (a hash of the host's
  ``/etc/machine-id`` or of a generated id kept in the user's cache folder,
  overridable with ``MOBENCH_HOST_ID``; for a phone a hash of its UDID);
- the options that change a measurement: compute units, threads, graph
  optimization, recipe, runtime and runtime version.

``Target.label`` is a short readable name (``iphone13,2/ane``,
``cpu/ort-1.23/2t``); ``Target.key`` a stable hash of everything above, so two
phones of one model, two hosts with one CPU, or two thread counts stay apart
even when their labels read alike (:func:`unique_labels` then adds the hardware
id to the label).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .util import cpu_model, host_id

#: Options that change a measurement, in label order, with their short label form.
_LABEL_OPTIONS = ("compute_units", "threads", "graph_optimization", "resolution")
_DEFAULT_RECIPES = (None, "", "fp32")
#: Backends whose hardware is a phone: labelled by its model identifier, not the backend name.
PHONE_BACKENDS = {"iphone", "harness-known-cost"}


def _sha(text: str, n: int = 16) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def udid_hash(udid: str | None) -> str | None:
    """A phone's id in results: a hash of its UDID (the UDID itself identifies the owner's phone)."""
    return _sha("mobench-udid:" + udid, 12) if udid else None


def _short_version(version: str | None) -> str | None:
    if not version:
        return None
    parts = str(version).split(".")
    return ".".join(parts[:2])


#: Core ML's compute-unit names (MLComputeUnits, as in harness plans) -> the short form in labels.
SHORT_COMPUTE_UNITS = {
    "all": "all",
    "cpuOnly": "cpu",
    "cpuAndGPU": "gpu",
    "cpuAndNeuralEngine": "ane",
    "ALL": "all",
    "CPU_ONLY": "cpu",
    "CPU_AND_GPU": "gpu",
    "CPU_AND_NE": "ane",
}


def short_compute_units(cu: str | None) -> str | None:
    return SHORT_COMPUTE_UNITS.get(cu, cu) if cu else cu


#: runtime -> short label prefix
_RUNTIME_SHORT = {
    "onnxruntime": "ort",
    "torch-eager": "torch",
    "torch": "torch",
    "Core ML": "coreml",
    "coreml": "coreml",
    "known-cost": "known-cost",
    "executorch": "et",
}


@dataclass(frozen=True)
class Target:
    backend: str
    hardware: str | None = None  # CPU model name or phone model identifier
    hardware_id: str | None = None  # host id or UDID hash
    runtime: str | None = None
    runtime_version: str | None = None
    recipe: str | None = None  # fp32, fp16, int8 ... (the export recipe)
    options: dict[str, Any] = field(default_factory=dict)

    # -- identity -------------------------------------------------------------------
    def identity(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "hardware": self.hardware,
            "hardware_id": self.hardware_id,
            "runtime": self.runtime,
            "runtime_version": self.runtime_version,
            "recipe": None if self.recipe in _DEFAULT_RECIPES else self.recipe,
            "options": {k: v for k, v in sorted(self.options.items()) if v is not None},
        }

    @property
    def key(self) -> str:
        return _sha(json.dumps(self.identity(), sort_keys=True, default=str))

    @property
    def label(self) -> str:
        o = self.options
        rt = _RUNTIME_SHORT.get(self.runtime or "", self.runtime)
        ver = _short_version(self.runtime_version)
        parts: list[str]
        if self.backend in PHONE_BACKENDS:
            parts = [(self.hardware or "unknown-phone").lower()]
            if self.backend != "iphone":
                parts.insert(0, self.backend)
            if o.get("compute_units"):
                parts.append(str(o["compute_units"]))
        else:
            parts = [self.backend]
            if rt and rt != self.backend:
                parts.append(f"{rt}-{ver}" if ver else str(rt))
            elif ver:
                parts.append(ver)
            if o.get("compute_units"):
                parts.append(str(o["compute_units"]))
            if o.get("threads") is not None:
                parts.append(f"{o['threads']}t")
            go = o.get("graph_optimization")
            if go and go != "all":
                parts.append(f"opt-{go}")
            res = o.get("resolution")
            if res and res != 224:
                parts.append(f"{res}px")
        if self.recipe not in _DEFAULT_RECIPES:
            parts.append(str(self.recipe))
        return "/".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {**self.identity(), "recipe": self.recipe, "key": self.key, "label": self.label}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Target:
        return cls(
            backend=d["backend"],
            hardware=d.get("hardware"),
            hardware_id=d.get("hardware_id"),
            runtime=d.get("runtime"),
            runtime_version=d.get("runtime_version"),
            recipe=d.get("recipe"),
            options=dict(d.get("options") or {}),
        )


def host_target(
    backend: str,
    *,
    runtime: str | None,
    runtime_version: str | None,
    recipe: str | None = None,
    cpu: str | None = None,
    **options: Any,
) -> Target:
    """A target on this host (CPU model + host id)."""
    if cpu is None:
        cpu = cpu_model()
    return Target(
        backend=backend,
        hardware=cpu,
        hardware_id=host_id(),
        runtime=runtime,
        runtime_version=runtime_version,
        recipe=recipe,
        options={k: v for k, v in options.items() if v is not None},
    )


def phone_target(
    backend: str,
    *,
    model_identifier: str | None,
    udid: str | None,
    compute_units: str | None,
    runtime: str | None,
    runtime_version: str | None = None,
    recipe: str | None = None,
    udid_sha: str | None = None,
) -> Target:
    """A target on a phone (model identifier + UDID hash + compute units)."""
    return Target(
        backend=backend,
        hardware=model_identifier,
        hardware_id=udid_sha or udid_hash(udid),
        runtime=runtime,
        runtime_version=runtime_version,
        recipe=recipe,
        options={"compute_units": compute_units} if compute_units else {},
    )


def target_of(
    device: str, device_info: dict[str, Any] | None, provenance: dict[str, Any] | None, recipe: str | None = None
) -> Target:
    """The target of a run from what every run records (device info, provenance, recipe).

    Used for runs whose device did not state its target, and to migrate runs stored
    before targets existed: their host id was not recorded, so a run from a host of the
    same name as this one is taken as this host's, and any other host's name stands in.
    """
    info = dict(device_info or {})
    prov = dict(provenance or {})
    versions = prov.get("versions") or {}
    if isinstance(info.get("target"), dict):
        return Target.from_dict(info["target"])
    runtime = info.get("runtime")
    rv = info.get("runtime_version")
    if runtime in (None, "onnxruntime") and (info.get("ort_version") or device == "cpu"):
        runtime, rv = "onnxruntime", rv or info.get("ort_version") or versions.get("onnxruntime")
    elif runtime in ("torch-eager", "torch") or info.get("torch_version"):
        runtime, rv = runtime or "torch-eager", rv or info.get("torch_version") or versions.get("torch")
    elif runtime == "coreml" or info.get("coremltools_version"):
        runtime, rv = "coreml", rv or info.get("coremltools_version") or versions.get("coremltools")
    measured_on = prov.get("measured_on") or {}
    model_id = info.get("device_model") or info.get("model_identifier") or measured_on.get("model_identifier")
    if device in ("iphone", "harness-known-cost") or measured_on:
        engine = info.get("engine") or measured_on.get("engine")
        if engine == "known-cost":
            runtime = "known-cost"
        return phone_target(
            device,
            model_identifier=model_id,
            udid=info.get("udid"),
            udid_sha=info.get("udid_sha256"),
            compute_units=short_compute_units(info.get("compute_units")),
            runtime=runtime or "Core ML",
            runtime_version=rv or info.get("os_version"),
            recipe=recipe,
        )
    hid = info.get("host_id") or prov.get("host_id") or _legacy_host_id(prov.get("host"))
    opts = {k: info.get(k) for k in _LABEL_OPTIONS if info.get(k) is not None}
    return Target(
        backend=device,
        hardware=info.get("cpu_model") or prov.get("cpu"),
        hardware_id=hid,
        runtime=runtime,
        runtime_version=rv,
        recipe=recipe,
        options=opts,
    )


def _legacy_host_id(host: str | None) -> str | None:
    """The host id of a run stored before runs recorded one: this host's id when the run names
    this host, so runs measured here before keep being reused; else ``host:<name>``."""
    import socket

    if not host:
        return None
    return host_id() if host == socket.gethostname() else f"host:{host}"


def unique_labels(targets: Iterable[tuple[str, str, str | None]]) -> dict[str, str]:
    """``{key: display label}`` for ``(key, label, hardware_id)`` triples: a label shared by several
    targets gets ``@<hardware id>`` (and, if still shared, ``#<key>``) so none is merged with another."""
    items = list(dict.fromkeys(targets))
    by_label: dict[str, list[tuple[str, str, str | None]]] = {}
    for t in items:
        by_label.setdefault(t[1], []).append(t)
    out: dict[str, str] = {}
    for label, group in by_label.items():
        keys = {k for k, _, _ in group}
        if len(keys) == 1:
            out[group[0][0]] = label
            continue
        hw = {}
        for k, _, h in group:
            hw.setdefault(k, f"{label}@{(h or '?')[:8]}")
        counts: dict[str, int] = {}
        for v in hw.values():
            counts[v] = counts.get(v, 0) + 1
        for k, v in hw.items():
            out[k] = v if counts[v] == 1 else f"{v}#{k[:6]}"
    return out
