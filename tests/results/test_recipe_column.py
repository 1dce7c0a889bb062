"""Version 5 of the store: ``runs.precision`` folds into ``runs.recipe`` (one name for the export recipe)."""

from __future__ import annotations

import json
import sqlite3

from mobench.core import protocol
from mobench.results import Store, load
from mobench.results.schema import MIGRATION_STEPS, MIGRATIONS

_COLUMNS = (
    "created, status, model, device, artifact_format, precision, recipe, config_json, device_info_json, "
    "provenance_json, load_ms_json, first_inference_ms_json, warmup_ms_json, memory_json, rounds_info_json, "
    "extra_json, n_samples, uuid"
)


def _v4_store(path, rows):
    """A store at version 4 (both columns) holding runs with the given (precision, recipe)."""
    conn = sqlite3.connect(str(path))
    conn.executescript(MIGRATIONS[1])
    for v in (2, 3, 4):
        for stmt in filter(None, (s.strip() for s in MIGRATIONS[v].split(";"))):
            conn.execute(stmt)
        if v in MIGRATION_STEPS:
            MIGRATION_STEPS[v](conn)
    cfg = json.dumps(protocol("quick").to_dict())
    for i, (precision, recipe) in enumerate(rows):
        vals = (
            f"2026-01-0{i + 1}T00:00:00+00:00",
            "failed",
            f"m{i}",
            "cpu",
            "onnx",
            precision,
            recipe,
            cfg,
            "{}",
            "{}",
            "[]",
            "[]",
            "[]",
            "{}",
            "[]",
            json.dumps({"note": i}),
            0,
            f"uuid{i}",
        )
        conn.execute(f"INSERT INTO runs ({_COLUMNS}) VALUES ({', '.join('?' * len(vals))})", vals)
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()


def test_precision_folds_into_recipe_and_nothing_is_lost(tmp_path):
    db = tmp_path / "v4.sqlite"
    _v4_store(db, [("int8", "int8"), ("fp16", None), (None, "fp32"), (None, None), ("fp16", "fp32")])
    with Store(db) as st:
        cols = [r[1] for r in st._conn.execute("PRAGMA table_info(runs)").fetchall()]
        got = st._conn.execute("SELECT model, recipe, extra_json FROM runs ORDER BY id").fetchall()
    assert "precision" not in cols and "recipe" in cols
    assert [(m, r) for m, r, _ in got] == [("m0", "int8"), ("m1", "fp16"), ("m2", "fp32"), ("m3", None), ("m4", "fp32")]
    extras = [json.loads(e) for _, _, e in got]
    assert extras[:4] == [{"note": 0}, {"note": 1}, {"note": 2}, {"note": 3}]
    assert extras[4] == {"note": 4, "precision": "fp16"}  # the disagreeing value is kept, not dropped
    runs = load(db)
    assert "precision" not in runs.columns and list(runs.sort_values("run_id")["recipe"].fillna("-")) == [
        "int8",
        "fp16",
        "fp32",
        "-",
        "fp32",
    ]


def test_a_new_store_has_one_recipe_column(tmp_path):
    with Store(tmp_path / "new.sqlite") as st:
        cols = [r[1] for r in st._conn.execute("PRAGMA table_info(runs)").fetchall()]
    assert cols.count("recipe") == 1 and "precision" not in cols
