"""Shared fixtures: an isolated results folder and cache, markers' skip logic."""

from __future__ import annotations

import os
import platform

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Keep the MAC cache out of the user's home unless CI points it somewhere."""
    if "MOBENCH_CACHE_DIR" not in os.environ:
        os.environ["MOBENCH_CACHE_DIR"] = str(tmp_path_factory.mktemp("mobench-cache"))
    os.environ.setdefault("MPLBACKEND", "Agg")
    yield


def pytest_collection_modifyitems(config, items):
    if platform.system() != "Darwin":
        skip = pytest.mark.skip(reason="Core ML prediction needs macOS (coremltools cannot predict on Linux)")
        for item in items:
            if "macos" in item.keywords:
                item.add_marker(skip)
