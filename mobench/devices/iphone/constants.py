"""Names shared with the harness app (see PROTOCOL.md; the Swift side uses the same values)."""

from __future__ import annotations

from pathlib import Path

BUNDLE_ID = "org.mobench.harness"
BUNDLE_ID_ENV = "MOBENCH_IOS_BUNDLE_ID"   # users who re-sign the app under their own team change the id


def default_bundle_id() -> str:
    """``$MOBENCH_IOS_BUNDLE_ID`` or ``org.mobench.harness``."""
    import os

    return os.environ.get(BUNDLE_ID_ENV) or BUNDLE_ID
SCHEMA_VERSION = 1
PROTOCOL_VERSION = 1

PLAN_FILE = "plan.json"
REPORT_FILE = "report.json"
PROGRESS_FILE = "progress.json"

# Launch arguments the app understands.
ARG_PLAN = "--plan"
ARG_REPORT = "--report"
ARG_SERVER = "--server"
ARG_TOKEN = "--token"
ARG_AUTOSTART = "--autostart"

COMPUTE_UNITS = ("all", "cpuOnly", "cpuAndGPU", "cpuAndNeuralEngine")
# What users may type for --compute-units (case-insensitive) -> the plan's value.
COMPUTE_UNIT_ALIASES = {
    "all": "all",
    "cpu": "cpuOnly", "cpuonly": "cpuOnly", "cpu_only": "cpuOnly",
    "gpu": "cpuAndGPU", "cpuandgpu": "cpuAndGPU", "cpu_and_gpu": "cpuAndGPU",
    "ane": "cpuAndNeuralEngine", "ne": "cpuAndNeuralEngine",
    "cpuandneuralengine": "cpuAndNeuralEngine", "cpu_and_neural_engine": "cpuAndNeuralEngine",
}

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
EXAMPLES_DIR = SCHEMA_DIR / "examples"

# Network mode.
DEFAULT_PORT = 8765
MAX_REPORT_BYTES = 32 * 1024 * 1024     # 1000 rounds x 100 inferences fits easily
STDOUT_LINE_KEY = "mobench_run"
