"""Per-op latency profiles: the record every profiler produces and the store keeps.

A :class:`Profile` is the time of each op of one model on one device, averaged
per inference, with where it came from (``source``: ``onnxruntime-profiler``,
``torch-profiler``, ``coreml-compute-plan``) and two totals that say how far to
trust it: ``profiled_total_ms`` (the mean inference time while profiling) and
``unprofiled_median_ms`` (the median of the linked ordinary run). Core ML's
compute plan gives estimated relative costs, not times; its op times are those
costs times the measured median (``estimated=True``).

:func:`op_type_shares` and :func:`stage_times` aggregate ops per op type and per
network stage (from op names such as ``/stage2/stage2.3/conv/Conv``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

#: Runtime-specific names of fused kernels -> the op family they time (ONNX Runtime
#: fuses Conv+activation into ``FusedConv``, Gemm+activation into ``FusedGemm``).
OP_FAMILY = {
    "FusedConv": "Conv",
    "FusedGemm": "Gemm",
    "FusedMatMul": "MatMul",
    "NhwcConv": "Conv",
    "QLinearConv": "Conv",
    "Conv2d": "Conv",
    "conv": "Conv",
    "Convolution": "Conv",  # XNNPACK operator kind in an ExecuTorch ETDump
    "ConvTranspose2d": "ConvTranspose",
}


@dataclass
class OpTime:
    """One op: its node name, type, mean time per inference and (Core ML) preferred device."""

    name: str
    op_type: str
    ms: float
    stage: str = ""
    device: str | None = None  # compute plan: preferred device (cpu, gpu, neural_engine)
    cost: float | None = None  # compute plan: estimated relative cost (0..1)
    calls: int = 1  # times the op ran per inference

    @property
    def family(self) -> str:
        return OP_FAMILY.get(self.op_type, self.op_type)


@dataclass
class Profile:
    """Per-op times of one model on one device (see the module docstring)."""

    model: str
    device: str
    source: str
    ops: list[OpTime]
    runs: int  # profiled inferences averaged
    profiled_total_ms: float | None = None  # mean inference time while profiling
    unprofiled_median_ms: float | None = None  # median of the linked ordinary run
    unfused: bool = False
    estimated: bool = False  # op times estimated from relative costs
    run_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ops_total_ms(self) -> float:
        return float(sum(o.ms for o in self.ops))

    @property
    def coverage(self) -> float | None:
        """Sum of op times over the profiled total (1.0 = the ops explain all of it)."""
        if not self.profiled_total_ms:
            return None
        return self.ops_total_ms / self.profiled_total_ms

    @property
    def overhead(self) -> float | None:
        """Profiled total over the unprofiled median, minus 1 (0.05 = profiling added 5%)."""
        if not self.profiled_total_ms or not self.unprofiled_median_ms:
            return None
        return self.profiled_total_ms / self.unprofiled_median_ms - 1.0

    def top_ops(self, n: int = 10) -> list[OpTime]:
        return sorted(self.ops, key=lambda o: -o.ms)[:n]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(ops_total_ms=self.ops_total_ms, coverage=self.coverage, overhead=self.overhead)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Profile:
        known = {
            k: d[k]
            for k in (
                "model",
                "device",
                "source",
                "runs",
                "profiled_total_ms",
                "unprofiled_median_ms",
                "unfused",
                "estimated",
                "run_id",
                "extra",
            )
            if k in d
        }
        return cls(ops=[OpTime(**o) for o in d.get("ops", [])], **known)


def op_type_shares(profile: Profile) -> list[tuple[str, float, float]]:
    """``(op family, ms, share of the op total)``, largest first."""
    acc: dict[str, float] = defaultdict(float)
    for o in profile.ops:
        acc[o.family] += o.ms
    total = sum(acc.values()) or 1.0
    return sorted(((k, v, v / total) for k, v in acc.items()), key=lambda t: -t[1])


def stage_times(profile: Profile, level: str = "stage") -> list[tuple[str, float, float]]:
    """``(stage or block, ms, share)`` in order of first appearance; unnamed ops go to ``(other)``.

    ``level="block"`` splits stages into their blocks (``stage2.5``) where names allow.
    """
    acc: dict[str, float] = {}
    for o in profile.ops:
        key = (block_of(o.name) or o.stage if level == "block" else o.stage) or "(other)"
        acc[key] = acc.get(key, 0.0) + o.ms
    total = sum(acc.values()) or 1.0
    return [(k, v, v / total) for k, v in acc.items()]


_STAGE_RE = re.compile(
    r"^(stage\d+|stem|stages?\.\d+|layer\d+|features\.\d+|blocks\.\d+|conv_stem|head|linear|"
    r"classifier|fc|gap|network\.\d+)$"
)


def stage_of(name: str) -> str:
    """The network stage or top-level block in a node or module name, or ``""``.

    Understands ONNX node names written by torch's exporter (``/stage2/stage2.3/conv/Conv``),
    module paths (``stage2.3.conv``) and timm/torchvision names (``stages.1``,
    ``layer3``, ``features.4``, ``blocks.2``).
    """
    parts = [p for p in re.split(r"[/]", name) if p]
    if len(parts) == 1:  # a module path
        parts = parts[0].split(".")
        if len(parts) >= 2 and parts[0] in ("stages", "features", "blocks", "network") and parts[1].isdigit():
            return f"{parts[0]}.{parts[1]}"
        return parts[0] if parts and _STAGE_RE.match(parts[0]) else ""
    head = parts[0]
    return head if _STAGE_RE.match(head) else ""


def block_of(name: str) -> str:
    """The block inside a stage (``stage2.5`` of ``/stage2/stage2.5/conv/Conv``), or ``""``."""
    parts = [p for p in name.split("/") if p]
    if len(parts) == 1:
        parts = name.split(".")
        return ".".join(parts[:2]) if len(parts) >= 3 and parts[1].isdigit() and stage_of(name) else ""
    if len(parts) >= 2 and stage_of(name) and re.fullmatch(r"[\w]+\.\d+", parts[1]):
        return parts[1]
    return ""
