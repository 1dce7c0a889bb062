"""Workflows: the jobs that combine models, exporters, devices, the store and analysis.

Public API::

    run_sweep(models, device, config, *, db, export_config, force, device_options, progress)
    run_study(preset=..., models=..., device=..., out=..., progress=...)   # `mobench run`

Progress goes to a :class:`mobench.core.progress.Reporter`; nothing here renders.
"""

from __future__ import annotations

from .study import StudyResult, run_study
from .sweep import ArtifactIntegrityError, run_sweep

__all__ = ["ArtifactIntegrityError", "StudyResult", "run_study", "run_sweep"]
