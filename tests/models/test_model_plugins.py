"""Plug-in models: an installed distribution with a ``mobench.models`` entry point joins the zoo.

The distribution is real metadata (a ``.dist-info`` folder on ``sys.path`` that
``importlib.metadata`` reads), exercised through the ``mobench`` command in a
fresh process, as a user's installed package would be.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mobench

PLUGIN = textwrap.dedent("""
    import torch.nn as nn


    def plug_tiny(*, inference_mode=False, **kwargs):
        return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                             nn.Linear(8, 10))


    plug_tiny.model_info = {"family": "plug", "description": "a plug-in test network"}

    PLUGSET = ["plug_tiny", "mobileone_s0"]
""")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    (root / "mobench_plugdemo").mkdir()
    (root / "mobench_plugdemo" / "__init__.py").write_text(PLUGIN)
    info = root / "mobench_plugdemo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mobench-plugdemo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[mobench.models]\nplug_tiny = mobench_plugdemo:plug_tiny\n\n"
        "[mobench.presets]\nplugset = mobench_plugdemo:PLUGSET\n"
    )
    return root


def mobench_cli(site: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    repo = Path(mobench.__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(repo)]),
        "MOBENCH_CACHE_DIR": str(tmp_path / "cache"),
        "MOBENCH_RESULTS": str(tmp_path / "results"),
    }
    return subprocess.run(
        [sys.executable, "-m", "mobench", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
        check=False,
    )


def test_plugin_model_is_listed_counted_and_in_presets(site, tmp_path):
    p = mobench_cli(site, tmp_path, "models", "--pattern", "plug*", "--json")
    assert p.returncode == 0, p.stderr
    (row,) = json.loads(p.stdout)
    assert row["name"] == "plug_tiny" and row["family"] == "plug"
    assert row["source"] == "entry point mobench_plugdemo:plug_tiny"
    assert row["params_m"] == pytest.approx((8 * 27 + 8 + 80 + 10) / 1e6, abs=1e-3)
    p = mobench_cli(site, tmp_path, "models", "--preset", "plugset", "--json", "--no-counts")
    assert p.returncode == 0, p.stderr
    assert [r["name"] for r in json.loads(p.stdout)] == ["plug_tiny", "mobileone_s0"]


def test_plugin_model_benches(site, tmp_path):
    db = tmp_path / "r.sqlite"
    p = mobench_cli(
        site,
        tmp_path,
        "bench",
        "-m",
        "plug_tiny",
        "--protocol",
        "quick",
        "--rounds",
        "1",
        "--inferences",
        "5",
        "--warmup",
        "1",
        "--db",
        str(db),
    )
    assert p.returncode == 0, p.stderr
    with sqlite3.connect(db) as con:
        assert con.execute("select model, status from runs").fetchall() == [("plug_tiny", "ok")]


def test_without_the_distribution_the_name_is_unknown(tmp_path):
    p = mobench_cli(tmp_path / "empty", tmp_path, "models", "show", "plug_tiny", "--no-counts")
    assert p.returncode != 0 and "unknown model 'plug_tiny'" in p.stderr
