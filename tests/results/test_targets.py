"""Measurement targets in the store: labels, the schema-2 migration of old stores, merging stores
from several hosts, and strict JSON from every --json output."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
from legacy_stores import legacy_schema_sql

from mobench.core import protocol
from mobench.core.records import RunRecord
from mobench.core.target import Target, host_id, host_target, unique_labels
from mobench.devices.cpu import OrtCpuDevice
from mobench.devices.remote.ingest import phone_target
from mobench.results import SCHEMA_VERSION, Store, load


def _strict(text: str):
    def bad(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=bad)


# -- targets ------------------------------------------------------------------------------
def test_labels_and_keys(monkeypatch):
    monkeypatch.setattr(OrtCpuDevice, "runtime_version", classmethod(lambda cls: "1.32.0"))
    cpu = OrtCpuDevice(threads=2).target()
    assert cpu.label == "cpu/ort-1.32/2t" and cpu.runtime == "onnxruntime" and cpu.runtime_version == "1.32.0"
    basic = OrtCpuDevice(threads=2, graph_optimization="basic").target()
    assert basic.label == "cpu/ort-1.32/2t/opt-basic" and basic.key != cpu.key
    assert Target.from_dict(basic.to_dict()).label == basic.label  # the stored label reads back
    ane = phone_target(
        "iphone",
        model_identifier="iPhone13,2",
        udid="00008101-AAAA",
        compute_units="ane",
        runtime="coreml",
        runtime_version="iOS 17.1",
    )
    assert ane.label == "iphone13,2/ane" and "00008101" not in json.dumps(ane.to_dict())
    fp16 = phone_target(
        "iphone",
        model_identifier="iPhone13,2",
        udid="00008101-AAAA",
        compute_units="ane",
        runtime="coreml",
        runtime_version="iOS 17.1",
        recipe="fp16",
    )
    assert fp16.label == "iphone13,2/ane/fp16" and fp16.key != ane.key
    assert Target.from_dict(ane.to_dict()) == ane
    # the host id: overridable, so tests can be two hosts
    monkeypatch.setenv("MOBENCH_HOST_ID", "host-a")
    a = OrtCpuDevice(threads=2).target()
    monkeypatch.setenv("MOBENCH_HOST_ID", "host-b")
    b = OrtCpuDevice(threads=2).target()
    assert host_id() == "host-b" and a.label == b.label and a.key != b.key
    shown = unique_labels([(a.key, a.label, a.hardware_id), (b.key, b.label, b.hardware_id)])
    assert shown == {a.key: "cpu/ort-1.32/2t@host-a", b.key: "cpu/ort-1.32/2t@host-b"}


def test_host_id_is_stable_without_env(monkeypatch, tmp_path):
    monkeypatch.delenv("MOBENCH_HOST_ID", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert host_id() == host_id() and len(host_id()) >= 8


# -- migration of a store written before targets --------------------------------------------
_V1_COLUMNS = (
    "created, status, error, model, device, artifact_format, artifact_sha256, artifact_path, precision, "
    "reparameterized, protocol, config_key, config_json, device_info_json, provenance_json, host, cpu, os, "
    "python_version, torch_version, ort_version, coremltools_version, mobench_version, git_commit, compile_ms, "
    "load_ms_json, first_inference_ms_json, warmup_ms_json, memory_json, rounds_info_json, extra_json, n_samples"
)


def _v1_run(conn, *, model, device, info, prov, samples, status="ok", error=None, ort=None, precision="fp32"):
    """A run as the round-1 store wrote it (its DDL, its columns)."""
    cfg = protocol("quick").to_dict()
    n = sum(len(r) for r in samples)
    vals = (
        f"2026-01-0{conn.execute('SELECT COUNT(*) FROM runs').fetchone()[0] + 1}T00:00:00+00:00",
        status,
        error,
        model,
        device,
        "onnx",
        "ab" * 32,
        "/x/m.onnx",
        precision,
        1,
        "quick",
        "k",
        json.dumps(cfg),
        json.dumps(info),
        json.dumps(prov),
        prov.get("host"),
        prov.get("cpu"),
        "Linux",
        "3.11",
        "2.9.0",
        ort,
        None,
        "0.1",
        "c0ffee",
        None,
        "[10.0]",
        "[3.0]",
        "[[1.0]]",
        "{}",
        "[]",
        "{}",
        n,
    )
    cur = conn.execute(f"INSERT INTO runs ({_V1_COLUMNS}) VALUES ({', '.join('?' * len(vals))})", vals)
    rid = cur.lastrowid
    conn.executemany(
        "INSERT INTO samples VALUES (?, ?, ?, ?)",
        [(rid, r, i, v) for r, vals_ in enumerate(samples) for i, v in enumerate(vals_)],
    )
    if status == "ok":
        flat = sorted(v for r in samples for v in r)
        conn.execute(
            "INSERT INTO stats (run_id, n, rounds, min_ms, median_ms, headline, headline_ms) "
            "VALUES (?, ?, ?, ?, ?, 'median', ?)",
            (rid, n, len(samples), flat[0], flat[len(flat) // 2], flat[len(flat) // 2]),
        )


def make_v1_store(path):
    conn = sqlite3.connect(str(path))
    conn.executescript(legacy_schema_sql(1))
    prov = {"host": "lab1", "cpu": "Intel Xeon", "versions": {"onnxruntime": "1.17.0", "python": "3.11"}}
    _v1_run(
        conn,
        model="mobileone_s0",
        device="cpu",
        ort="1.17.0",
        prov=prov,
        info={"runtime": "onnxruntime", "ort_version": "1.17.0", "threads": 4, "graph_optimization": "all"},
        samples=[[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]],
    )
    _v1_run(
        conn,
        model="mobilenet_v3_small",
        device="cpu",
        ort="1.17.0",
        prov=prov,
        info={"runtime": "onnxruntime", "ort_version": "1.17.0", "threads": 4, "graph_optimization": "all"},
        samples=[[0.5, 0.6, 0.7]],
    )
    phone = {**prov, "measured_on": {"device": "iphone", "model_identifier": "iPhone13,2"}}
    for cu in ("all", "cpuAndNeuralEngine"):
        _v1_run(
            conn,
            model="mobileone_s0",
            device="iphone",
            prov=phone,
            info={"device_model": "iPhone13,2", "compute_units": cu, "runtime": "Core ML", "os_version": "17.1"},
            samples=[[0.9, 1.0, 1.1]],
        )
    _v1_run(
        conn,
        model="repvgg_a0",
        device="cpu",
        status="failed",
        error="export: no",
        prov=prov,
        info={"runtime": "onnxruntime", "ort_version": "1.17.0", "threads": 4, "graph_optimization": "all"},
        samples=[],
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    return path


def test_runs_stored_here_before_targets_are_still_reused(tmp_path, monkeypatch):
    """A round-1 run from this host gets this host's id, so a sweep after the migration reuses it."""
    import socket

    from mobench.core.util import package_version
    from mobench.devices.cpu import OrtCpuDevice

    monkeypatch.setenv("MOBENCH_HOST_ID", "this-host")
    db = tmp_path / "old.sqlite"
    conn = sqlite3.connect(str(db))
    conn.executescript(legacy_schema_sql(1))
    dev = OrtCpuDevice(threads=2)
    info = dev.info()
    _v1_run(
        conn,
        model="m",
        device="cpu",
        ort=info["ort_version"],
        info=info,
        prov={"host": socket.gethostname(), "cpu": info["cpu_model"]},
        samples=[[1.0, 2.0]],
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store(db) as st:
        art = type("A", (), {"manifest": {"precision": "fp32"}, "path": None})()
        assert st.find_run("m", "cpu", "ab" * 32, "k", dev.target(art).key) == 1
    assert package_version("onnxruntime") == info["ort_version"]


def _content(path):
    conn = sqlite3.connect(str(path))
    runs = conn.execute(
        "SELECT id, model, device, status, error, created, config_json, device_info_json, "
        "provenance_json, n_samples FROM runs ORDER BY id"
    ).fetchall()
    samples = conn.execute("SELECT * FROM samples ORDER BY run_id, round, idx").fetchall()
    v1_cols = [
        r[1]
        for r in sqlite3.connect(":memory:").executescript(legacy_schema_sql(1)).execute("PRAGMA table_info(stats)")
    ]
    stats = conn.execute(f"SELECT {', '.join(v1_cols)} FROM stats ORDER BY run_id").fetchall()  # the columns v1 had
    conn.close()
    return runs, samples, stats


def test_round1_store_migrates_with_every_run(tmp_path, run_cli):
    db = make_v1_store(tmp_path / "old.sqlite")
    before = _content(db)
    with Store(db) as st:
        assert st.schema_version == SCHEMA_VERSION
        assert st.integrity_problems() == []
        cols = {r["name"] for r in st._query("PRAGMA table_info(runs)")}
    assert not {"torch_version", "ort_version", "coremltools_version"} & cols
    assert {
        "backend",
        "hardware_id",
        "target_label",
        "options_json",
        "runtime",
        "runtime_version",
        "recipe",
        "uuid",
    } <= cols
    assert _content(db) == before  # every run, sample and statistic kept as it was
    df = load(db).set_index("run_id")
    assert len(df) == 5
    assert df.at[1, "runtime"] == "onnxruntime" and df.at[1, "runtime_version"] == "1.17.0"
    assert df.at[1, "target"] == "cpu/ort-1.17/4t"
    assert sorted(df[df["device"] == "iphone"]["target"]) == ["iphone13,2/all", "iphone13,2/ane"]
    assert df["uuid"].notna().all() and df["uuid"].nunique() == 5
    assert df.at[1, "hardware_id"] == "host:lab1"  # another host's runs: its name stands in for its id
    with Store(db) as st:  # opening again changes nothing
        assert st.schema_version == SCHEMA_VERSION
    assert _content(db) == before
    code, out, err = run_cli(
        [
            "analyze",
            "--db",
            str(db),
            "--device",
            "iphone",
            "--json",
            "--bootstrap",
            "100",
            "--metric",
            "params",
            "--complexity",
            "paper",
        ]
    )
    assert code == 0, err
    res = _strict(out)
    assert sorted(res["latency_ms"]) == ["iphone13,2/all", "iphone13,2/ane"]
    assert not any("measured on this host" in n for n in res["notes"])
    assert any("the device iPhone13,2, not this host" in n for n in res["notes"])


# -- merging stores from two hosts -----------------------------------------------------------
def _rec(model: str, ms: float) -> RunRecord:
    cfg = protocol("quick").with_(rounds=1, inferences=3)
    tgt = host_target(
        "cpu",
        runtime="onnxruntime",
        runtime_version="1.23.2",
        threads=2,
        graph_optimization="all",
        cpu="Same CPU",
        label=("cpu", "ort-1.23", "2t"),
    )
    return RunRecord(
        model=model,
        device="cpu",
        protocol=cfg.name,
        config=cfg.to_dict(),
        artifact_format="onnx",
        artifact_sha256="cd" * 32,
        recipe="fp32",
        reparameterized=True,
        device_info={"threads": 2, "runtime": "onnxruntime"},
        provenance={"host": f"host-{host_id()}", "cpu": "Same CPU"},
        samples_ms=[[ms, ms * 1.01, ms * 0.99]],
        target=tgt.to_dict(),
    )


MODELS = {"mobileone_s0": 4.0, "mobilenet_v3_small": 2.5, "mobilenet_v2_100": 6.0}


def _host_store(path, host, monkeypatch, scale):
    monkeypatch.setenv("MOBENCH_HOST_ID", host)
    with Store(path) as st:
        for m, ms in MODELS.items():
            st.add_run(_rec(m, ms * scale))
    return path


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_hosts_merged_give_two_cpu_targets(tmp_path, monkeypatch, run_cli):
    a = _host_store(tmp_path / "a.sqlite", "host-a", monkeypatch, 1.0)
    b = _host_store(tmp_path / "b.sqlite", "host-b", monkeypatch, 2.0)
    code, out, err = run_cli(["results", "merge", str(b), "--db", str(a), "--json"])
    assert code == 0, err
    assert _strict(out) == [{"source": str(b), "added": 3, "already_present": 0, "run_ids": [4, 5, 6]}]
    # merged again: every run is already there, nothing added
    code, out, err = run_cli(["results", "merge", str(b), "--db", str(a)])
    assert code == 0 and "0 run(s) added, 3 already present" in out
    df = load(a)
    assert len(df) == 6 and sorted(df["target"].unique()) == ["cpu/ort-1.23/2t@host-a", "cpu/ort-1.23/2t@host-b"]
    with Store(a, readonly=True) as st:
        merged = st.get_run(4)
    assert merged.provenance["host"] == "host-host-b" and merged.target["hardware_id"] == "host-b"
    assert merged.extra["merged_from"]["run_id"] == 1 and merged.extra["merged_from"]["path"].endswith("b.sqlite")
    code, out, err = run_cli(
        [
            "analyze",
            "--db",
            str(a),
            "--json",
            "--bootstrap",
            "100",
            "--metric",
            "params",
            "--complexity",
            "paper",
            "--device",
            "cpu",
        ]
    )
    assert code == 0, err
    res = _strict(out)
    assert sorted(d for d in res["devices"]) == ["cpu/ort-1.23/2t@host-a", "cpu/ort-1.23/2t@host-b"]
    assert res["latency_ms"]["cpu/ort-1.23/2t@host-b"]["mobileone_s0"] == pytest.approx(8.0)
    # one target chosen among several: the others are named
    code, out, err = run_cli(
        [
            "analyze",
            "--db",
            str(a),
            "--json",
            "--bootstrap",
            "100",
            "--metric",
            "params",
            "--complexity",
            "paper",
            "--device",
            "cpu/ort-1.23/2t@host-a",
        ]
    )
    assert code == 0, err
    assert any("not shown: cpu/ort-1.23/2t@host-b" in n for n in _strict(out)["notes"])


@pytest.mark.parametrize("kind", ["corrupt", "foreign", "newer", "garbage", "empty", "missing"])
def test_merge_refuses_bad_files_and_leaves_the_store_as_it_was(tmp_path, monkeypatch, run_cli, kind):
    a = _host_store(tmp_path / "a.sqlite", "host-a", monkeypatch, 1.0)
    other = tmp_path / "other.sqlite"
    if kind == "corrupt":
        _host_store(other, "host-b", monkeypatch, 2.0)
        data = bytearray(other.read_bytes())
        page = 4096
        data[page + 100 : page * 3] = b"\xff" * (page * 2 - 100)  # trash two b-tree pages
        other.write_bytes(bytes(data))
    elif kind == "foreign":
        c = sqlite3.connect(str(other))
        c.execute("CREATE TABLE people (name TEXT)")
        c.commit()
        c.close()
    elif kind == "newer":
        _host_store(other, "host-b", monkeypatch, 2.0)
        c = sqlite3.connect(str(other))
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        c.commit()
        c.close()
    elif kind == "garbage":
        other.write_bytes(b"this is not a database at all\n" * 200)
    elif kind == "empty":
        other.write_bytes(b"")
    before = _sha(a)
    other_before = _sha(other) if other.exists() else None
    code, out, err = run_cli(["results", "merge", str(other), "--db", str(a)])
    assert code != 0 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "cannot merge" in err, err
    assert _sha(a) == before  # the store is byte-identical
    assert (_sha(other) if other.exists() else None) == other_before  # and the other file untouched
    assert len(load(a)) == 3


# -- strict JSON ----------------------------------------------------------------------------
def test_every_json_output_is_strict(tmp_path, monkeypatch, run_cli):
    """Correlations that cannot be computed (2 models) are null with a reason, never NaN."""
    db = tmp_path / "s.sqlite"
    monkeypatch.setenv("MOBENCH_HOST_ID", "h")
    with Store(db) as st:
        st.add_run(_rec("mobileone_s0", 4.0))
        st.add_run(_rec("mobilenet_v3_small", 2.0))
    outputs = {}
    for argv in (
        ["analyze", "--db", str(db), "--json", "--bootstrap", "100", "--metric", "params", "--complexity", "paper"],
        ["results", "show", "1", "--db", str(db), "--json"],
        ["results", "merge", str(db), "--db", str(tmp_path / "new.sqlite"), "--json"],
        ["devices", "--json"],
    ):
        code, out, err = run_cli(argv)
        assert code == 0, (argv, err)
        outputs[argv[0] + " " + argv[1]] = _strict(out)
    res = outputs["analyze --db"]
    measured = [c for c in res["correlations"] if c["device"] == "cpu/ort-1.23/2t"]
    assert measured and measured[0]["spearman_rho"] is None and "2 model(s)" in measured[0]["null_reason"]
    assert all(a["null_reason"] for a in res["agreement"] if a["spearman_rho"] is None)
    assert outputs["results show"]["target"]["label"] == "cpu/ort-1.23/2t"


def test_a_refused_merge_creates_no_database(tmp_path, run_cli):
    db = tmp_path / "new" / "r.sqlite"
    code, _, err = run_cli(["results", "merge", str(tmp_path / "missing.sqlite"), "--db", str(db)])
    assert code == 2 and "no such file" in err and len(err.strip().splitlines()) == 1
    assert not db.exists() and not db.parent.exists()
