"""The order in which a sweep times the rounds of its models.

A shared machine has slow periods lasting seconds to minutes (other jobs, a
thermal limit). Timing each model in one contiguous block lets a slow period
land whole on the few models timed during it; interleaving rounds of all loaded
models spreads it over every model, so a robust per-model statistic (the lower
quartile of round medians, ``mobench.core.statistics``) can see past it.

Schedules:

``interleaved`` (the default)
    Every loaded model runs one round per cycle, in an order shuffled afresh
    each cycle by a generator seeded with the config's seed (so the order is
    reproducible and stored, but no model always follows the same other one).
``contiguous``
    One model at a time, all its rounds in a row (the classic benchmark loop).
``abab``
    Strict alternation in the given order, for ``mobench compare``: round i of
    A and round i of B are neighbours in time, so their ratio sees the same
    machine. When one model is finished (rounds or time budget), all are, so
    every round has its partner.
``abba``
    Counterbalanced pairs, what ``mobench compare`` uses: A B, then B A, then A
    B ... so each side goes first in half of the pairs and an effect of going
    first or second (a runtime's threads still spinning from the side just
    timed, a cache the other side just filled) cancels within every AB + BA
    quartet instead of biasing the ratio. Pairs stay pairs as in ``abab``.

Models that do not fit in the memory budget together are timed in groups, one
group after another (:func:`memory_groups`); a group is loaded, interleaved and
unloaded before the next.
"""

from __future__ import annotations

import os
import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import MobenchError, UsageError, one_line

SCHEDULES = ("interleaved", "contiguous", "abab", "abba")
PAIRED = ("abab", "abba")
DEFAULT_SCHEDULE = "interleaved"

#: Resident memory assumed for a model whose artifact size is unknown (eager torch):
#: the largest model of the paper's set, RepVGG-B1 (51.8 M params, ~210 MB fp32 weights),
#: plus its activations, rounded up.
UNKNOWN_MODEL_MB = 300.0
#: A loaded ONNX Runtime / Core ML session holds the weights, possibly a pre-packed copy,
#: and an arena for activations: assumed 2.5x the file size + 20 MB, on the safe side.
#: Measured with ONNX Runtime 1.32 on Linux (peak RSS growth during the load): MobileOne-S0
#: 8 MB file -> 8 MB, S1 19 MB -> 45 MB, MobileNetV3-small 10 MB -> 12 MB, unfused S0 21 MB
#: -> 31 MB; every run stores its ``load_peak_rss_delta_mb`` to check against.
ARTIFACT_FACTOR = 2.5
ARTIFACT_OVERHEAD_MB = 20.0


def check_schedule(name: str) -> str:
    if name not in SCHEDULES:
        raise UsageError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    return name


def _size_mb(path: str | os.PathLike) -> float:
    p = Path(path)
    if p.is_file():
        return p.stat().st_size / 2**20
    if p.is_dir():
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) / 2**20
    return 0.0


def estimate_mb(artifact: Any) -> float:
    """Resident memory a loaded model is expected to take (MB), from its artifact's size on disk."""
    path = getattr(artifact, "path", None)
    if not path:
        return UNKNOWN_MODEL_MB
    return ARTIFACT_FACTOR * _size_mb(path) + ARTIFACT_OVERHEAD_MB


def default_budget_mb() -> float:
    """Half of the memory available now (psutil), or ``MOBENCH_MEMORY_BUDGET_MB``."""
    env = os.environ.get("MOBENCH_MEMORY_BUDGET_MB")
    if env:
        try:
            val = float(env)
        except ValueError:
            raise UsageError(f"MOBENCH_MEMORY_BUDGET_MB must be a number of MB, not {env!r}") from None
        if val <= 0:
            raise UsageError("MOBENCH_MEMORY_BUDGET_MB must be > 0")
        return val
    import psutil

    return psutil.virtual_memory().available / 2**20 / 2


def memory_groups(estimates: list[float], budget_mb: float) -> list[list[int]]:
    """Consecutive groups of indices whose estimates fit the budget (a model alone may exceed it)."""
    groups: list[list[int]] = []
    cur: list[int] = []
    used = 0.0
    for i, est in enumerate(estimates):
        if cur and used + est > budget_mb:
            groups.append(cur)
            cur, used = [], 0.0
        cur.append(i)
        used += est
    if cur:
        groups.append(cur)
    return groups


@dataclass
class ScheduleResult:
    schedule: str
    seed: int
    round_order: list[int] = field(default_factory=list)  # index of the session of every round, in order
    groups: list[list[int]] = field(default_factory=list)
    errors: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # index -> (message, traceback)


def run_schedule(
    sessions: list[Any],
    schedule: str = DEFAULT_SCHEDULE,
    *,
    seed: int = 0,
    groups: list[list[int]] | None = None,
    on_round: Callable[[int], None] | None = None,
    on_done: Callable[[int], None] | None = None,
    round_order: list[int] | None = None,
    errors: dict[int, tuple[str, str | None]] | None = None,
    stop: Callable[[], bool] | None = None,
    pause_s: float = 0.0,
) -> ScheduleResult:
    """Run every session's rounds in the order ``schedule`` says (see the module docstring).

    ``sessions`` have ``round()``, ``done`` and ``close()`` (a
    :class:`~mobench.devices.base.TimingSession`). A session whose round raises
    is closed and left out from then on; its error is in ``result.errors``.
    ``on_round(i)`` is called after every round of session ``i``, ``on_done(i)``
    once when session ``i`` is finished (or failed). ``round_order`` and ``errors``,
    when given, are filled as the rounds run (so a caller sees them even if the
    schedule is interrupted) and become the result's. ``stop()``, when given, is
    asked after every cycle of a paired schedule and ends all sessions when it says
    so (``compare`` stops there once its ratio is precise enough). ``pause_s``:
    seconds of sleep between two rounds of different sessions, outside any timed
    phase, so a runtime's worker threads still spinning after one side's round
    have gone idle before the other side's round starts.
    """
    check_schedule(schedule)
    groups = groups or [list(range(len(sessions)))]
    res = ScheduleResult(schedule=schedule, seed=seed, groups=groups)
    if round_order is not None:
        res.round_order = round_order
    if errors is not None:
        res.errors = errors
    rng = random.Random(seed)

    def step(i: int) -> None:
        s = sessions[i]
        try:
            s.round()
        except Exception as exc:
            tb = None if isinstance(exc, MobenchError) else traceback.format_exc(limit=8)
            res.errors[i] = (one_line(exc), tb)
            s.done = True
        res.round_order.append(i)
        if on_round is not None:
            on_round(i)

    for group in groups:
        try:
            if schedule == "contiguous":
                for i in group:
                    while not sessions[i].done:
                        step(i)
                    sessions[i].close()
                    if on_done is not None:
                        on_done(i)
                continue
            active = [i for i in group if not sessions[i].done]
            cycles = 0
            while active:
                cycle = list(active)
                if schedule == "interleaved":
                    rng.shuffle(cycle)
                elif schedule == "abba" and cycles % 2:
                    cycle.reverse()
                cycles += 1
                for i in cycle:
                    if pause_s and res.round_order and res.round_order[-1] != i:
                        time.sleep(pause_s)
                    step(i)
                paired = schedule in PAIRED
                if paired and (any(sessions[i].done for i in active) or (stop is not None and stop())):
                    for i in active:  # pairs stay pairs: when one side is finished, so are the others
                        sessions[i].done = True
                for i in [i for i in active if sessions[i].done]:
                    sessions[i].close()
                    if on_done is not None:
                        on_done(i)
                active = [i for i in active if not sessions[i].done]
        finally:
            for i in group:  # an interrupt must not leave models loaded
                sessions[i].close()
    return res
