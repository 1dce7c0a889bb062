"""Timing protocols: :class:`BenchConfig` and the named presets.

A protocol says how a model is timed, never which models (``--preset`` names a
model set, ``--protocol`` a timing protocol). Every stored run records the
protocol name and the full config, and runs are reused only for the same
config (:func:`config_key`).

Named protocols (``protocol(name)``):

``modelbench``
    The reference app of apple/ml-mobileone: 20 rounds x 50 inferences, the
    model re-loaded every round, 1 discarded warm-up per round, the 10 lowest
    and 10 highest samples of each round dropped; headline = mean of the
    per-round trimmed means.
``paper``
    The paper's method: load once, one warm-up, 1000 runs; headline = minimum.
``quick``
    Smoke runs and tests: 3 rounds x 10, headline = median.
``study``
    The default of ``mobench run``: up to 50 rounds x 20 inferences, stopping
    by precision: once the 95 % CI of the headline is within +-2 %
    (``target_ci_pct``), after at least ``min_time_s`` (1 s) of timing and 40
    samples, or at ``time_budget_s`` (10 s) of timing whatever the CI (the run
    then says it missed its target); headline = robust (lower quartile of the
    per-round medians: see ``core.statistics``). A steady model stops in about
    a second, a noisy one gets up to ten.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from .errors import UsageError
from .registry import Registry

HEADLINES = ("min", "median", "trimmed_mean", "mean", "robust")
#: Per-run statistics a latency can be read as (``--stat``): each is the stats column ``<name>_ms``.
STATISTICS = ("median", "min", "mean", "trimmed_mean", "p90", "robust")
INPUT_KINDS = ("tensor", "image")


@dataclass(frozen=True)
class BenchConfig:
    """How one model is timed (see the module docstring for the named protocols).

    * ``warmup``: discarded inferences at the start of every round. The first
      inference after a (re)load is always timed separately as
      ``first_inference_ms`` and counts as the first warm-up.
    * ``rounds`` x ``inferences``: the timed samples (all kept raw).
    * ``trim``: per round, this many lowest and highest samples are dropped for
      the trimmed mean and low/high (ModelBench's statistic).
    * ``reload_per_round``: re-create the session/model every round.
    * ``seed``: seeds the input tensor and the bootstrap.
    * ``time_budget_s`` / ``min_inferences``: stop after the last round that
      took the timed phase past the budget, once at least ``min_inferences``
      samples are in (``None`` = run every round). With a precision target
      this is the maximum timing time.
    * ``target_ci_pct`` / ``min_time_s``: stop by precision: once the 95 % CI
      of the headline is within +-``target_ci_pct`` per cent, but not before
      ``min_time_s`` of timing (``core.statistics.stop_reason``). ``None`` =
      no target.
    * ``headline``: the statistic tables lead with (min, median, trimmed_mean, mean,
      robust = lower quartile of the per-round medians, see ``core.statistics``).
    """

    name: str = "custom"
    warmup: int = 1
    rounds: int = 3
    inferences: int = 10
    trim: int = 0
    reload_per_round: bool = False
    seed: int = 0
    input_kind: str = "tensor"
    time_budget_s: float | None = None
    min_inferences: int = 0
    headline: str = "median"
    target_ci_pct: float | None = None
    min_time_s: float = 0.0

    def __post_init__(self) -> None:
        problems = []
        if self.warmup < 0:
            problems.append("warmup must be >= 0")
        if self.rounds < 1:
            problems.append("rounds must be >= 1")
        if self.inferences < 1:
            problems.append("inferences must be >= 1")
        if self.trim < 0 or 2 * self.trim >= self.inferences:
            problems.append("trim must be >= 0 and leave samples (2 * trim < inferences)")
        if self.time_budget_s is not None and self.time_budget_s <= 0:
            problems.append("time_budget_s must be > 0 or None")
        if self.target_ci_pct is not None and not 0 < self.target_ci_pct < 100:
            problems.append("target_ci_pct must be a percentage between 0 and 100 (exclusive) or None")
        if self.min_time_s < 0:
            problems.append("min_time_s must be >= 0")
        if self.time_budget_s is not None and self.min_time_s > self.time_budget_s:
            problems.append("min_time_s must not exceed time_budget_s (the maximum)")
        if self.min_inferences < 0:
            problems.append("min_inferences must be >= 0")
        if self.headline not in HEADLINES:
            problems.append(f"headline must be one of {', '.join(HEADLINES)}")
        if self.input_kind not in INPUT_KINDS:
            problems.append(f"input_kind must be one of {', '.join(INPUT_KINDS)}")
        if problems:
            raise UsageError(f"bad benchmark config {self.name!r}: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BenchConfig:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def with_(self, **changes: Any) -> BenchConfig:
        """A copy with ``changes``; the name gets a ``+custom`` suffix so stored runs stay honest."""
        if not changes:
            return self
        name = changes.pop("name", None) or (self.name if self.name.endswith("+custom") else f"{self.name}+custom")
        return replace(self, name=name, **changes)


#: Named timing protocols; other distributions add theirs through the
#: ``mobench.protocols`` entry-point group (``name = "package.module:CONFIG"``).
PROTOCOLS: Registry[BenchConfig] = Registry("protocol", group="mobench.protocols")
PROTOCOLS.register(
    "modelbench",
    BenchConfig(
        name="modelbench",
        warmup=1,
        rounds=20,
        inferences=50,
        trim=10,
        reload_per_round=True,
        headline="trimmed_mean",
    ),
)
PROTOCOLS.register(
    "paper",
    BenchConfig(
        name="paper",
        warmup=1,
        rounds=1,
        inferences=1000,
        trim=0,
        reload_per_round=False,
        headline="min",
    ),
)
PROTOCOLS.register(
    "quick",
    BenchConfig(
        name="quick",
        warmup=1,
        rounds=3,
        inferences=10,
        trim=1,
        reload_per_round=False,
        headline="median",
    ),
)
PROTOCOLS.register(
    "study",
    BenchConfig(
        name="study",
        warmup=1,
        rounds=50,
        inferences=20,
        trim=2,
        reload_per_round=False,
        time_budget_s=10.0,
        min_inferences=40,
        headline="robust",
        target_ci_pct=2.0,
        min_time_s=1.0,
    ),
)


def protocol(name: str) -> BenchConfig:
    """The named protocol's :class:`BenchConfig` (``RegistryError`` lists the names)."""
    return PROTOCOLS.get(name)


def customize(config: BenchConfig, *, input_kind: str | None = None, **overrides: Any) -> BenchConfig:
    """``config`` with the user's overrides (``None`` values mean "keep the protocol's").

    Overrides rename the config ``NAME+custom`` (:meth:`BenchConfig.with_`), so
    stored runs say they did not follow the named protocol. When ``inferences``
    is lowered below what the protocol's ``trim`` needs and ``trim`` is not
    given, trim is scaled with the inferences (ModelBench's 10 of 50 becomes 1
    of 5) instead of failing: the protocol's intent, trimmed to what fits.
    ``input_kind`` is how the input is fed, not part of the protocol, so it
    does not rename the config.
    """
    changes = {k: v for k, v in overrides.items() if v is not None}
    inferences = changes.get("inferences")
    if inferences is not None and "trim" not in changes and 2 * config.trim >= inferences:
        scaled = round(config.trim * inferences / config.inferences)
        changes["trim"] = max(0, min(config.trim, (inferences - 1) // 2, scaled))
    out = config.with_(**changes) if changes else config
    return replace(out, input_kind=input_kind) if input_kind is not None else out


def config_key(config: BenchConfig, **extra: Any) -> str:
    """A stable key for "the same measurement": the config plus device options.

    Two runs with equal keys on the same model, device and artifact are the same
    experiment, and a sweep reuses the stored one unless ``force``.
    """
    payload = {"config": config.to_dict(), **{k: extra[k] for k in sorted(extra)}}
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
