"""The leaf of mobench: errors, run records, timing configs, statistics and the registry idiom.

Nothing here imports another mobench package, so every layer above
(models -> exporters, results -> devices, analysis -> workflows -> cli) can use it.
Statistics (numpy, scipy) live in :mod:`mobench.core.statistics` and are not
imported here, so ``mobench --help`` stays light.
"""

from __future__ import annotations

from .configs import PROTOCOLS, BenchConfig, config_key, protocol
from .errors import (
    ArtifactExistsError,
    CheckpointError,
    DeviceError,
    ExportError,
    MobenchError,
    ModelNotFoundError,
    RegistryError,
    SchemaError,
    StoreError,
    UsageError,
    one_line,
)
from .records import RunRecord
from .registry import Registry

__all__ = [
    "PROTOCOLS",
    "ArtifactExistsError",
    "BenchConfig",
    "CheckpointError",
    "DeviceError",
    "ExportError",
    "MobenchError",
    "ModelNotFoundError",
    "Registry",
    "RegistryError",
    "RunRecord",
    "SchemaError",
    "StoreError",
    "UsageError",
    "config_key",
    "one_line",
    "protocol",
]
