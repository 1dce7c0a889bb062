"""Fixtures of the analysis tests (the fakes live in analysis_fakes.py)."""

from __future__ import annotations

import pytest
from analysis_fakes import FAKE_METRICS, make_store


@pytest.fixture()
def fake_store(tmp_path):
    return make_store(tmp_path / "mobench.sqlite")


@pytest.fixture()
def fake_metrics():
    return FAKE_METRICS.copy()
