"""``run_bottleneck_study``: one of the paper's latency studies on generated networks, on any device.

The MobileOne paper (Vasu et al., CVPR 2023, Section 3) explains latency by its
causes. A study (a plugin of :mod:`mobench.studies`: ``activations``, ``blocks``,
``branches`` ...) names the networks that isolate one cause; this workflow times
them through the normal sweep (export -> check -> time -> store), so any device
works, the iPhone included, and every run is stored with its raw samples. The study
then adds its computed columns (parameters, memory traffic, the paper's numbers)
and the result (its table rows, each naming its run) is stored in the ``studies``
table. ``resolution`` sets the input size (64 = the quick size, 224 = full size).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..core.configs import BenchConfig, protocol
from ..core.progress import Reporter
from ..exporters import ExportConfig
from ..results import Store
from ..results.profiles import add_study
from ..studies import get_study
from .sweep import run_sweep


@dataclass
class BottleneckStudyResult:
    study: str
    device: str
    resolution: int
    protocol: str
    rows: list[dict[str, Any]]
    study_id: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r.get("status") != "ok"]


def run_bottleneck_study(
    study: str,
    device: str = "cpu",
    *,
    resolution: int = 64,
    config: BenchConfig | None = None,
    db: Any = None,
    export_dir: Any = None,
    force: bool = False,
    device_options: dict[str, Any] | None = None,
    progress: Reporter | None = None,
) -> BottleneckStudyResult:
    """Run the study registered as ``study`` (see the module docstring); raises only for bad input."""
    plugin = get_study(study)
    plan = plugin.plan()
    config = config or protocol("quick")
    ec = ExportConfig(
        resolution=resolution,
        input_kind=config.input_kind,
        **({"out_dir": export_dir} if export_dir is not None else {}),
    ).validate()
    own = not isinstance(db, Store)
    store = Store(db) if own else db
    try:
        by_key: dict[tuple[str, bool], Any] = {}
        for fused in (True, False):
            names = list(dict.fromkeys(r["model"] for r in plan if r["fused"] is fused))
            if not names:
                continue
            recs = run_sweep(
                names,
                device,
                config,
                db=store,
                export_config=replace(ec, reparameterize=fused),
                force=force,
                device_options=device_options,
                progress=progress,
            )
            for name, rec in zip(names, recs, strict=True):  # in order; a record names the canonical model
                by_key[(name, fused)] = rec
        rows = []
        for spec in plan:
            rec = by_key[(spec["model"], spec["fused"])]
            row = dict(spec, device=device, status=rec.status, run_id=rec.run_id)
            stats = store.get_stats(rec.run_id) if rec.status == "ok" and rec.run_id else None
            row["latency_ms"] = (stats or {}).get("median_ms")
            row["min_ms"] = (stats or {}).get("min_ms")
            if rec.status != "ok":
                row["error"] = rec.error
            rows.append(row)
        plugin.derive(rows, resolution)
        notes = [f"input {resolution}x{resolution}, protocol {config.name}, latency = median of the run"]
        res = BottleneckStudyResult(study, device, resolution, config.name, rows, notes=notes)
        res.study_id = add_study(
            store, study, device, resolution, rows, extra={"protocol": config.name, "notes": notes}
        )
        return res
    finally:
        if own:
            store.close()
