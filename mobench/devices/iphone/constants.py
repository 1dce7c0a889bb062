"""The iPhone harness app: bundle id, Core ML compute units, and the harness contract's names.

The contract itself (file names, launch arguments, schema version) is the
remote-device harness's (:mod:`mobench.devices.remote.constants`), re-exported
here because the app is where those names are used.
"""

from __future__ import annotations

from ..remote import RemoteKind
from ..remote.constants import *  # noqa: F401,F403  (the app's plan/report/launch names)
from ..remote.constants import EXAMPLES_DIR, SCHEMA_DIR, SCHEMA_VERSION  # noqa: F401

BUNDLE_ID = "org.mobench.harness"
BUNDLE_ID_ENV = "MOBENCH_IOS_BUNDLE_ID"  # users who re-sign the app under their own team change the id


def default_bundle_id() -> str:
    """``$MOBENCH_IOS_BUNDLE_ID`` or ``org.mobench.harness``."""
    import os

    return os.environ.get(BUNDLE_ID_ENV) or BUNDLE_ID


COMPUTE_UNITS = ("all", "cpuOnly", "cpuAndGPU", "cpuAndNeuralEngine")
# What users may type for --compute-units (case-insensitive) -> the plan's value.
COMPUTE_UNIT_ALIASES = {
    "all": "all",
    "cpu": "cpuOnly",
    "cpuonly": "cpuOnly",
    "cpu_only": "cpuOnly",
    "gpu": "cpuAndGPU",
    "cpuandgpu": "cpuAndGPU",
    "cpu_and_gpu": "cpuAndGPU",
    "ane": "cpuAndNeuralEngine",
    "ne": "cpuAndNeuralEngine",
    "cpuandneuralengine": "cpuAndNeuralEngine",
    "cpu_and_neural_engine": "cpuAndNeuralEngine",
}

#: The iPhone as a kind of remote device: Core ML packages, MLComputeUnits, and the
#: engines a harness report may name (the Swift package's synthetic known-cost engine is
#: stored as its own device, so it never passes for an iPhone measurement).
IPHONE = RemoteKind(
    name="iphone",
    artifact_format="coreml",
    artifact_suffix=".mlpackage",
    compute_units=COMPUTE_UNITS,
    compute_unit_aliases=COMPUTE_UNIT_ALIASES,
    engines={
        "coreml": ("iphone", "Core ML"),
        "known-cost": ("harness-known-cost", "known-cost engine (synthetic, configured cost per call)"),
    },
    default_engine="coreml",
)
