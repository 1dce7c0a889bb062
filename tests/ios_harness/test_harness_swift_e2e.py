"""The host drives the Swift-built harness (`mobench-harness`, ios_harness/Package.swift) end to end.

The executable runs the same HarnessSession as the app, with the package's
known-cost engine (Core ML does not exist here): `mobench ios run --transport
folder` plans, pushes, launches it, follows progress.json, pulls, validates and
stores; in network mode it fetches the plan from `mobench ios serve` on 127.0.0.1 and
posts its report, which is stored once. Its runs are stored as
device `harness-known-cost`, never `iphone`. Skipped (with the reason) only
where no Swift toolchain exists.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from iphone_helpers import run_cli
from swift_toolchain import FIXTURE_MODEL

from mobench.core.configs import BenchConfig
from mobench.core.util import atomic_write_json, sha256_path
from mobench.devices.remote.plan import make_plan
from mobench.devices.remote.schema import validate_progress, validate_report, validate_run_line
from mobench.results import Store, load

pytestmark = pytest.mark.usefixtures("results_in_tmp")


@pytest.fixture
def plan_dir(tmp_path) -> Path:
    """A plan folder with the fixture model under two compute-unit settings."""
    import shutil

    d = tmp_path / "plan"
    d.mkdir()
    shutil.copytree(FIXTURE_MODEL, d / FIXTURE_MODEL.name)
    cfg = BenchConfig(name="custom", warmup=2, rounds=3, inferences=6, trim=1, reload_per_round=True, input_kind="image")
    plan = make_plan([("tiny_cnn", FIXTURE_MODEL.name, sha256_path(d / FIXTURE_MODEL.name))], ["all", "cpuOnly"], cfg,
                     thermal_wait_s=30)
    atomic_write_json(d / "plan.json", plan)
    return d


def test_folder_transport_runs_the_swift_session_into_the_store(harness_exe, plan_dir, tmp_path, capsys):
    db, docs = tmp_path / "r.sqlite", tmp_path / "docs"
    code, out, err = run_cli(["ios", "run", "--plan", plan_dir, "--transport", "folder", "--documents", docs,
                              "--app-command", f"{harness_exe} --engine known-cost --cost-ms 1.5",
                              "--db", db, "--poll", "0.1", "--timeout", "120"], capsys)
    assert code == 0, err
    assert "stored 2 run(s) (0 already stored)" in out

    plan = json.loads((plan_dir / "plan.json").read_text())
    report = json.loads((docs / "report.json").read_text())
    validate_report(report, plan)                       # the host's JSON Schema + cross-field rules
    validate_progress(json.loads((docs / "progress.json").read_text()))
    assert report["engine"] == "known-cost" and report["clock"] == "ContinuousClock"
    assert [r["status"] for r in report["runs"]] == ["ok", "ok"]
    first, second = report["runs"]
    assert first["sha256_verified"] is True             # the Swift hash of the folder equals sha256_path
    assert first["thermal_wait"]["timed_out"] is False    # the gate ran (Linux reports nominal: no wait)
    assert first["compile_reused"] is False and second["compile_reused"] is True and second["compile_ms"] is None
    assert len(first["load_ms"]) == 3 and len(first["cold_load_ms"]) == 1 and len(first["warm_load_ms"]) == 2
    samples = [v for r in first["samples_ms"] for v in r]
    assert len(samples) == 18 and min(samples) >= 1.5   # the known cost, on a monotonic clock
    # One run line per finished run on the app's stdout, valid against the schema's run_line.
    console = (docs.parent / f".{docs.name}.console.log").read_text()
    lines = [json.loads(ln) for ln in console.splitlines() if ln.startswith('{"')]
    assert [validate_run_line(ln)["run"]["run_id"] for ln in lines] == [r["run_id"] for r in plan["runs"]]

    df = load(db)
    assert list(df["device"]) == ["harness-known-cost"] * 2   # never stored as an iPhone measurement
    code, out, err = run_cli(["results", "list", "--db", db], capsys)
    assert code == 0, err
    assert out.count("harness-known-cost") == 2 and "iphone" not in out
    code, out, _ = run_cli(["results", "list", "--db", db, "--device", "iphone"], capsys)
    assert "tiny_cnn" not in out
    with Store(db, readonly=True) as s:
        rec = s.get_run(int(df["id"].iloc[0]) if "id" in df else 1)
    assert rec.device_info["engine"] == "known-cost" and rec.device_info["runtime"].startswith("known-cost")


def _start_serve(plan_dir: Path, tmp_path: Path, token: str) -> tuple[subprocess.Popen, str]:
    """`mobench ios serve` on 127.0.0.1 (any free port); returns the process and its URL."""
    proc = subprocess.Popen([sys.executable, "-m", "mobench", "ios", "serve", "--plan", str(plan_dir), "--port", "0",
                             "--db", str(tmp_path / "r.sqlite"), f"--token={token}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    lines = []
    while True:
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            raise AssertionError(f"mobench ios serve did not start: {lines} {proc.stderr.read()}")
        lines.append(line)
        if m := re.search(r"at (http://127\.0\.0\.1:\d+)", line):
            return proc, m.group(1)


def test_network_mode_fetches_from_mobench_ios_serve_and_posts_once(harness_exe, plan_dir, tmp_path):
    token = "--" + "t0k3n" * 5      # a token that begins with "--", as 1 in 4,096 generated ones does
    serve, url = _start_serve(plan_dir, tmp_path, token)
    try:
        phone = tmp_path / "phone"
        phone.mkdir()
        app = subprocess.run([str(harness_exe), "--engine", "known-cost", "--cost-ms", "0.5", "--documents", str(phone),
                              "--server", url, "--token", token, "--autostart"],
                             capture_output=True, text=True, timeout=120)
        assert app.returncode == 0, app.stderr
        assert "Report sent" in app.stderr and '"stored": 2' in app.stderr
        assert (phone / "tiny_cnn.mlpackage" / "Manifest.json").is_file()   # downloaded and hash-checked
        validate_report(json.loads((phone / "report.json").read_text()))

        # The same report posted again is stored once.
        req = urllib.request.Request(f"{url}/report", data=(phone / "report.json").read_bytes(), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert json.loads(resp.read()) == {"stored": 0, "duplicates": 2}
    finally:
        serve.send_signal(signal.SIGINT)          # what Ctrl-C does
        try:
            out, err = serve.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
            out, err = serve.communicate()
    assert "progress 2/2 finished" in out, out
    assert "2 run(s) stored, 0 duplicate(s)" in out and "0 run(s) stored, 2 duplicate(s)" in out, out
    df = load(tmp_path / "r.sqlite")
    assert len(df) == 2 and set(df["device"]) == {"harness-known-cost"}
