"""Fixtures for the Swift harness tests: the built ``mobench-harness`` executable, an isolated results folder.

The helpers here (swift_toolchain, harness_checks) and the iPhone host tests'
iphone_helpers are imported by name (tests/ has no packages); the folders go on
sys.path here so this also works under --import-mode=importlib.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

for _helpers in (Path(__file__).resolve().parent, Path(__file__).resolve().parents[1] / "devices" / "iphone"):
    if str(_helpers) not in sys.path:
        sys.path.insert(0, str(_helpers))

from swift_toolchain import build_harness, find_swift  # noqa: E402


@pytest.fixture(scope="session")
def harness_exe() -> Path:
    """``swift build`` of ios_harness/ once per test session; the mobench-harness executable.

    Skipped (with the reason) where no Swift toolchain exists, unless MOBENCH_REQUIRE_SWIFT is set.
    """
    swift = find_swift()
    if swift is None and os.environ.get("MOBENCH_REQUIRE_SWIFT"):
        pytest.fail("MOBENCH_REQUIRE_SWIFT is set but no Swift toolchain was found (PATH, /opt/swift/usr/bin/swift, SWIFT)")
    if swift is None:
        pytest.skip("no Swift toolchain (swift not on PATH, not at /opt/swift/usr/bin/swift, SWIFT not set): "
                    "the Swift harness cannot be built here")
    return build_harness(swift)


@pytest.fixture
def results_in_tmp(tmp_path, monkeypatch) -> Path:
    """Reports and default stores of a test go to a temporary folder, never ./results."""
    monkeypatch.setenv("MOBENCH_RESULTS", str(tmp_path / "results"))
    return tmp_path / "results"
