"""``mobench analyze | plot | report | run`` through the console entry point."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest


def test_analyze_reference_json_reproduces_table1(run_cli):
    code, out, _ = run_cli(["analyze", "--device", "paper:iphone12", "--json", "--bootstrap", "200"])
    assert code == 0
    d = json.loads(out)
    rho = {c["metric"]: c for c in d["paper_table1"]}
    assert rho["macs"]["paper_rho"] == 0.47 and abs(rho["macs"]["rho"] - 0.47) <= 0.05
    assert rho["params"]["within_tolerance"] is True
    assert any("Differences from the paper" in n for n in d["notes"])


def test_analyze_table_and_csv(run_cli):
    code, out, _ = run_cli(["analyze", "--device", "paper:iphone12", "--device", "paper:cpu", "--bootstrap", "200"])
    assert code == 0
    assert "Table 1" in out and "reproduced" in out and "0.46, 0.04" in out
    code, out, _ = run_cli(["analyze", "--device", "paper:cpu", "--csv", "--bootstrap", "200"])
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["metric"] for r in rows] == ["macs", "params"]
    assert rows[0]["kind"] == "reference" and rows[0]["n"] == "21"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["analyze", "--device", "paper:cpu", "--metric", "flops"], "unknown metric 'flops'"),
        (["analyze", "--device", "paper:ipad"], "unknown reference device 'paper:ipad'"),
        (["analyze", "--device", "paper:cpu", "--json", "--csv"], "choose one of --json and --csv"),
        (["analyze", "--device", "paper:cpu", "--stat", "mode"], "unknown statistic 'mode'"),
        (["plot", "--kind", "pie", "--device", "paper:cpu"], "unknown plot kind 'pie'"),
        (["run", "--preset", "quik"], "unknown preset 'quik'"),
        (["run", "--device", "paper:cpu"], "reference device"),
        (["run", "--device", "gpu"], "unknown device 'gpu'"),
    ],
)
def test_bad_input_is_one_line(argv, message, run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(argv)
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "results").exists()  # nothing written


def test_analyze_missing_store(run_cli, tmp_path):
    db = tmp_path / "nope.sqlite"
    # a measured device needs the store: one line, nothing created
    code, _, err = run_cli(["analyze", "--db", str(db), "--device", "cpu"])
    assert code == 2 and "no results store" in err and not db.exists()
    # no device named: fall back to the paper's reference devices, say so
    code, out, err = run_cli(["analyze", "--db", str(db), "--json", "--bootstrap", "100"])
    assert code == 0 and "reference devices only" in err and not db.exists()
    assert json.loads(out)["devices"] == ["paper:iphone12", "paper:cpu"]


def test_analyze_measured_device_not_in_store(run_cli, fake_store):
    code, _, err = run_cli(["analyze", "--db", str(fake_store), "--device", "iphone"])
    assert code == 2 and "no measured runs for device 'iphone'" in err and "backends: cpu" in err


def test_report_from_store(run_cli, fake_store, tmp_path, fake_metrics, monkeypatch):
    # counted metrics come from the fake table instead of building models
    import mobench.analysis.metrics as M

    monkeypatch.setattr(
        M,
        "metrics_table",
        lambda models, *a, **k: (fake_metrics.loc[[m for m in models if m in fake_metrics.index]], {}),
    )
    code, out, err = run_cli(
        ["report", "--db", str(fake_store), "--device", "cpu", "--metric", "macs", "--out", str(tmp_path / "rep")]
    )
    assert code == 0, err
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "data:image/png;base64," in html and "latency_vs_macs" in html
    assert (tmp_path / "rep" / "plots" / "latency_vs_macs.svg").exists()


@pytest.mark.slow
def test_run_quick_end_to_end(run_cli, tmp_path):
    """The README's first command: the main job (quick preset) into a fresh folder, then resumed."""
    out = tmp_path / "results"
    code, stdout, err = run_cli(["run", "--preset", "quick", "--out", str(out)])
    assert code == 0, err
    assert (out / "mobench.sqlite").exists() and (out / "report.html").exists()
    # the first screen: each model's headline latency on its target, titled by the statistic
    assert "median (ms)" in stdout  # protocol quick's headline
    printed = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in re.split(r"[│|]", line) if c.strip()]
        if len(cells) == 7 and cells[0] in ("mobileone_s0", "mobilenet_v3_small", "mobilenet_v2_100"):
            assert cells[1].startswith("cpu/ort-") and cells[2] == "ok"
            printed[cells[0]] = float(cells[4])
    assert len(printed) == 3 and all(v > 0 for v in printed.values()), stdout
    pngs = sorted(p.stem for p in (out / "plots").glob("*.png"))
    for stem in (
        "latency_vs_macs",
        "latency_vs_params",
        "top1_vs_latency",
        "measured_vs_paper",
        "latency_distribution",
        "latency_drift",
        "fused_vs_unfused",
    ):
        assert stem in pngs
    from mobench.results import load

    runs = load(out / "mobench.sqlite")
    ok = runs[runs["status"] == "ok"]
    assert set(ok["model"]) >= {"mobileone_s0", "mobilenet_v3_small", "mobilenet_v2_100"}
    s0 = ok[ok["model"] == "mobileone_s0"]
    assert sorted(s0["reparameterized"]) == [False, True]  # S0 timed fused and unfused
    fused = ok[~((ok["model"] == "mobileone_s0") & ~ok["reparameterized"].astype(bool))]  # the table's runs
    for m, ms in printed.items():  # the printed figure is the stored headline of that run
        assert ms == pytest.approx(float(fused[fused["model"] == m]["headline_ms"].iloc[-1]), abs=1e-3)
    n_runs = len(runs)
    code, stdout, _ = run_cli(["run", "--preset", "quick", "--out", str(out)])
    assert code == 0 and "reused" in stdout
    assert len(load(out / "mobench.sqlite")) == n_runs  # resumed: nothing re-timed


def test_report_unwritable_out_is_one_line(run_cli, tmp_path):
    (tmp_path / "rep" / "report.html").mkdir(parents=True)  # a folder where the file should go
    code, _, err = run_cli(["report", "--device", "paper:cpu", "--out", str(tmp_path / "rep")])
    assert code == 2 and "cannot write the report to" in err and len(err.strip().splitlines()) == 1
