"""`mobench bench` end to end on the torch device (no export needed): table, store, skip, --force."""

import json

from mobench.results import Store, load


def test_bench_table_store_skip_force(tmp_path, run_cli):
    db = tmp_path / "r.sqlite"
    argv = [
        "bench",
        "-m",
        "timm:test_efficientnet",
        "--device",
        "torch",
        "--protocol",
        "quick",
        "--threads",
        "1",
        "--db",
        str(db),
    ]
    code, out, _ = run_cli(argv)
    assert code == 0
    assert "protocol quick" in out and "median *" in out and "headline statistic: median (ms)" in out
    for col in ("n", "min", "95% CI", "CV"):
        assert col in out
    df = load(db)
    assert len(df) == 1 and df.loc[0, "n_samples"] == 30 and df.loc[0, "protocol"] == "quick"
    assert df.loc[0, "threads"] == 1 and df.loc[0, "reparameterized"]
    code, out, _ = run_cli(argv)
    assert code == 0 and "stored" in out and len(load(db)) == 1  # skipped: already stored
    code, out, err = run_cli(argv + ["--force", "--json", "--unfused"])
    rows = json.loads(out)
    assert code == 0 and rows[0]["n_samples"] == 30 and not rows[0]["reused"] and "median *" in err
    df = load(db)
    assert len(df) == 2 and list(df["reparameterized"]) == [True, False]
    code, out, _ = run_cli(argv + ["--rounds", "2", "--inferences", "5", "--trim", "1"])
    df = load(db)
    assert code == 0 and len(df) == 3 and df.loc[2, "protocol"] == "quick+custom" and df.loc[2, "n_samples"] == 10
    code, _, err = run_cli(argv + ["--inferences", "2", "--trim", "1"])
    assert code != 0 and "2 * trim < inferences" in err and len(load(db)) == 3


def test_bench_lower_inferences_scales_the_protocols_trim(tmp_path, run_cli):
    """`-p modelbench --inferences 5` keeps modelbench's trim intent (10 of 50 -> 1 of 5), as `ios plan` does."""
    db = tmp_path / "r.sqlite"
    code, _, err = run_cli(
        [
            "bench",
            "-m",
            "timm:test_efficientnet",
            "--device",
            "torch",
            "-p",
            "modelbench",
            "--rounds",
            "1",
            "--inferences",
            "5",
            "--threads",
            "1",
            "--db",
            str(db),
        ]
    )
    assert code == 0, err
    df = load(db)
    assert df.loc[0, "protocol"] == "modelbench+custom" and df.loc[0, "n_samples"] == 5
    with Store(db, readonly=True) as st:
        assert st.get_run(int(df.loc[0, "run_id"])).config["trim"] == 1


def test_device_options_are_checked_and_make_targets(tmp_path, run_cli):
    db = tmp_path / "r.sqlite"
    base = [
        "bench",
        "-m",
        "timm:test_efficientnet",
        "--device",
        "torch",
        "--protocol",
        "quick",
        "--rounds",
        "1",
        "--inferences",
        "3",
        "--db",
        str(db),
    ]
    for opts, message in (
        (
            ["--device-option", "graph_optimization=basic"],
            "device 'torch' has no option 'graph_optimization' (its options: threads, resolution, fuse, checkpoint)",
        ),
        (["--device-option", "threads"], "--device-option takes KEY=VALUE"),
        (["--device-option", "threads=0"], "device option threads='0' for 'torch': must be >= 1"),
        (["--device-option", "threads=2", "--threads", "1"], "--device-option threads given twice (2 and 1)"),
    ):
        code, _, err = run_cli(base + opts)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not db.exists()
    for t in ("1", "2"):
        code, _, err = run_cli(base + ["--device-option", f"threads={t}", "--json"])
        assert code == 0, err
    df = load(db)
    # two thread counts are two targets, each its own column in analysis
    assert len(df) == 2 and sorted(df["threads"]) == [1, 2]
    assert sorted(t.rsplit("/", 1)[-1] for t in df["target"]) == ["1t", "2t"]
    assert all(t.startswith("torch/") for t in df["target"])
