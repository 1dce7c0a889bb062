"""The results store (SQLite or PostgreSQL) and its pandas views.

Public API::

    Store(db=None)              # a path, a URL, or $MOBENCH_DB / results/mobench.sqlite; creates/upgrades
    store.add_run(record) -> id # one transaction: run row + raw samples + statistics
    store.find_run(model, device, artifact_sha256, config_key) -> id | None
    store.find_by_extra(...) -> run ids, store.get_run(id) -> RunRecord, store.delete_run(id)
    load(db=None) -> DataFrame          # one row per run
    load_samples(db=None) -> DataFrame  # one row per raw sample
    merge_stores(store, [other, ...]) -> [MergeResult]   # one transaction, runs kept once
    upgrade(db=None) -> Upgrade         # bring an existing store to this mobench's schema
"""

from __future__ import annotations

from .frames import EXPORT_FORMATS, RUN_COLUMNS, export, load, load_samples
from .location import StoreLocation, default_db_path, locate
from .merge import MergeResult, merge_stores
from .schema import SCHEMA_VERSION
from .store import Store, Upgrade, upgrade

__all__ = [
    "EXPORT_FORMATS",
    "RUN_COLUMNS",
    "SCHEMA_VERSION",
    "Store",
    "StoreLocation",
    "Upgrade",
    "default_db_path",
    "locate",
    "MergeResult",
    "export",
    "load",
    "load_samples",
    "merge_stores",
    "upgrade",
]
