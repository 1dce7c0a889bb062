"""Study figures and report sections from stored rows (no timing needed)."""

from __future__ import annotations

import pytest

from mobench.analysis.profiles_view import plot_study, stored_sections, study_section

ROWS = {
    "activations": [
        {"label": "ReLU", "activation": "relu", "latency_ms": 1.0, "paper_ms": 1.53, "device": "cpu"},
        {"label": "GELU", "activation": "gelu", "latency_ms": 1.2, "paper_ms": 1.63, "device": "cpu"},
    ],
    "blocks": [
        {"label": "plain (ReLU)", "memory_mb": 10.0, "latency_ms": 1.0},
        {"label": "skip connections", "memory_mb": 12.5, "latency_ms": 1.1},
    ],
    "branches": [
        {"k": k, "form": f, "latency_ms": (0.2 * k if f == "unfused" else 0.2)}
        for k in (1, 2, 4, 8)
        for f in ("unfused", "fused")
    ],
}


@pytest.mark.parametrize("study", sorted(ROWS))
def test_study_figure_and_section(tmp_path, study):
    paths = plot_study(study, ROWS[study], tmp_path)
    assert sorted(p.name for p in paths) == [f"study_{study}.png", f"study_{study}.svg"]
    svg = (tmp_path / f"study_{study}.svg").read_text()
    html = study_section(study, ROWS[study], "note <x>")
    assert "note &lt;x&gt;" in html
    if study == "blocks":
        assert "memory traffic" in svg and "12.500" in html
    if study == "branches":
        assert "unfused" in svg and "fused" in svg


def test_unknown_study_plot():
    from mobench.core.errors import UsageError

    with pytest.raises(UsageError, match="unknown study"):
        plot_study("nope", [], ".")


def test_stored_sections_reach_the_report(fake_store, fake_metrics):
    from mobench.analysis.analyze import analyze
    from mobench.analysis.report import render_report
    from mobench.core.profiles import OpTime, Profile
    from mobench.results import Store, load
    from mobench.results.profiles import add_profile, add_study

    with Store(fake_store) as store:
        assert stored_sections(store) == []
        add_profile(
            store,
            Profile(
                "s0",
                "cpu",
                "onnxruntime-profiler",
                runs=3,
                profiled_total_ms=2.0,
                ops=[OpTime("/stage1/c/Conv", "FusedConv", 1.8, "stage1")],
            ),
        )
        add_study(store, "blocks", "cpu", 64, ROWS["blocks"])
        secs = stored_sections(store)
    html = "\n".join(secs)
    assert "Profiles: where the time goes" in html and "Study: blocks" in html and "90.0" in html
    runs = load(fake_store)
    res = analyze(
        ["cpu"], "macs", runs=runs, counted=fake_metrics, models=["mobileone_s0", "mobilenet_v1"], n_resamples=50
    )
    page = render_report(res, runs, {}, extra_sections=secs)
    assert page.index("Study: blocks") < page.index("<h2>Plots</h2>")
