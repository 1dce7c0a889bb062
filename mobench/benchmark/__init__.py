"""The measuring core: timing protocols, statistics and sweeps.

Public API::

    BenchConfig, PROTOCOLS, protocol(name) -> BenchConfig   # modelbench, paper, quick, study
    compute_stats(samples_ms, config) -> dict               # see mobench.benchmark.stats
    run_sweep(models, device, config, *, db, export_config, force, device_options, progress)
    RunRecord                                               # what devices produce, the store keeps
"""

from __future__ import annotations

from .config import PROTOCOLS, BenchConfig, config_key, protocol
from .record import RunRecord
from .stats import STAT_KEYS, compute_stats


def run_sweep(*args, **kwargs):  # imported lazily: pulls in the model zoo and the store
    from .sweep import run_sweep as _run_sweep

    return _run_sweep(*args, **kwargs)


run_sweep.__doc__ = "Export, time and store every model; see :func:`mobench.benchmark.sweep.run_sweep`."

__all__ = ["BenchConfig", "PROTOCOLS", "RunRecord", "STAT_KEYS", "compute_stats", "config_key", "protocol", "run_sweep"]
