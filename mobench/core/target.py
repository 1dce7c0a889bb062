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
``cpu/ort-1.23/2t``) whose parts the device states (``Target.label_parts``, from its
declaration in ``mobench.devices``); ``Target.key`` a stable hash of everything above, so two
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

_DEFAULT_RECIPES = (None, "", "fp32")


def _sha(text: str, n: int = 16) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def udid_hash(udid: str | None) -> str | None:
    """A phone's id in results: a hash of its UDID (the UDID itself identifies the owner's phone)."""
    return _sha("mobench-udid:" + udid, 12) if udid else None


def short_version(version: str | None) -> str | None:
    """``"1.23.2"`` -> ``"1.23"`` (the form in labels)."""
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


@dataclass(frozen=True)
class Target:
    backend: str
    hardware: str | None = None  # CPU model name or phone model identifier
    hardware_id: str | None = None  # host id or UDID hash
    runtime: str | None = None
    runtime_version: str | None = None
    recipe: str | None = None  # fp32, fp16, int8 ... (the export recipe)
    options: dict[str, Any] = field(default_factory=dict)
    #: The label's parts before the recipe, as the device states them (not part of the identity).
    label_parts: tuple[str, ...] = field(default=(), compare=False)

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
        """The device's label parts (or backend, runtime-version and options), then a non-default recipe."""
        parts = list(self.label_parts)
        if not parts:
            parts = [self.backend]
            if self.runtime:
                ver = short_version(self.runtime_version)
                parts.append(f"{self.runtime}-{ver}" if ver else self.runtime)
            parts += [f"{k}={v}" for k, v in sorted(self.options.items()) if v is not None]
        if self.recipe not in _DEFAULT_RECIPES:
            parts.append(str(self.recipe))
        return "/".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {**self.identity(), "recipe": self.recipe, "key": self.key, "label": self.label}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Target:
        """The target of a stored ``to_dict()``; its stored label gives the label parts back."""
        recipe = d.get("recipe")
        parts: list[str] = []
        label = d.get("label")
        if isinstance(label, str) and label:
            parts = label.split("/")
            if recipe not in _DEFAULT_RECIPES and parts and parts[-1] == str(recipe):
                parts = parts[:-1]
        return cls(
            backend=d["backend"],
            hardware=d.get("hardware"),
            hardware_id=d.get("hardware_id"),
            runtime=d.get("runtime"),
            runtime_version=d.get("runtime_version"),
            recipe=recipe,
            options=dict(d.get("options") or {}),
            label_parts=tuple(parts),
        )


def host_target(
    backend: str,
    *,
    runtime: str | None,
    runtime_version: str | None,
    recipe: str | None = None,
    cpu: str | None = None,
    label: tuple[str, ...] = (),
    **options: Any,
) -> Target:
    """A target on this host (CPU model + host id); ``label``: its label parts (see :attr:`Target.label_parts`)."""
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
        label_parts=tuple(label),
    )


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
