"""Schema 2: the measurement target is first-class, and every run has a stable uuid.

Backend, hardware model and id, runtime and its version, recipe, the options that change a
measurement, the target's key and label, and a ``uuid`` (what ``results merge`` recognises a
run by). The per-runtime version columns (``torch_version``, ``ort_version``,
``coremltools_version``) give way to ``runtime`` / ``runtime_version``; existing runs keep
their values there (and in ``provenance_json``'s versions).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

from mobench.results.legacy import target_of

revision = "0002"
down_revision = "0001"

NEW = ("uuid", "backend", "hardware", "hardware_id", "runtime", "runtime_version", "recipe")
NEW += ("options_json", "target_key", "target_label")
DROPPED = ("torch_version", "ort_version", "coremltools_version")


def legacy_run_uuid(row: dict) -> str:
    """A run stored before runs had a uuid gets one derived from its content, so two copies of
    the same old store migrated apart still agree on it (and ``results merge`` keeps it once)."""
    keys = ("created", "status", "model", "device", "artifact_sha256", "config_key", "config_json")
    keys += ("device_info_json", "provenance_json", "extra_json", "n_samples", "load_ms_json")
    parts = [row.get(k) for k in keys]
    return "v1-" + hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def upgrade() -> None:
    for col in NEW:
        op.add_column("runs", sa.Column(col, sa.Text))
    conn = op.get_bind()
    runs = sa.table("runs", *(sa.column(c) for c in ("id", *NEW)))
    for raw in conn.execute(sa.text("SELECT * FROM runs ORDER BY id")).mappings().all():
        row = dict(raw)
        info = json.loads(row.get("device_info_json") or "{}")
        prov = json.loads(row.get("provenance_json") or "{}")
        for col, key in (
            ("ort_version", "onnxruntime"),
            ("torch_version", "torch"),
            ("coremltools_version", "coremltools"),
        ):
            if row.get(col):
                prov.setdefault("versions", {}).setdefault(key, row[col])
        t = target_of(row["device"], info, prov, row.get("precision"))
        conn.execute(
            runs.update()
            .where(runs.c.id == row["id"])
            .values(
                uuid=legacy_run_uuid(row),
                backend=t.backend,
                hardware=t.hardware,
                hardware_id=t.hardware_id,
                runtime=t.runtime,
                runtime_version=t.runtime_version,
                recipe=t.recipe,
                options_json=json.dumps(t.options, sort_keys=True),
                target_key=t.key,
                target_label=t.label,
            )
        )
    for col in DROPPED:
        op.drop_column("runs", col)
    op.create_index("runs_uuid", "runs", ["uuid"], unique=True)
    op.create_index("runs_target", "runs", ["target_key", "model", "status"])
