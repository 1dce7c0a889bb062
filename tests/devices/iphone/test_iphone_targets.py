"""One harness plan with two compute-unit settings gives two iPhone targets: in `analyze --json`,
in the plots and in the report (the Python stand-in app times the runs through the folder transport)."""

from __future__ import annotations

import json

from iphone_helpers import STANDIN_CMD

from mobench.results import load


def _strict(text):
    def bad(name):
        raise ValueError(name)

    return json.loads(text, parse_constant=bad)


def test_compute_units_all_and_ane_are_two_targets(cli, tmp_path, plan_dir):
    db = tmp_path / "r.sqlite"
    code, out, err = cli(
        "ios",
        "run",
        "--plan",
        plan_dir,
        "--transport",
        "folder",
        "--documents",
        tmp_path / "docs",
        "--app-command",
        " ".join(STANDIN_CMD),
        "--db",
        db,
        "--poll",
        "0.1",
        "--timeout",
        "300",
    )
    assert code == 0, err
    runs = load(db)
    assert len(runs) == 2 and set(runs["device"]) == {"iphone"}
    targets = sorted(runs["target"])
    assert len(set(targets)) == 2 and [t.rsplit("/", 1)[-1] for t in targets] == ["all", "ane"]
    code, out, err = cli(
        "analyze",
        "--db",
        db,
        "--device",
        "iphone",
        "--json",
        "--bootstrap",
        "100",
        "--metric",
        "params",
        "--complexity",
        "paper",
    )
    assert code == 0, err
    res = _strict(out)
    assert sorted(res["latency_ms"]) == targets and sorted(res["devices"]) == targets
    assert all(set(v) == {"tiny"} for v in res["latency_ms"].values())
    assert not any("this host" in n and "not this host" not in n for n in res["notes"])
    code, out, err = cli("plot", "--db", db, "--device", "iphone", "--kind", "distribution", "--out", tmp_path / "p")
    assert code == 0, err
    svg = (tmp_path / "p" / "latency_distribution.svg").read_text()
    assert all(f"{t} (measured)" in svg for t in targets)
    code, out, err = cli("report", "--db", db, "--device", "iphone", "--metric", "params", "--out", tmp_path / "rep")
    assert code == 0, err
    html = (tmp_path / "rep" / "report.html").read_text()
    assert all(f"<td>tiny</td><td>{t}</td>" in html for t in targets)


def test_ios_run_reuses_stored_runs_like_bench(cli, tmp_path, tiny_onnx, monkeypatch):
    """`ios run --model` checks the store with bench's reuse key: a second run launches nothing."""
    import shutil
    from types import SimpleNamespace

    from iphone_helpers import write_payload_package

    from mobench.devices.remote import plan as plan_mod

    def fake_export(model, fmt, out_dir, input_kind, recipe=None):  # converting to Core ML costs minutes here
        out_dir.mkdir(parents=True, exist_ok=True)
        if fmt == "coreml":
            path = write_payload_package(out_dir / "m.mlpackage")
        else:
            path = out_dir / "m.onnx"
            shutil.copyfile(tiny_onnx.path, path)
        return SimpleNamespace(path=path, manifest={"precision": "fp32", "reparameterized": True})

    monkeypatch.setattr(plan_mod, "_default_export", fake_export)
    db = tmp_path / "r.sqlite"
    args = (
        "ios",
        "run",
        "-m",
        "mobileone_s0",
        "--compute-units",
        "all,ane",
        "--protocol",
        "quick",
        "--rounds",
        "2",
        "--inferences",
        "5",
        "--transport",
        "folder",
        "--documents",
        tmp_path / "docs",
        "--app-command",
        " ".join(STANDIN_CMD),
        "--db",
        db,
        "--poll",
        "0.1",
        "--timeout",
        "300",
    )
    code, out, err = cli(*args, "-o", tmp_path / "plan1")
    assert code == 0, err
    first = load(db)
    assert len(first) == 2 and first["config_key"].notna().all() and first["config_key"].nunique() == 2
    code, out, err = cli(*args, "-o", tmp_path / "plan2")
    assert code == 0, err
    assert "2 run(s) already stored" in out and len(load(db)) == 2  # nothing launched, nothing added
    code, out, err = cli(*args, "-o", tmp_path / "plan3", "--force")
    assert code == 0, err
    assert len(load(db)) == 4
