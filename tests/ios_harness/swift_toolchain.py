"""Where the Swift toolchain is, and the harness package built with it (for the end-to-end tests).

`swift` is looked up on PATH, then at /opt/swift/usr/bin/swift (where this
project's Linux machines install it, often off PATH); ``SWIFT`` overrides both.
``make test`` runs the same lookup (scripts/swift_test.sh).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[2] / "ios_harness"
FALLBACK = Path("/opt/swift/usr/bin/swift")
# The Core ML package the harness's own tests load (ios_harness/Tests/Fixtures).
FIXTURE_MODEL = HARNESS / "Tests" / "Fixtures" / "tiny_cnn.mlpackage"


def find_swift() -> str | None:
    given = os.environ.get("SWIFT")
    if given:
        return given if Path(given).is_file() else None
    found = shutil.which("swift")
    if found:
        return found
    return str(FALLBACK) if FALLBACK.is_file() else None


def build_harness(swift: str, timeout: float = 900.0) -> Path:
    """``swift build`` of ios_harness/ (incremental); the path of the mobench-harness executable.

    The same flags as scripts/swift_test.sh (``make test``), so the two share one build.
    """
    proc = subprocess.run([swift, "build", "--package-path", str(HARNESS), "--build-tests", "-Xswiftc", "-warnings-as-errors"],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"swift build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    bin_dir = subprocess.run([swift, "build", "--package-path", str(HARNESS), "--show-bin-path"],
                             capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    exe = Path(bin_dir) / "mobench-harness"
    if not exe.is_file():
        raise RuntimeError(f"swift build did not produce {exe}")
    return exe
