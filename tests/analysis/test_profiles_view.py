"""Profile and study report sections from stored rows (no timing needed)."""

from __future__ import annotations

from mobench.analysis.profiles_view import stored_sections
from mobench.studies import stored_study_sections

BLOCK_ROWS = [
    {"label": "plain (ReLU)", "memory_mb": 10.0, "latency_ms": 1.0},
    {"label": "skip connections", "memory_mb": 12.5, "latency_ms": 1.1},
]


def test_stored_sections_reach_the_report(fake_store, fake_metrics):
    from mobench.analysis.analyze import analyze
    from mobench.analysis.report import render_report
    from mobench.core.profiles import OpTime, Profile
    from mobench.results import Store, load
    from mobench.results.profiles import add_profile, add_study

    with Store(fake_store) as store:
        assert stored_sections(store) == [] and stored_study_sections(store) == []
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
        add_study(store, "blocks", "cpu", 64, BLOCK_ROWS)
        secs = stored_sections(store) + stored_study_sections(store)
    html = "\n".join(secs)
    assert "Profiles: where the time goes" in html and "Study: blocks" in html and "90.0" in html
    assert "12.500" in html and "data:image/png;base64," in html  # the study's table and its figure
    runs = load(fake_store)
    res = analyze(
        ["cpu"], "macs", runs=runs, counted=fake_metrics, models=["mobileone_s0", "mobilenet_v1"], n_resamples=50
    )
    page = render_report(res, runs, {}, extra_sections=secs)
    assert page.index("Study: blocks") < page.index("<h2>Plots</h2>")
