"""Reading runs stored before devices stated their targets.

Runs stored by earlier versions of mobench (and runs whose device states no target
before it runs) carry what their device recorded in ``device_info`` and
``provenance`` instead. :func:`target_of` rebuilds their
:class:`~mobench.core.target.Target` the way those versions labelled it, from the
version keys and runtime names they wrote (``ort_version``, ``torch_version``,
``coremltools_version``; a phone's ``provenance.measured_on``). New runs do not go
through here: each device states its runtime, version and label parts
(``mobench.devices``).
"""

from __future__ import annotations

from typing import Any

from ..core.target import Target, short_compute_units, short_version, udid_hash
from ..core.util import host_id

#: Runtime names earlier versions recorded -> their short form in labels.
_RUNTIME_SHORT = {
    "onnxruntime": "ort",
    "torch-eager": "torch",
    "torch": "torch",
    "Core ML": "coreml",
    "coreml": "coreml",
    "known-cost": "known-cost",
    "executorch": "et",
}
#: Options that were part of a host target's label, in label order, as earlier versions wrote them.
_LABEL_OPTIONS = ("compute_units", "threads", "graph_optimization", "resolution")


def _host_label(backend: str, runtime: str | None, version: str | None, opts: dict[str, Any]) -> tuple[str, ...]:
    rt = _RUNTIME_SHORT.get(runtime or "", runtime)
    ver = short_version(version)
    parts = [backend]
    if rt and rt != backend:
        parts.append(f"{rt}-{ver}" if ver else str(rt))
    elif ver:
        parts.append(ver)
    if opts.get("compute_units"):
        parts.append(str(opts["compute_units"]))
    if opts.get("threads") is not None:
        parts.append(f"{opts['threads']}t")
    go = opts.get("graph_optimization")
    if go and go != "all":
        parts.append(f"opt-{go}")
    res = opts.get("resolution")
    if res and res != 224:
        parts.append(f"{res}px")
    return tuple(parts)


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
    if runtime == "onnxruntime" or (runtime is None and info.get("ort_version")):
        runtime, rv = "onnxruntime", rv or info.get("ort_version") or versions.get("onnxruntime")
    elif runtime in ("torch-eager", "torch") or info.get("torch_version"):
        runtime, rv = runtime or "torch-eager", rv or info.get("torch_version") or versions.get("torch")
    elif runtime == "coreml" or info.get("coremltools_version"):
        runtime, rv = "coreml", rv or info.get("coremltools_version") or versions.get("coremltools")
    measured_on = prov.get("measured_on") or {}
    model_id = info.get("device_model") or info.get("model_identifier") or measured_on.get("model_identifier")
    if measured_on or info.get("udid") or info.get("udid_sha256"):  # measured on a phone, not this host
        engine = info.get("engine") or measured_on.get("engine")
        if engine == "known-cost":
            runtime = "known-cost"
        cu = info.get("compute_units")
        cu = short_compute_units(cu)
        parts = [(model_id or "unknown-phone").lower()]
        if runtime == "known-cost":  # the harness's synthetic engine was stored under its own device name
            parts.insert(0, device)
        if cu:
            parts.append(str(cu))
        return Target(
            backend=device,
            hardware=model_id,
            hardware_id=info.get("udid_sha256") or udid_hash(info.get("udid")),
            runtime=runtime or "Core ML",
            runtime_version=rv or info.get("os_version"),
            recipe=recipe,
            options={"compute_units": cu} if cu else {},
            label_parts=tuple(parts),
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
        label_parts=_host_label(device, runtime, rv, opts),
    )


def _legacy_host_id(host: str | None) -> str | None:
    """The host id of a run stored before runs recorded one: this host's id when the run names
    this host, so runs measured here before keep being reused; else ``host:<name>``."""
    import socket

    if not host:
        return None
    return host_id() if host == socket.gethostname() else f"host:{host}"
