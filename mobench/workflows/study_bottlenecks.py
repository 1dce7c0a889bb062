"""``run_bottleneck_study``: the paper's latency studies on generated networks, on any device.

The MobileOne paper (Vasu et al., CVPR 2023, Section 3) explains latency by its
causes. Each study here times networks of :mod:`mobench.models.probes` through the
normal sweep (export -> check -> time -> store), so any device works, the iPhone
included, and every run is stored with its raw samples:

``activations``
    The 30-layer CNN with each of seven activations, beside the paper's Table 2
    (iPhone 12 ms, shipped in ``mobench/data``); both as ms and relative to ReLU.
``blocks``
    The same CNN plain, with skip connections, with squeeze-excite (SE-ReLU), and
    with k = 4 parallel conv-BN branches per layer, unfused and fused: memory
    traffic (``analysis.metrics.graph_metrics``: weights + activations read and
    written per op) beside latency.
``branches``
    A small MobileOne with k = 1, 2, 4, 8 branches per block, train-time against
    fused: the unfused latency grows with k, the fused graph is the same for every k.

A study result (its table rows, each naming its run) is stored in the ``studies``
table. ``resolution`` sets the input size (64 = the quick size, 224 = full size).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..analysis.metrics import graph_metrics
from ..core.configs import BenchConfig, protocol
from ..core.errors import UsageError
from ..core.progress import Reporter
from ..core.registry import suggest
from ..data import paper_table2
from ..exporters import ExportConfig
from ..models import build_deployed
from ..models.complexity import count_params
from ..models.probes import ACTIVATIONS, BLOCKS_BRANCHES, BRANCH_KS
from ..results import Store
from ..results.profiles import add_study
from .sweep import run_sweep

STUDIES: dict[str, str] = {
    "activations": "30-layer CNN, seven activations, beside the paper's Table 2 (iPhone 12)",
    "blocks": "skip connections, squeeze-excite and parallel conv-BN branches: memory traffic and latency",
    "branches": "MobileOne blocks with k = 1, 2, 4, 8 branches, train-time vs fused",
}


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


def check_study(name: str) -> str:
    if name not in STUDIES:
        close = suggest(name, list(STUDIES))
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"unknown study {name!r}{hint}; choose one of {', '.join(STUDIES)}")
    return name


def study_plan(study: str) -> list[dict[str, Any]]:
    """The rows of ``study`` before timing: ``{label, model, fused, ...}`` in table order."""
    check_study(study)
    if study == "activations":
        return [
            {"label": label, "activation": act, "model": f"probe_act_{act}", "fused": True}
            for act, label in ACTIVATIONS.items()
        ]
    if study == "blocks":
        k = BLOCKS_BRANCHES
        return [
            {"label": "plain (ReLU)", "model": "probe_act_relu", "fused": True},
            {"label": "skip connections", "model": "probe_blk_skip", "fused": True},
            {"label": "squeeze-excite (SE-ReLU)", "model": "probe_act_se_relu", "fused": True},
            {"label": f"{k} conv-BN branches, unfused", "model": f"probe_blk_branches{k}", "fused": False},
            {"label": f"{k} conv-BN branches, fused", "model": f"probe_blk_branches{k}", "fused": True},
        ]
    return [
        {"label": f"k={k} {form}", "k": k, "form": form, "model": f"probe_mobileone_k{k}", "fused": form == "fused"}
        for form in ("unfused", "fused")
        for k in BRANCH_KS
    ]


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
    """Run one study (see the module docstring); raises only for bad input."""
    plan = study_plan(study)
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
            for rec in recs:
                by_key[(rec.model, fused)] = rec
        rows = []
        for spec in plan:
            rec = by_key[(spec["model"], spec["fused"])]
            row = dict(spec, device=device, status=rec.status, run_id=rec.extra.get("run_id"))
            stats = store.get_stats(rec.extra["run_id"]) if rec.status == "ok" and rec.extra.get("run_id") else None
            row["latency_ms"] = (stats or {}).get("median_ms")
            row["min_ms"] = (stats or {}).get("min_ms")
            if rec.status != "ok":
                row["error"] = rec.error
            rows.append(row)
        _complexity(rows, resolution, with_memory=study == "blocks")
        if study == "activations":
            _beside_table2(rows)
        notes = [f"input {resolution}x{resolution}, protocol {config.name}, latency = median of the run"]
        res = BottleneckStudyResult(study, device, resolution, config.name, rows, notes=notes)
        res.study_id = add_study(
            store, study, device, resolution, rows, extra={"protocol": config.name, "notes": notes}
        )
        return res
    finally:
        if own:
            store.close()


def _complexity(rows: list[dict[str, Any]], resolution: int, *, with_memory: bool) -> None:
    """Params (and, for ``with_memory``, memory traffic) of each row's graph as timed."""
    cache: dict[tuple[str, bool], dict[str, float]] = {}
    for r in rows:
        key = (r["model"], r["fused"])
        if key not in cache:
            net = build_deployed(r["model"], fuse=r["fused"])
            c = {"params_m": count_params(net) / 1e6}
            if with_memory:
                c["memory_mb"] = graph_metrics(net, resolution)["memory_bytes"] / 1e6
            cache[key] = c
        r.update(cache[key])


def _beside_table2(rows: list[dict[str, Any]]) -> None:
    t2 = paper_table2()
    base = next((r["latency_ms"] for r in rows if r["activation"] == "relu"), None)
    for r in rows:
        r["paper_ms"] = float(t2.at[r["activation"], "iphone12_ms"])
        r["paper_ratio_to_relu"] = r["paper_ms"] / float(t2.at["relu", "iphone12_ms"])
        r["ratio_to_relu"] = (r["latency_ms"] / base) if (base and r["latency_ms"]) else None
