"""Version 5 of the store: ``runs.precision`` folds into ``runs.recipe`` (one name for the export recipe)."""

from __future__ import annotations

import json
import sqlite3

from legacy_stores import make_legacy_store

from mobench.core import protocol
from mobench.results import Store, load

_COLUMNS = (
    "created, status, model, device, artifact_format, precision, recipe, config_json, device_info_json, "
    "provenance_json, load_ms_json, first_inference_ms_json, warmup_ms_json, memory_json, rounds_info_json, "
    "extra_json, n_samples, uuid"
)


def _v4_store(path, rows):
    """A store at version 4 (both columns) holding runs with the given (precision, recipe)."""
    make_legacy_store(path, 4)  # the tables as schema 4 wrote them
    conn = sqlite3.connect(str(path))
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
        cols = [r["name"] for r in st._query("PRAGMA table_info(runs)")]
        got = [
            (r["model"], r["recipe"], r["extra_json"])
            for r in st._query("SELECT model, recipe, extra_json FROM runs ORDER BY id")
        ]
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
        cols = [r["name"] for r in st._query("PRAGMA table_info(runs)")]
    assert cols.count("recipe") == 1 and "precision" not in cols
