"""run_sweep with the real exporter and ONNX Runtime: a tiny timm model by default, S0 when slow."""

import json

import pytest

from mobench.core import BenchConfig
from mobench.results import Store, load, load_samples
from mobench.workflows import run_sweep

CFG = BenchConfig(name="t", warmup=1, rounds=2, inferences=4, trim=1)


def test_export_time_store_reuse(tmp_path):
    from mobench.exporters import ExportConfig

    ec = ExportConfig(out_dir=tmp_path / "exports")
    db = tmp_path / "r.sqlite"
    (rec,) = run_sweep(["timm:test_efficientnet"], "cpu", CFG, db=db, export_config=ec, device_options={"threads": 1})
    assert rec.status == "ok", rec.error
    assert rec.artifact_format == "onnx" and len(rec.artifact_sha256) == 64 and rec.n_samples == 8
    assert rec.device_info["threads"] == 1 and rec.provenance["versions"]["onnxruntime"]
    (again,) = run_sweep(["timm:test_efficientnet"], "cpu", CFG, db=db, export_config=ec, device_options={"threads": 1})
    assert again.reused and again.run_id == rec.run_id
    df = load(db)
    assert len(df) == 1 and df.loc[0, "format"] == "onnx" and df.loc[0, "threads"] == 1
    assert len(load_samples(db)) == 8


@pytest.mark.slow
def test_cli_bench_s0_lands_in_the_store(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["bench", "--model", "mobileone_s0", "--device", "cpu", "--protocol", "quick", "--json"])
    assert code == 0
    rows = json.loads(out)
    assert rows[0]["model"] == "mobileone_s0" and rows[0]["n_samples"] == 30
    assert "median *" in err and "headline statistic: median" in err
    with Store(tmp_path / "results" / "mobench.sqlite", readonly=True) as st:
        rec = st.get_run(rows[0]["run_id"])
    assert rec.n_samples == 30 and rec.reparameterized is True and len(rec.samples_ms) == 3
    assert rec.provenance["cpu"] and rec.provenance["versions"]["onnxruntime"] and rec.device_info["ort_version"]
