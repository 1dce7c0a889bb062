"""Several writers at once lose nothing, on SQLite (WAL, busy timeout) and on PostgreSQL.

Four processes store runs into one new store at the same moment while a fifth is killed with
SIGKILL in the middle of its runs; four ``mobench bench`` processes time one new own model at
once into a new store (racing on creating the schema and on exporting the model).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from mobench.results import Store

WRITER = textwrap.dedent("""
    import random, sys, time
    from mobench.core.records import RunRecord
    from mobench.results import Store

    db, name, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    while time.time() < go:  # every writer starts at the same moment
        time.sleep(0.002)
    rng = random.Random(name)
    with Store(db) as st:
        for i in range(n):
            rec = RunRecord(model=f"m{i % 5}", device="cpu", protocol="quick",
                            config={"name": "quick", "rounds": 4, "inferences": 25, "trim": 1},
                            samples_ms=[[rng.uniform(1, 2) for _ in range(25)] for _ in range(4)],
                            load_ms=[1.0], device_info={"threads": 1}, provenance={"host": name})
            rec.extra["writer"] = name
            st.add_run(rec)
            print(rec.uuid, flush=True)  # printed only once its transaction committed
""")

N_RUNS = 15


def _spawn(db: str, name: str, n: int, go: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, db, name, str(n), str(go)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_four_writers_and_a_killed_one_lose_nothing(any_db):
    go = time.time() + 3.0  # time for every interpreter to start
    writers = [_spawn(any_db, f"w{i}", N_RUNS, go) for i in range(4)]
    victim = _spawn(any_db, "victim", 10_000, go)
    committed_by_victim = []
    try:
        assert victim.stdout is not None
        deadline = time.monotonic() + 120
        while len(committed_by_victim) < 3 and time.monotonic() < deadline:  # killed mid-sweep
            line = victim.stdout.readline()
            if not line:
                break
            committed_by_victim.append(line.strip())
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        outs = [w.communicate(timeout=300) for w in writers]
    finally:
        for p in [*writers, victim]:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert victim.returncode == -signal.SIGKILL and len(committed_by_victim) >= 3
    for w, (out, err) in zip(writers, outs, strict=True):
        assert w.returncode == 0, err[-2000:]
        assert len(out.split()) == N_RUNS
    printed = {u for out, _ in outs for u in out.split()} | set(committed_by_victim)
    with Store(any_db, readonly=True) as st:
        assert st.integrity_problems() == []  # no half-written run: samples and statistics of each match
        rows = st._query("SELECT uuid, n_samples, extra_json FROM runs")
        uuids = [r["uuid"] for r in rows]
        assert len(uuids) == len(set(uuids))  # no duplicate run uuid
        assert printed <= set(uuids)  # every committed run is there
        per_writer: dict[str, int] = {}
        for r in rows:
            per_writer[json.loads(r["extra_json"])["writer"]] = (
                per_writer.get(json.loads(r["extra_json"])["writer"], 0) + 1
            )
            assert r["n_samples"] == 100
        assert {w: per_writer[w] for w in ("w0", "w1", "w2", "w3")} == dict.fromkeys(("w0", "w1", "w2", "w3"), N_RUNS)
        assert per_writer["victim"] >= len(committed_by_victim)
        total = st._query("SELECT COUNT(*) AS n FROM samples")[0]["n"]
        assert total == 100 * len(rows)


NET = textwrap.dedent("""
    import torch.nn as nn


    def build():
        return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
""")


def test_four_benches_of_one_new_own_model_at_once(any_db, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "net.py").write_text(NET)
    env = {**os.environ, "MOBENCH_RESULTS": str(work / "results"), "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "mobench", "bench", "-m", "net.py:build", "--device", "cpu"]
    argv += ["--protocol", "quick", "--rounds", "2", "--inferences", "5", "--warmup", "1"]
    argv += ["--db", any_db]
    procs = [
        subprocess.Popen(argv, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
        assert "Traceback" not in err
    exports = work / "results" / "exports"
    onnx = sorted(exports.rglob("*.onnx"))
    assert len(onnx) == 1, onnx  # one artifact, however many processes asked for it
    assert not [p for p in exports.rglob("*") if p.name.endswith(".partial")]  # nothing half-written left
    manifest = json.loads((onnx[0].parent / "manifest.json").read_text())
    from mobench.core.util import sha256_path

    assert manifest["artifacts"]["onnx"]["sha256"] == sha256_path(onnx[0])  # complete and checked
    with Store(any_db, readonly=True) as st:
        assert st.integrity_problems() == []
        rows = st._query("SELECT status, artifact_sha256 FROM runs")
        assert 1 <= len(rows) <= 4 and {r["status"] for r in rows} == {"ok"}
        assert {r["artifact_sha256"] for r in rows} == {sha256_path(onnx[0])}
    assert Path(onnx[0]).exists()


READER = textwrap.dedent("""
    import sys, time
    from mobench.results import Store

    go = float(sys.argv[2])
    while time.time() < go:
        time.sleep(0.002)
    with Store(sys.argv[1], readonly=True) as st:
        print(len(st.find_by_extra()), st.schema_version)
""")


def test_four_commands_opening_an_older_store_at_once_upgrade_it_once(tmp_path):
    import shutil

    from legacy_stores import legacy_file

    from mobench.results import SCHEMA_VERSION

    db = tmp_path / "m.sqlite"
    shutil.copyfile(legacy_file(1), db)
    go = time.time() + 3.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(db), str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e for _, e in outs]
    assert {o.strip() for o, _ in outs} == {f"4 {SCHEMA_VERSION}"}
    said = [line for _, e in outs for line in e.splitlines() if line.strip()]
    assert len(said) == 1 and said[0].startswith("upgraded results database")  # one upgrade, one line
    assert sorted(p.name for p in tmp_path.glob("m.sqlite.bak-*")) == ["m.sqlite.bak-1"]
