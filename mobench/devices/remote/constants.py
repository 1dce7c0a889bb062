"""Names of the remote-device harness contract (plan, progress, report, launch arguments).

See ``mobench/devices/iphone/PROTOCOL.md``; the Swift harness uses the same
values. The JSON Schemas stay in ``mobench/devices/iphone/schema/`` because the
Swift package and its Xcode project read them from there.
"""

from __future__ import annotations

from pathlib import Path

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

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "iphone" / "schema"
EXAMPLES_DIR = SCHEMA_DIR / "examples"

# Network mode.
DEFAULT_PORT = 8765
MAX_REPORT_BYTES = 32 * 1024 * 1024  # 1000 rounds x 100 inferences fits easily
STDOUT_LINE_KEY = "mobench_run"
