"""The remote-device harness: a device that runs a harness app, driven from this host.

A remote device (an iPhone today; an Android phone or a device farm tomorrow) is
a transport (push, launch, pull) plus the plan/report contract plus ingest. This
package holds what every kind shares: plans (:mod:`.plan`), one session that
pushes a plan, launches the app, follows its progress and pulls the report
(:mod:`.session`), validation of plans and reports (:mod:`.schema`), ingest
into the results store (:mod:`.ingest`) and the Wi-Fi plan server
(:mod:`.server`). What differs per platform is a :class:`RemoteKind` (its name,
artifact format, compute-unit vocabulary and runtime labels) and its transports,
which live in the platform's package (``mobench.devices.iphone``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...core.errors import UsageError
from ...core.registry import Registry

__all__ = ["KINDS", "RemoteKind", "remote_kind", "reuse_key", "reuse_key_options"]


def reuse_key_options(compute_units: str, udid: str | None) -> dict[str, Any]:
    """The device options in a remote run's reuse key: the plan's compute units and the phone's UDID."""
    return {"compute_units": compute_units, "udid": udid}


def reuse_key(config: Any, compute_units: str, udid: str | None) -> str:
    """A remote run's reuse key, one for ``bench --device iphone``, ``ios run`` and ingest: the
    protocol config plus :func:`reuse_key_options` (see :func:`mobench.core.configs.config_key`)."""
    from ...core.configs import config_key

    return config_key(config, **reuse_key_options(compute_units, udid))


@dataclass(frozen=True)
class RemoteKind:
    """What one kind of remote device calls things."""

    name: str  # the store's device (backend) name
    artifact_format: str  # exporter format the app runs, e.g. "coreml"
    artifact_suffix: str  # file name suffix of one artifact in a plan
    compute_units: tuple[str, ...]  # the plan's compute-unit values
    compute_unit_aliases: Mapping[str, str] = field(default_factory=dict)  # typed (lower case) -> plan value
    engines: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # report engine -> (device, runtime)
    default_engine: str = ""  # the engine of reports that name none

    def parse_compute_units(self, spec: str | Sequence[str]) -> list[str]:
        """``"all,ane"`` -> ``["all", "cpuAndNeuralEngine"]`` (aliases, case-insensitive), without repeats."""
        items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s and s.strip()]
        if not items:
            raise UsageError("no compute units given; use e.g. --compute-units all,ane")
        out: list[str] = []
        for item in items:
            cu = self.compute_unit_aliases.get(item.lower()) or (item if item in self.compute_units else None)
            if cu is None:
                raise UsageError(
                    f"unknown compute units {item!r}; choose from {', '.join(self.compute_units)} "
                    f"(or the short forms {', '.join(k for k in self.compute_unit_aliases if len(k) <= 3)})"
                )
            if cu not in out:
                out.append(cu)
        return out

    def engine(self, report: Mapping[str, Any]) -> tuple[str, str, str]:
        """``(engine, store device, runtime label)`` of a report."""
        engine = report.get("engine") or self.default_engine
        device, runtime = self.engines[engine]
        return engine, device, runtime


#: Kinds of remote device by name (``module:attr`` of a :class:`RemoteKind`), imported lazily.
#: Other distributions add kinds through the ``mobench.remote_kinds`` entry-point group.
KINDS: Registry[RemoteKind] = Registry("remote device kind", group="mobench.remote_kinds")
KINDS.register("iphone", "mobench.devices.iphone.constants:IPHONE")


def remote_kind(kind: RemoteKind | str | None = None) -> RemoteKind:
    """A kind by name (default ``iphone``), or ``kind`` itself."""
    if isinstance(kind, RemoteKind):
        return kind
    return KINDS.get(kind or "iphone")
