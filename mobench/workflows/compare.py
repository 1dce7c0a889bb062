"""``compare``: is A faster than B, measured so that a busy machine cannot decide it.

A side is written ``MODEL[:VARIANT...][@DEVICE]``:

* ``MODEL``: any model name ``mobench models`` knows (``mobileone_s0``, ``s0``, ``timm:resnet18``);
* ``VARIANT``: ``unfused`` (the train-time graph; ``fused`` is the default) and an
  export recipe (``fp32``, ``fp16``, ``int8``, ``palettize4`` ...: the recipes of the
  device's format, see ``mobench export --help``), in any order;
* ``@DEVICE``: where that side runs (default: ``--device``, else ``cpu``), so runtimes
  compare as ``s0@cpu`` vs ``s0@torch``.

So ``mobileone_s0`` vs ``mobileone_s0:unfused`` compares the deployed and the
train-time graph, ``s0:int8`` vs ``s0`` int8 against fp32 on ONNX Runtime, and
``s0:fp16@coreml`` vs ``s0:fp32@coreml`` two Core ML recipes.
:func:`parse_side` is the one place that reads a spec; a side is a :class:`Side`.

Both sides are loaded, then timed in strict ABAB rounds (``mobench.workflows.schedule``):
round i of A and round i of B are neighbours in time and see the same machine.
The figure is the ratio A/B of the robust latencies (lower quartile of the
per-round medians, ``mobench.core.statistics``), with a bootstrap CI that
resamples the (A, B) round pairs together, so the load both sides shared cancels
out of the interval. The verdict: ``faster`` when the whole CI is below 1,
``slower`` when it is above 1, else ``no detectable difference``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.configs import BenchConfig, config_key
from ..core.errors import DeviceError, UsageError
from ..core.inputs import InputChoice
from ..core.progress import Reporter
from ..core.statistics import ROBUST_QUANTILE, round_medians
from ..devices import device_class
from ..exporters import ExportConfig, check_recipe
from ..exporters.recipes import RECIPES
from ..models import model_info, resolve_models
from ..models.chosen_inputs import choose
from ..results import Store
from .sweep import TimedSweep, Unit, make_device, sweep_device_options, time_units

FUSION_VARIANTS = ("fused", "unfused")
RECIPE_VARIANTS = tuple(RECIPES.names())  # export recipes (fp32, fp16, int8, ...)
VARIANTS = FUSION_VARIANTS + RECIPE_VARIANTS
VERDICTS = ("faster", "slower", "no detectable difference")
CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 5000

#: Rounds of 10 inferences, 1 warm-up each, ABAB until one side has had 5 s of timing
#: (at least 60 inferences each, so a slow model still gets 6 round pairs).
COMPARE_CONFIG = BenchConfig(
    name="compare", warmup=1, rounds=60, inferences=10, trim=1, time_budget_s=5.0, min_inferences=60, headline="robust"
)


@dataclass(frozen=True)
class Side:
    spec: str  # as the user wrote it
    model: str  # canonical model name
    device: str
    unfused: bool = False
    recipe: str | None = None

    @property
    def label(self) -> str:
        parts = [self.model] + (["unfused"] if self.unfused else []) + ([self.recipe] if self.recipe else [])
        return ":".join(parts) + f"@{self.device}"


def side_device(spec: str, default_device: str = "cpu") -> str:
    """The device of a side ``MODEL[:VARIANT...][@DEVICE]`` (``default_device`` without ``@``)."""
    text = (spec or "").strip()
    return text.rsplit("@", 1)[1] if "@" in text else default_device


def parse_side(spec: str, default_device: str = "cpu") -> Side:
    """A :class:`Side` from ``MODEL[:VARIANT...][@DEVICE]`` (``UsageError`` / ``ModelNotFoundError`` if bad)."""
    text = (spec or "").strip()
    if not text:
        raise UsageError("an empty side to compare; write MODEL[:VARIANT][@DEVICE], e.g. mobileone_s0:unfused")
    device = side_device(text, default_device)
    if "@" in text:
        text = text.rsplit("@", 1)[0]
        if not device or not text:
            raise UsageError(f"bad side {spec!r}: write MODEL[:VARIANT][@DEVICE], e.g. s0@torch")
    tokens = text.split(":")
    variants: list[str] = []
    while len(tokens) > 1 and tokens[-1].lower() in VARIANTS:
        variants.insert(0, tokens.pop().lower())
    model = ":".join(tokens)
    fusion = [v for v in variants if v in FUSION_VARIANTS]
    recipe = [v for v in variants if v in RECIPE_VARIANTS]
    if len(fusion) > 1 or len(recipe) > 1:
        raise UsageError(
            f"bad side {spec!r}: give at most one of {'/'.join(FUSION_VARIANTS)} and one of {'/'.join(RECIPE_VARIANTS)}"
        )
    try:
        (name,) = resolve_models([model])
    except UsageError:
        head, _, tail = model.rpartition(":")
        if head and head not in ("timm", "torchvision"):
            raise UsageError(f"unknown variant {tail!r} in {spec!r}; variants: {', '.join(VARIANTS)}") from None
        raise
    unfused = fusion == ["unfused"]
    if unfused and not model_info(name).reparameterizable:
        raise UsageError(f"{name} has no unfused form (only reparameterizable models such as MobileOne do)")
    return Side(spec=spec, model=name, device=device, unfused=unfused, recipe=recipe[0] if recipe else None)


@dataclass
class CompareResult:
    a: Side
    b: Side
    ratio: float  # robust latency of A / robust latency of B
    ci_low: float
    ci_high: float
    confidence: float
    verdict: str  # faster | slower | no detectable difference (A relative to B)
    pairs: int
    a_ms: float
    b_ms: float
    statistic: str = "ratio of robust latencies (lower quartile of round medians), paired bootstrap"
    compare_id: int | None = None
    run_ids: tuple[int | None, int | None] = (None, None)
    records: list[Any] = field(default_factory=list, repr=False)
    sweep: TimedSweep | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a.spec,
            "b": self.b.spec,
            "a_label": self.a.label,
            "b_label": self.b.label,
            "a_ms": self.a_ms,
            "b_ms": self.b_ms,
            "ratio": self.ratio,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence": self.confidence,
            "verdict": self.verdict,
            "pairs": self.pairs,
            "statistic": self.statistic,
            "compare_id": self.compare_id,
            "a_run_id": self.run_ids[0],
            "b_run_id": self.run_ids[1],
        }

    def sentence(self) -> str:
        pct = int(round(100 * self.confidence))
        ci = f"ratio A/B {self.ratio:.3f}, {pct}% CI {self.ci_low:.3f}-{self.ci_high:.3f}, {self.pairs} round pairs"
        if self.verdict == "faster":
            return f"{self.a.label} is faster than {self.b.label}: {1 / self.ratio:.2f}x ({ci})"
        if self.verdict == "slower":
            return f"{self.a.label} is slower than {self.b.label}: {self.ratio:.2f}x ({ci})"
        return f"no detectable difference between {self.a.label} and {self.b.label} ({ci})"


def _robust(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.quantile(x, ROBUST_QUANTILE, axis=axis)


def ratio_ci(
    a_rounds: np.ndarray,
    b_rounds: np.ndarray,
    *,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[float, float, float]:
    """(ratio, low, high): robust(A)/robust(B) of paired per-round medians and its bootstrap CI.

    scipy.stats.bootstrap with ``paired=True`` resamples round pairs together, so a
    slow period that hit both rounds of a pair moves both in the same resample.
    """
    a, b = np.asarray(a_rounds, dtype=float), np.asarray(b_rounds, dtype=float)
    ratio = float(_robust(a) / _robust(b))
    if len(a) < 2 or (np.all(a == a[0]) and np.all(b == b[0])):
        return ratio, ratio, ratio
    from scipy.stats import bootstrap

    res = bootstrap(
        (a, b),
        lambda x, y, axis=-1: _robust(x, axis) / _robust(y, axis),
        paired=True,
        vectorized=True,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return ratio, float(res.confidence_interval.low), float(res.confidence_interval.high)


def verdict(low: float, high: float) -> str:
    if high < 1.0:
        return "faster"
    if low > 1.0:
        return "slower"
    return "no detectable difference"


def _unit(side: Side, config: BenchConfig, options: dict[str, Any], exports: Any = None) -> Unit:
    opts: dict[str, Any] = dict(options)
    export_config = None
    try:
        eager = device_class(side.device).artifact_format is None
    except DeviceError as exc:
        raise DeviceError(f"{side.spec}: {exc}") from None
    if eager:  # built from the registry (e.g. torch): fusion is a device option, no export recipe
        if side.recipe not in (None, "fp32"):
            raise UsageError(f"{side.spec}: the {side.device} device runs fp32 only")
        if side.unfused:  # the device takes the unfused form from an export config (DeviceOption.from_export)
            ec = ExportConfig(input_kind=config.input_kind, reparameterize=False)
            opts = sweep_device_options(side.device, [side.model], ec, opts)
    else:
        if side.recipe is not None:
            try:  # a recipe the device's format lacks: one line listing the ones it has
                check_recipe(str(device_class(side.device).artifact_format), side.recipe)
            except UsageError as exc:
                raise UsageError(f"{side.spec}: {exc}") from None
        if side.unfused or side.recipe or exports is not None:
            kw = {"out_dir": exports} if exports is not None else {}
            export_config = ExportConfig(
                recipe=side.recipe, input_kind=config.input_kind, reparameterize=not side.unfused, **kw
            )
    try:
        dev = make_device(side.device, opts)
    except DeviceError as exc:
        raise DeviceError(f"{side.spec}: {exc}") from None
    return Unit(
        side.label, side.model, dev, export_config, config_key(config, **dev.options_key()), unfused=side.unfused
    )


def run_compare(
    a: str,
    b: str,
    *,
    device: str | None = None,
    config: BenchConfig | None = None,
    db: Any = None,
    device_options: dict[str, dict[str, Any]] | None = None,
    store: bool = True,
    exports: Any = None,
    progress: Reporter | None = None,
    inputs: InputChoice | None = None,
) -> CompareResult:
    """Time A and B in ABAB rounds, compare them and store the result (see the module docstring).

    Bad input (unknown model, variant or device; a device that cannot run a side;
    a side that fails to export or run) raises before anything is stored.
    ``exports``: the folder of exported artifacts (default: the exporters' default).
    ``inputs``: ``--input`` / ``--input-data``, applied to both sides (each side is then measured
    at that shape; see :mod:`mobench.models.chosen_inputs`).
    ``device_options``: each device's options (device name -> options).
    """
    config = config or COMPARE_CONFIG
    sa, sb = parse_side(a, device or "cpu"), parse_side(b, device or "cpu")
    sa = dataclasses.replace(sa, model=choose(sa.model, inputs))
    sb = dataclasses.replace(sb, model=choose(sb.model, inputs))
    if sa.label == sb.label:
        raise UsageError(f"{a!r} and {b!r} are the same measurement ({sa.label}); compare two different things")
    opts = device_options or {}
    units = [_unit(s, config, opts.get(s.device, {}), exports) for s in (sa, sb)]
    if store:  # an unusable store is bad input too: find out before timing
        own = not isinstance(db, Store)
        st = Store(db) if own else db
    try:
        return _timed_compare(sa, sb, units, config, st if store else None, progress)
    finally:
        if store and own:
            st.close()


def _timed_compare(
    sa: Side, sb: Side, units: list[Unit], config: BenchConfig, st: Any, progress: Reporter | None
) -> CompareResult:
    timed = time_units(
        units, config, store=None, force=True, progress=progress, schedule="abab", memory_budget_mb=float("inf")
    )
    for side, rec in zip((sa, sb), timed.records, strict=False):
        if rec.status != "ok":
            raise DeviceError(f"{side.spec} could not be timed ({rec.error}); nothing stored")
    ra, rb = (round_medians(r.samples_ms) for r in timed.records)
    n = min(len(ra), len(rb))
    ratio, lo, hi = ratio_ci(ra[:n], rb[:n], seed=config.seed)
    res = CompareResult(
        a=sa,
        b=sb,
        ratio=ratio,
        ci_low=lo,
        ci_high=hi,
        confidence=CONFIDENCE,
        verdict=verdict(lo, hi),
        pairs=n,
        a_ms=float(_robust(ra[:n])),
        b_ms=float(_robust(rb[:n])),
        records=timed.records,
        sweep=timed,
    )
    if st is not None:
        row = {k: v for k, v in res.to_dict().items() if k not in ("compare_id", "a_run_id", "b_run_id", "a", "b")}
        row.update(a_spec=sa.spec, b_spec=sb.spec)
        res.compare_id = st.add_compare(timed.records[0], timed.records[1], timed.sweep_row(), row)
        res.run_ids = (timed.records[0].run_id, timed.records[1].run_id)
    return res
