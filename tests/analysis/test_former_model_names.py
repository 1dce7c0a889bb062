"""Runs stored under a model's former name (the probe family was ``study_*``) read as the current name."""

from __future__ import annotations

from mobench.analysis.tables import latest_per_model, load_runs
from mobench.core.records import RunRecord
from mobench.results import Store, load


def _run(model: str, ms: float) -> RunRecord:
    return RunRecord(
        model=model,
        device="cpu",
        artifact_format="onnx",
        recipe="fp32",
        reparameterized=True,
        protocol="quick",
        config={"name": "quick", "warmup": 1, "rounds": 1, "inferences": 3, "trim": 0, "headline": "median"},
        provenance={"host": "testhost"},
        device_info={"threads": 1, "runtime": "onnxruntime", "ort_version": "1.23.2"},
        samples_ms=[[ms, ms, ms]],
    )


def test_runs_under_a_former_name_meet_the_current_name(tmp_path):
    db = tmp_path / "m.sqlite"
    with Store(db) as store:
        store.add_run(_run("study_act_relu", 2.0))  # stored before the rename
        store.add_run(_run("probe_act_relu", 3.0))
        store.add_run(_run("mobileone_s0", 4.0))
    assert sorted(load(db)["model"]) == ["mobileone_s0", "probe_act_relu", "study_act_relu"]  # stored as it was
    runs = load_runs(db)
    assert sorted(runs["model"]) == ["mobileone_s0", "probe_act_relu", "probe_act_relu"]
    latest = latest_per_model(runs)
    assert sorted(latest["model"]) == ["mobileone_s0", "probe_act_relu"]  # one model, its newest run
    assert float(latest.set_index("model").at["probe_act_relu", "median_ms"]) == 3.0
