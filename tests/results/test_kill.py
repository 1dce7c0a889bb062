"""kill -9 a sweep in the middle: every finished run intact, no half-written run."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from mobench.results import Store, load

CHILD = textwrap.dedent("""
    import sys
    from mobench.core import BenchConfig
    from mobench.workflows import run_sweep
    # a time budget makes every model take >= 0.5 s however fast the machine: a window to kill in
    cfg = BenchConfig(name="kill", warmup=1, rounds=10000, inferences=5, time_budget_s=0.5, min_inferences=20)
    models = ["timm:test_vit", "timm:test_vit2", "timm:test_vit3", "timm:test_vit4", "timm:test_convnext",
              "timm:test_efficientnet", "timm:test_byobnet"]
    # contiguous: models finish one after another (interleaved, equal budgets end together)
    run_sweep(models, "torch", cfg, db=sys.argv[1], schedule="contiguous",
              device_options={"threads": 1, "resolution": 32})
""")


def _finished(db) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_kill_9_mid_sweep(tmp_path, store_problems):
    db = tmp_path / "k.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while _finished(db) < 2:
            if proc.poll() is not None:
                pytest.fail(f"sweep ended before it could be killed: {proc.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("sweep stored no run within 120 s")
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    with Store(db) as st:
        assert store_problems(db) == []
        runs = st.find_by_extra()
        assert 2 <= len(runs) < 7  # killed mid-sweep
        for rid in runs:  # each stored run is whole
            rec, stats = st.get_run(rid), st.get_stats(rid)
            assert rec.status == "ok" and rec.n_samples == stats["n"] >= 20
            assert all(len(x) == 5 for x in rec.samples_ms) and len(rec.samples_ms) == stats["rounds"]
            assert len(rec.warmup_ms) == len(rec.samples_ms) and rec.load_ms
    df = load(db)
    assert (df["n_samples"] >= 20).all() and df["median_ms"].notna().all()


WRITER = textwrap.dedent("""
    import sys
    from mobench.core.records import RunRecord
    from mobench.results import Store
    st = Store(sys.argv[1])
    for i in range(10000):
        st.add_run(RunRecord(model=f"m{i}", device="cpu", protocol="t",
                             config={"name": "t", "rounds": 4, "inferences": 2500},
                             samples_ms=[[float(r * 2500 + j % 97 + 1) for j in range(2500)] for r in range(4)]))
""")


@pytest.mark.parametrize("delay", [0.05, 0.21])
def test_kill_9_during_store_writes(tmp_path, delay, store_problems):
    """Runs of 10,000 samples written back to back, killed at an arbitrary moment."""
    db = tmp_path / "w.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _finished(db) < 2:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"writer did not get going: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.01)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with Store(db) as st:
        assert store_problems(db) == []
        runs = st.find_by_extra()
        assert len(runs) >= 2 and all(st.get_run(r).n_samples == st.get_stats(r)["n"] == 10000 for r in runs)
