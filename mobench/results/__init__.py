"""The results store (SQLite) and its pandas views.

Public API::

    Store(path=None)            # default results/mobench.sqlite; creates/migrates
    store.add_run(record) -> id # one transaction: run row + raw samples + statistics
    store.find_run(model, device, artifact_sha256, config_key) -> id | None
    store.find_by_extra(...) -> run ids, store.get_run(id) -> RunRecord, store.delete_run(id)
    load(db=None) -> DataFrame          # one row per run
    load_samples(db=None) -> DataFrame  # one row per raw sample
    merge_stores(store, [other.sqlite, ...]) -> [MergeResult]   # one transaction, runs kept once
"""

from __future__ import annotations

from .frames import EXPORT_FORMATS, RUN_COLUMNS, export, load, load_samples
from .schema import SCHEMA_VERSION
from .store import MergeResult, Store, default_db_path, merge_stores

__all__ = [
    "EXPORT_FORMATS",
    "RUN_COLUMNS",
    "SCHEMA_VERSION",
    "Store",
    "default_db_path",
    "MergeResult",
    "export",
    "load",
    "load_samples",
    "merge_stores",
]
