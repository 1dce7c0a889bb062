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

Both sides are loaded (``compare X X`` of one name loads it twice: the noise-floor
check), then timed in short rounds of 5 inferences in counterbalanced pairs, A B
then B A (the ``abba`` schedule of ``mobench.workflows.schedule``), with a 5 ms
pause between the two sides of a pair. Each side's device takes its
``INTERLEAVED_OPTIONS`` unless told otherwise: the cpu device's ONNX Runtime threads then
sleep after a run instead of spin-waiting on the cores the other side is about to use
(spinning made the side timed second up to ~60 % slower; README). Each pair gives the log ratio of its two round medians; an AB pair and the
BA pair after it are averaged into one *quartet* value, in which an effect of
going first cancels. The figure is exp(median of the quartet values) with the
distribution-free 95 % CI of that median (sign-test order statistics), so the
interval widens with the pairs' disagreement and a pair hit by a burst the other
side missed is an outlier, not a shift. Timing stops once the CI is within
+-``target_ci_pct`` (2 %), after ``min_time_s`` (2 s) per side and before
``time_budget_s`` (20 s): on its width only, never on where it lies.

Verdict: ``faster`` when the whole CI lies below 1/1.03, ``slower`` when it lies
above 1.03 (a difference of more than :data:`MIN_EFFECT` = 3 % at 95 % confidence),
``no detectable difference`` when it does not and is within +-5 %
(:data:`BUSY_HALF_WIDTH`), else ``too busy to tell``: the pairs disagreed so much
that even a 5 % difference could hide in the interval. The 3 % margin is measured:
two loads of one model, compared on a shared 2-core machine, came out up to ~16 %
apart with CIs that excluded 1 (README, "Can the numbers be trusted?"), a difference
between two instances the pairs inside one comparison cannot see; a CI that must
clear 3 % turns those into "no detectable difference" or "too busy to tell".
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..core.configs import BenchConfig, config_key
from ..core.errors import DeviceError, UsageError
from ..core.inputs import InputChoice
from ..core.progress import Reporter
from ..core.statistics import ROBUST_QUANTILE, quantile_ci, round_medians
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
FASTER, SLOWER, SAME, TOO_BUSY = "faster", "slower", "no detectable difference", "too busy to tell"
VERDICTS = (FASTER, SLOWER, SAME, TOO_BUSY)
CONFIDENCE = 0.95
#: A CI that contains 1 and is wider than +-5 % cannot tell a 5 % difference from none.
BUSY_HALF_WIDTH = 0.05
#: The smallest difference a verdict calls faster/slower: the whole CI must lie beyond it.
MIN_EFFECT = 0.03
#: Pause between the two sides of a pair (see the module docstring and README).
QUIESCE_S = 0.005
#: Fewest round pairs: 6 quartets, what a 95 % order-statistic CI of a median needs.
MIN_PAIRS = 12
SCHEDULE = "abba"
#: Pairs between two checks of the stop rule: odd, so the side timed right after a check alternates.
CHECK_EVERY = 3

#: Rounds of 5 inferences, 1 warm-up each, in ABBA pairs until the ratio's CI is within +-2 %
#: (after 2 s of timing per side and 60 inferences each) or a side has had 20 s of timing.
COMPARE_CONFIG = BenchConfig(
    name="compare",
    warmup=1,
    rounds=4000,
    inferences=5,
    trim=1,
    time_budget_s=20.0,
    min_inferences=60,
    headline="robust",
    target_ci_pct=2.0,
    min_time_s=2.0,
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
    half_width: float = float("nan")  # half the CI's width, in log-ratio (~ a fraction of the ratio)
    target_ci_pct: float | None = None
    target_met: bool | None = None
    statistic: str = "exp(median of AB+BA quartet mean log ratios of round medians), sign-test CI; ABBA rounds of 5"
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
            "half_width": self.half_width,
            "target_ci_pct": self.target_ci_pct,
            "target_met": self.target_met,
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
        if self.verdict == TOO_BUSY:
            return (
                f"the machine was too busy to tell {self.a.label} from {self.b.label}: the CI is wider than "
                f"+-{100 * BUSY_HALF_WIDTH:.0f}% ({ci}); run it again when the machine is quieter"
            )
        return f"no detectable difference between {self.a.label} and {self.b.label} ({ci})"

    def precision_note(self) -> str:
        """One line on the precision target, empty when there was none or it was met."""
        if self.target_ci_pct is None or self.target_met:
            return ""
        return (
            f"stopped at the maximum time with the CI at +-{100 * self.half_width:.1f}%, "
            f"short of the +-{self.target_ci_pct:g}% target"
        )


def _robust(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.quantile(x, ROBUST_QUANTILE, axis=axis)


def quartets(a_rounds: np.ndarray, b_rounds: np.ndarray) -> np.ndarray:
    """Mean log ratio log(A/B) of every AB pair and the BA pair after it (an odd last pair is dropped)."""
    a, b = np.asarray(a_rounds, dtype=float), np.asarray(b_rounds, dtype=float)
    n = min(len(a), len(b))
    d = np.log(a[:n] / b[:n])
    m = n - n % 2
    return (d[0:m:2] + d[1:m:2]) / 2.0


def ratio_ci(
    a_rounds: np.ndarray, b_rounds: np.ndarray, *, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """(ratio, low, high): A/B from paired round medians in ABBA order and its CI (module docstring).

    ``nan`` bounds when there are fewer than 6 quartets (12 pairs).
    """
    e = quartets(a_rounds, b_rounds)
    if e.size == 0:
        return math.nan, math.nan, math.nan
    lo, hi = quantile_ci(e, 0.5, confidence)
    return math.exp(float(np.median(e))), math.exp(lo), math.exp(hi)


def half_width(low: float, high: float) -> float:
    """Half the CI's width in log-ratio (0.02 ~ +-2 %); ``inf`` when the CI is not known."""
    if not (math.isfinite(low) and math.isfinite(high)) or low <= 0:
        return math.inf
    return math.log(high / low) / 2.0


def verdict(low: float, high: float) -> str:
    """The verdict of a ratio's CI (module docstring): beyond +-3 % with confidence, else precise or not."""
    if math.isfinite(high) and high < 1.0 / (1.0 + MIN_EFFECT):
        return FASTER
    if math.isfinite(low) and low > 1.0 + MIN_EFFECT:
        return SLOWER
    if half_width(low, high) > BUSY_HALF_WIDTH:
        return TOO_BUSY
    return SAME


def _precise_enough(config: BenchConfig) -> Any:
    """The stop rule of a comparison: the ratio's CI within +-target, after ``min_time_s`` per side."""
    target = config.target_ci_pct
    checks = {"n": 0}

    def stop(sessions: list[Any]) -> bool:
        if target is None or len(sessions) != 2:
            return False
        checks["n"] += 1
        spent = min(getattr(s, "spent_s", 0.0) for s in sessions)
        # A CI costs ~1 ms and stirs the caches of the round timed next: every 3rd pair, an odd
        # period, so that round is A's and B's in turn (every 4th pair made it always A's, and A
        # came out ~2 % slower than B in A/A tests: README).
        if spent < config.min_time_s or checks["n"] % CHECK_EVERY:
            return False
        ra, rb = (round_medians(s.record.samples_ms) for s in sessions)
        if min(len(ra), len(rb)) < MIN_PAIRS:
            return False
        _, lo, hi = ratio_ci(ra, rb)
        return half_width(lo, hi) <= target / 100.0

    return stop


def side_unit(side: Side, config: BenchConfig, options: dict[str, Any], exports: Any = None) -> Unit:
    """The sweep :class:`Unit` that times ``side`` (its device made with ``options``, its export config chosen)."""
    export_config = None
    try:
        cls = device_class(side.device)
    except DeviceError as exc:
        raise DeviceError(f"{side.spec}: {exc}") from None
    opts: dict[str, Any] = cls.interleaved_options(options)
    eager = cls.artifact_format is None
    if eager:  # built from the registry (e.g. torch): fusion is a device option, no export recipe
        if side.recipe not in (None, "fp32"):
            raise UsageError(f"{side.spec}: the {side.device} device runs fp32 only")
        if side.unfused:  # the device takes the unfused form from an export config (DeviceOption.from_export)
            ec = ExportConfig(input_kind=config.input_kind, reparameterize=False)
            opts = sweep_device_options(side.device, [side.model], ec, opts)
    else:
        if side.recipe is not None:
            try:  # a recipe the device's format lacks: one line listing the ones it has
                check_recipe(str(cls.artifact_format), side.recipe)
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
    """Time A and B in ABBA rounds, compare them and store the result (see the module docstring).

    ``compare X X`` of one name is the noise-floor check: X is loaded twice and
    timed against itself. Bad input (unknown model, variant or device; a device
    that cannot run a side; a side that fails to export or run) raises before
    anything is stored. ``exports``: the folder of exported artifacts (default:
    the exporters' default).
    ``inputs``: ``--input`` / ``--input-data``, applied to both sides (each side is then measured
    at that shape; see :mod:`mobench.models.chosen_inputs`).
    ``device_options``: each device's options (device name -> options).
    """
    config = config or COMPARE_CONFIG
    if config.rounds < MIN_PAIRS:
        raise UsageError(
            f"compare needs at least {MIN_PAIRS} round pairs for its CI; --rounds {config.rounds} is fewer"
        )
    sa, sb = parse_side(a, device or "cpu"), parse_side(b, device or "cpu")
    sa = dataclasses.replace(sa, model=choose(sa.model, inputs))
    sb = dataclasses.replace(sb, model=choose(sb.model, inputs))
    opts = device_options or {}
    units = [side_unit(s, config, opts.get(s.device, {}), exports) for s in (sa, sb)]
    if sa.label == sb.label:  # the noise-floor check: two loads of one thing, told apart in progress and store
        units[0].label, units[1].label = f"{sa.label} (A)", f"{sb.label} (B)"
    if store:  # an unusable store is bad input too: find out before timing
        own = not isinstance(db, Store)
        st = Store(db) if own else db
    try:
        return compare_units(sa, sb, units, config, st if store else None, progress)
    finally:
        if store and own:
            st.close()


def compare_units(
    sa: Side, sb: Side, units: list[Unit], config: BenchConfig, st: Any = None, progress: Reporter | None = None
) -> CompareResult:
    """Time two prepared :class:`Unit` s as A and B and compare them (``run_compare`` after parsing;
    a benchmark script calls it with units it built itself, e.g. a model at two input sizes)."""
    # Each side stops only at its maximum time; the ratio's precision decides the rest.
    side_config = replace(config, target_ci_pct=None)
    timed = time_units(
        units,
        side_config,
        store=None,
        force=True,
        progress=progress,
        schedule=SCHEDULE,
        memory_budget_mb=float("inf"),
        stop=_precise_enough(config),
        pause_s=QUIESCE_S,
    )
    for side, rec in zip((sa, sb), timed.records, strict=False):
        if rec.status != "ok":
            raise DeviceError(f"{side.spec} could not be timed ({rec.error}); nothing stored")
    ra, rb = (round_medians(r.samples_ms) for r in timed.records)
    n = min(len(ra), len(rb))
    ratio, lo, hi = ratio_ci(ra[:n], rb[:n])
    hw = half_width(lo, hi)
    target = config.target_ci_pct
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
        half_width=hw,
        target_ci_pct=target,
        target_met=None if target is None else bool(hw <= target / 100.0),
        records=timed.records,
        sweep=timed,
    )
    if st is not None:
        row = {k: v for k, v in res.to_dict().items() if k not in ("compare_id", "a_run_id", "b_run_id", "a", "b")}
        row.update(a_spec=sa.spec, b_spec=sb.spec)
        res.compare_id = st.add_compare(timed.records[0], timed.records[1], timed.sweep_row(), row)
        res.run_ids = (timed.records[0].run_id, timed.records[1].run_id)
    return res
