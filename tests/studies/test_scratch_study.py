"""A new study is one file and one registration: nothing else in mobench names it.

The scratch study below lives in a temporary folder outside the package and is
registered by one entry-point line (``[mobench.studies]`` in its distribution's
``entry_points.txt``), the way another package adds a study. ``mobench study --help``,
``mobench study scratch`` (table, JSON, figure) and ``mobench report`` (analysis, the
stored study's section and figure) pick it up. Every list of studies in ``--help`` is
compared with the registry.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mobench.studies import STUDIES

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "timm", "onnxruntime", "coremltools", "executorch", "matplotlib")

SCRATCH = '''"""A scratch study: two probe CNNs, one file."""

from mobench.studies import Column, Network, Study


class ScratchStudy(Study):
    title = "two probe CNNs side by side"
    citation = "a test plug-in, no paper"
    columns = (
        Column("label", "network", text=True),
        Column("latency_ms", "measured ms"),
        Column("params_m", "params M"),
    )

    def networks(self):
        return [Network("relu", "probe_act_relu"), Network("gelu", "probe_act_gelu")]

    def draw(self, rows):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        ax.bar([r["label"] for r in rows], [r["latency_ms"] or 0 for r in rows])
        ax.set_ylabel("latency (ms)")
        return fig
'''


@pytest.fixture(scope="module")
def plugin(tmp_path_factory) -> Path:
    """A folder holding the study's one file and the one line that registers it (an entry point)."""
    d = tmp_path_factory.mktemp("plugin")
    (d / "scratch_mobench_study.py").write_text(SCRATCH)
    info = d / "scratch_mobench_study-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: scratch-mobench-study\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[mobench.studies]\nscratch = scratch_mobench_study:ScratchStudy\n")
    return d


def _env(plugin: Path | None) -> dict[str, str]:
    env = dict(os.environ, COLUMNS="250", MPLBACKEND="Agg")
    paths = ([str(plugin)] if plugin else []) + [str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def _mobench(argv: list[str], plugin: Path | None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mobench", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(plugin),
        cwd=ROOT,
    )


def study_help(plugin: Path | None) -> tuple[str, list[str]]:
    """``mobench study --help`` in a fresh interpreter, and the heavy libraries it imported."""
    code = (
        "import sys, runpy\n"
        "sys.argv = ['mobench', 'study', '--help']\n"
        "try:\n"
        "    runpy.run_module('mobench', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('LOADED:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=_env(plugin), cwd=ROOT
    )
    assert "Usage" in out.stdout, out.stderr
    text, loaded = out.stdout.rsplit("LOADED:", 1)
    return text, [m for m in loaded.strip().split(",") if m]


def listed_studies(help_text: str) -> dict[str, list[str]]:
    """Every list of studies in the help: the "Studies:" paragraphs and the STUDY argument's help."""
    block = help_text.split("Studies:", 1)[1].split("A study names", 1)[0]
    paragraphs = re.findall(r"^[\s│]*([\w.-]+): ", block, flags=re.M)
    argument = re.search(r"The study: ([^.]+)\.", help_text)
    assert argument, help_text
    return {"paragraphs": paragraphs, "argument": [n.strip() for n in argument.group(1).split(",")]}


def test_study_help_lists_the_registry_and_stays_light():
    text, loaded = study_help(None)
    for where, names in listed_studies(text).items():
        assert names == STUDIES.names(), where
    assert loaded == [], f"mobench study --help imported {loaded}"


def test_scratch_study_is_picked_up_everywhere(plugin, tmp_path):
    # --help: listed with its title and citation, beside the built-in studies, without heavy imports
    text, loaded = study_help(plugin)
    for where, names in listed_studies(text).items():
        assert names == [*STUDIES.names(), "scratch"], where
    assert "scratch: two probe CNNs side by side (paper: a test plug-in, no paper)" in text
    assert loaded == [], f"mobench study --help imported {loaded}"

    # mobench study scratch: timed through the sweep, stored, printed, drawn
    db, plots = tmp_path / "m.sqlite", tmp_path / "plots"
    run = _mobench(
        ["study", "scratch", "--device", "cpu", "--threads", "1", "--resolution", "32", "--db", str(db)]
        + ["--exports", str(tmp_path / "exp"), "--plot", str(plots), "--json"],
        plugin,
    )
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["study"] == "scratch" and [r["label"] for r in doc["rows"]] == ["relu", "gelu"]
    assert all(r["status"] == "ok" and r["latency_ms"] > 0 and r["params_m"] > 0 for r in doc["rows"])
    assert "measured ms" in run.stderr and "paper: a test plug-in, no paper" in run.stderr
    assert (plots / "study_scratch.png").stat().st_size > 1000

    # mobench report: the analysis of the store, with the stored study's table and figure
    rep = _mobench(["report", "--db", str(db), "--out", str(tmp_path / "rep"), "--metric", "params"], plugin)
    assert rep.returncode == 0, rep.stderr
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "Study: scratch" in html and "two probe CNNs side by side" in html
    assert "<img alt='study scratch on cpu'" in html


def test_one_line_registration_in_process(plugin, monkeypatch, tmp_path, run_cli):
    """The other way to register: one ``STUDIES.register`` line (what mobench/studies/__init__.py holds).

    Once the plug-in is gone, its stored result still reads (as stored) and its name is unknown.
    """
    from mobench.results import Store
    from mobench.results.profiles import add_study
    from mobench.studies import get_study, stored_study_sections

    monkeypatch.syspath_prepend(str(plugin))
    STUDIES.register("scratch_inline", "scratch_mobench_study:ScratchStudy")
    try:
        study = get_study("scratch_inline")
        assert [r["model"] for r in study.plan()] == ["probe_act_relu", "probe_act_gelu"]
        with Store(tmp_path / "m.sqlite") as store:
            add_study(store, "scratch_inline", "cpu", 32, [dict(r, latency_ms=1.0) for r in study.plan()])
            html = "\n".join(stored_study_sections(store))
        assert "Study: scratch_inline" in html and "data:image/png;base64," in html
    finally:
        del STUDIES["scratch_inline"]
    with Store(tmp_path / "m.sqlite", readonly=True) as store:
        html = "\n".join(stored_study_sections(store))
    assert "Study: scratch_inline" in html and "no study plug-in named scratch_inline is registered here" in html
    assert "probe_act_gelu" in html
    code, _out, err = run_cli(["study", "scratch_inline", "--db", str(tmp_path / "m.sqlite")])
    assert code != 0 and "unknown study 'scratch_inline'" in err
