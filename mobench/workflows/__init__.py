"""Workflows: the jobs that combine models, exporters, devices, the store and analysis.

Public API::

    run_sweep(models, device, config, *, db, export_config, force, device_options, progress,
              schedule="interleaved", memory_budget_mb=None, also_unfused=())
    run_main_job(preset=..., models=..., device=..., out=..., progress=..., schedule=...)   # `mobench run`
    run_compare(a, b, *, device=None, config=None, db=None)                     # `mobench compare`

Progress goes to a :class:`mobench.core.progress.Reporter`; nothing here renders.
"""

from __future__ import annotations

from .compare import CompareResult, run_compare
from .main_job import MainJobResult, run_main_job
from .sweep import ArtifactIntegrityError, run_sweep

__all__ = ["ArtifactIntegrityError", "CompareResult", "MainJobResult", "run_compare", "run_main_job", "run_sweep"]
