"""A per-op profile from the Swift-built harness's report, end to end.

`mobench-harness --engine known-cost` writes the known-cost engine's synthetic
compute plan (`compute_plan.ops`, three `known_cost` ops of weights 0.25, 0.5,
0.25) into its report; `mobench ios run` ingests it as device
`harness-known-cost`; `mobench profile --device harness-known-cost` turns the
weights into milliseconds with the run's measured median. Skipped (with the
reason) only where no Swift toolchain exists.
"""

from __future__ import annotations

import json
import shutil

import pytest
from iphone_helpers import run_cli
from swift_toolchain import FIXTURE_MODEL

from mobench.core.configs import BenchConfig
from mobench.core.util import atomic_write_json, sha256_path
from mobench.devices.remote.plan import make_plan
from mobench.devices.remote.schema import validate_report
from mobench.results import Store

pytestmark = pytest.mark.usefixtures("results_in_tmp")


def test_known_cost_compute_plan_becomes_a_stored_per_op_profile(harness_exe, tmp_path, capsys):
    plan_dir, docs, db = tmp_path / "plan", tmp_path / "docs", tmp_path / "r.sqlite"
    plan_dir.mkdir()
    shutil.copytree(FIXTURE_MODEL, plan_dir / FIXTURE_MODEL.name)
    # A registered model name, so `mobench profile --model` resolves it; the file is the tiny fixture.
    cfg = BenchConfig(name="custom", warmup=2, rounds=2, inferences=6, trim=1, reload_per_round=False, input_kind="image")
    plan = make_plan([("mobileone_s0", FIXTURE_MODEL.name, sha256_path(plan_dir / FIXTURE_MODEL.name))], ["all"], cfg,
                     thermal_wait_s=30)
    atomic_write_json(plan_dir / "plan.json", plan)
    code, out, err = run_cli(["ios", "run", "--plan", plan_dir, "--transport", "folder", "--documents", docs,
                              "--app-command", f"{harness_exe} --engine known-cost --cost-ms 1.5",
                              "--db", db, "--poll", "0.1", "--timeout", "120"], capsys)
    assert code == 0, err

    report = json.loads((docs / "report.json").read_text())
    validate_report(report, plan)
    cp = report["runs"][0]["compute_plan"]
    assert cp["available"] is True and cp["ops_by_device"]["unknown"] == 3
    assert [(o["operator"], o["estimated_cost"]) for o in cp["ops"]] == [
        ("known_cost", 0.25), ("known_cost", 0.5), ("known_cost", 0.25)]

    with Store(db, readonly=True) as s:
        (row,) = s.list_runs(model="mobileone_s0")
        rec = s.get_run(row["run_id"])
    assert rec.device == "harness-known-cost"                     # never an iPhone measurement
    assert rec.extra["compute_plan"]["ops"] == cp["ops"]          # ingest keeps the ops where profiling reads them
    median = row["median_ms"]
    assert median >= 1.5

    # No iPhone run exists: profiling the iphone device says so instead of using the synthetic plan.
    code, _, err = run_cli(["profile", "--model", "s0", "--device", "iphone", "--db", db], capsys)
    assert code != 0 and "no stored iphone run" in err

    code, out, err = run_cli(["profile", "--model", "s0", "--device", "harness-known-cost", "--db", db, "--json"], capsys)
    assert code == 0, err
    prof = json.loads(out)
    assert prof["device"] == "harness-known-cost" and prof["source"] == "known-cost-synthetic-plan"
    assert prof["estimated"] is True and prof["run_id"] == row["run_id"]
    ms = [o["ms"] for o in prof["ops"]]
    assert ms == pytest.approx([0.25 * median, 0.5 * median, 0.25 * median])
    assert sum(ms) == pytest.approx(median)                      # the per-op estimates add up to the measured median
    assert prof["profiled_total_ms"] == pytest.approx(median)
