"""Fixtures for the iPhone host side: golden files, a small plan folder, the stand-in app, the CLI.

The fast plan folder holds a tiny real ONNX model (``tiny_onnx`` from
tests/devices/conftest.py) for the stand-in to time, plus an opaque
``.mlpackage`` payload: the host never opens a Core ML package (it hashes,
pushes and serves it), and converting one costs tens of seconds here. The
``slow`` end-to-end test uses the real `mobench ios plan` exports instead.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

# iphone_helpers is imported by name; this also works under --import-mode=importlib.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from iphone_helpers import make_plan_dir, run_cli  # noqa: E402

from mobench.devices.iphone.constants import EXAMPLES_DIR


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path, monkeypatch):
    """Reports and default stores of these tests go to a temporary folder, never ./results."""
    monkeypatch.setenv("MOBENCH_RESULTS", str(tmp_path / "results"))


@pytest.fixture
def cli(capsys):
    """``cli(*args) -> (exit code, stdout, stderr)`` through the real entry point."""
    return lambda *args: run_cli(list(args), capsys)


@pytest.fixture
def golden_plan() -> dict:
    return json.loads((EXAMPLES_DIR / "plan.json").read_text())


@pytest.fixture
def golden_report() -> dict:
    return json.loads((EXAMPLES_DIR / "report.json").read_text())


@pytest.fixture
def plan_dir(tmp_path, tiny_onnx) -> Path:
    return make_plan_dir(tmp_path, tiny_onnx.path)


@pytest.fixture
def mutate():
    def _m(obj, fn):
        new = copy.deepcopy(obj)
        fn(new)
        return new

    return _m
