"""analysis -> plots -> report on a small synthetic store (no model is built or timed)."""

from __future__ import annotations

import pytest
from analysis_fakes import CPU_TARGET, FAKE_CPU_MS, UNFUSED_S0_MS

MODELS = list(FAKE_CPU_MS)


@pytest.fixture()
def analysed(fake_store, fake_metrics):
    from mobench.analysis.analyze import analyze
    from mobench.results import load

    runs = load(fake_store)
    # restricting the models keeps the reference panels small, so plotting takes seconds
    res = analyze(["cpu", "paper:cpu"], "macs,params", runs=runs, counted=fake_metrics, models=MODELS, n_resamples=200)
    return res, runs


def test_analysis_of_store(analysed, fake_metrics):
    res, runs = analysed
    assert res.devices == [CPU_TARGET, "paper:cpu"]  # the backend name selects its targets
    cpu = {r.metric: r for r in res.rows if r.device == CPU_TARGET}
    assert cpu["macs"].n == len(MODELS) and cpu["macs"].source == "counted"
    # failed run and the unfused run are not latencies of the deployed model
    assert "repvgg_a0" not in res.latency[CPU_TARGET].dropna().index
    assert res.latency.at["mobileone_s0", CPU_TARGET] == pytest.approx(FAKE_CPU_MS["mobileone_s0"], rel=0.05)
    ref = {r.metric: r for r in res.rows if r.device == "paper:cpu"}
    assert ref["macs"].source == "paper" and ref["macs"].n == len(MODELS)
    assert [a.device_b for a in res.agreements] == ["paper:cpu", "paper:iphone12"]
    assert all(a.n == len(MODELS) for a in res.agreements)
    frame = res.to_frame()
    assert set(frame["kind"]) == {"measured", "reference"}


def test_fused_table(fake_store):
    from mobench.analysis.plots import fused_table
    from mobench.results import load

    df = fused_table(load(fake_store))
    assert list(df["model"]) == ["mobileone_s0"]
    assert df["speedup"].iloc[0] == pytest.approx(UNFUSED_S0_MS / FAKE_CPU_MS["mobileone_s0"], rel=0.1)


def test_pareto_front_hand_example():
    import pandas as pd

    from mobench.analysis.plots import pareto_front

    lat = pd.Series({"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0})
    acc = pd.Series({"a": 70.0, "b": 69.0, "c": 75.0, "d": 74.0})
    assert pareto_front(lat, acc) == ["a", "c"]


def test_plots_and_report(analysed, fake_store, tmp_path):
    from mobench.analysis.plots import KINDS, PlotData, make_plots
    from mobench.analysis.report import write_report
    from mobench.results import load_samples

    res, runs = analysed
    written, skipped = make_plots(PlotData(res, runs, load_samples(fake_store)), tmp_path / "plots")
    assert skipped == {}
    assert set(written) == {
        "latency_vs_macs",
        "latency_vs_params",
        "top1_vs_latency",
        "measured_vs_paper",
        "latency_distribution",
        "latency_drift",
        "fused_vs_unfused",
    }
    assert len(KINDS) == 6
    for png, svg in written.values():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
        text = svg.read_text()
        assert text.lstrip().startswith("<?xml") and "</svg>" in text
    # labels and units are in the figures (svg keeps text as text)
    macs_svg = written["latency_vs_macs"][1].read_text()
    assert f"{CPU_TARGET} (measured)" in macs_svg and "(reference, published)" in macs_svg
    assert "Spearman rho" in macs_svg and "mobileone_s0" in macs_svg and "MACs" in macs_svg

    path = write_report(tmp_path / "report.html", res, runs, written, title="t")
    html = path.read_text()
    assert html.count("data:image/png;base64,") == len(written)
    assert "Fake CPU" in html  # environment from provenance
    assert "quick" in html  # protocol named
    assert "converter says no" in html  # failed run listed with its error
    assert "reproduced" not in html or "paper:iphone12" in html
    assert f"mobileone_s0</td><td>{CPU_TARGET}</td>" in html  # latency table row, per target
    assert "<script" not in html and "http://" not in html  # self-contained, nothing fetched


def test_plot_kinds_are_validated():
    from mobench.analysis.plots import parse_kinds
    from mobench.core.errors import UsageError

    assert parse_kinds("pareto,drift") == ["pareto", "drift"]
    with pytest.raises(UsageError, match="unknown plot kind 'pie'"):
        parse_kinds(["pie"])
