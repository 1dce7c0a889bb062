"""Shared fixtures: an isolated results folder and cache, markers' skip logic."""

from __future__ import annotations

import os
import platform
from types import SimpleNamespace

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Keep the MAC cache out of the user's home unless CI points it somewhere."""
    if "MOBENCH_CACHE_DIR" not in os.environ:
        os.environ["MOBENCH_CACHE_DIR"] = str(tmp_path_factory.mktemp("mobench-cache"))
    os.environ.setdefault("MPLBACKEND", "Agg")
    yield


@pytest.fixture
def run_cli(capsys):
    """``run_cli(argv) -> (exit code, stdout, stderr)`` through the console entry point ``mobench.cli.main``."""
    from mobench.cli import main

    def run(argv):
        code = 0
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code or 0
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def _store_problems(db) -> list[str]:
    """``Store.integrity_problems()`` of the database at ``db``, opened read-only (nothing created or migrated)."""
    from mobench.results import Store

    with Store(db, readonly=True) as st:
        return st.integrity_problems()


@pytest.fixture
def store_problems():
    """``store_problems(db) -> list[str]``: integrity problems of a results store (empty when whole)."""
    return _store_problems


def pytest_collection_modifyitems(config, items):
    if platform.system() != "Darwin":
        skip = pytest.mark.skip(reason="Core ML prediction needs macOS (coremltools cannot predict on Linux)")
        for item in items:
            if "macos" in item.keywords:
                item.add_marker(skip)


# A tiny ONNX model and a fake artifact for device, sweep and store tests (no exporter needed).
def make_tiny_onnx(path, size: int = 16):
    import torch

    from mobench.core.util import sha256_path

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(8, 10),
    ).eval()
    torch.onnx.export(
        model,
        (torch.randn(1, 3, size, size),),
        str(path),
        input_names=["input"],
        output_names=["logits"],
        dynamo=False,
        opset_version=17,
    )
    return SimpleNamespace(
        model="tiny",
        format="onnx",
        path=path,
        manifest_path=None,
        manifest={
            "sha256": sha256_path(path),
            "recipe": {"name": "fp32", "parity_rule": {}},
            "reparameterized": True,
            "input": {"name": "input", "shape": [1, 3, size, size], "dtype": "float32"},
            "output": {"name": "logits"},
        },
    )


@pytest.fixture(scope="session")
def tiny_onnx(tmp_path_factory):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_tiny_onnx(tmp_path_factory.mktemp("onnx") / "tiny.onnx")
