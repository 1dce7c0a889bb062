"""Profiles and study results in the results store (schema version 4).

``add_profile(store, profile)`` writes one profile (linked to its run) in one
transaction; ``list_profiles`` / ``get_profile`` read them back as
:class:`~mobench.core.profiles.Profile`. ``add_study`` / ``list_studies`` keep
one row per study invocation; its rows name the runs they were measured in.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from ..core.errors import StoreError
from ..core.profiles import Profile
from .store import Store


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def add_profile(store: Store, profile: Profile) -> int:
    """Store ``profile``; returns its id. Its ``run_id`` (if set) must name a stored run."""
    if not profile.ops:
        raise StoreError(f"profile of {profile.model} on {profile.device} has no ops; nothing stored")
    d = profile.to_dict()
    row = {
        "run_id": profile.run_id,
        "created": _now(),
        "model": profile.model,
        "device": profile.device,
        "source": profile.source,
        "unfused": int(profile.unfused),
        "estimated": int(profile.estimated),
        "runs": int(profile.runs),
        "profiled_total_ms": profile.profiled_total_ms,
        "unprofiled_median_ms": profile.unprofiled_median_ms,
        "ops_total_ms": profile.ops_total_ms,
        "ops_json": json.dumps(d["ops"]),
        "extra_json": json.dumps(profile.extra, sort_keys=True, default=str),
    }
    from .tables import profiles

    with store._transaction() as conn:
        return store._insert(conn, profiles, row)


def _profile(r: Any) -> Profile:
    p = Profile.from_dict(
        {
            "model": r["model"],
            "device": r["device"],
            "source": r["source"],
            "runs": r["runs"],
            "profiled_total_ms": r["profiled_total_ms"],
            "unprofiled_median_ms": r["unprofiled_median_ms"],
            "unfused": bool(r["unfused"]),
            "estimated": bool(r["estimated"]),
            "run_id": r["run_id"],
            "extra": json.loads(r["extra_json"]),
            "ops": json.loads(r["ops_json"]),
        }
    )
    p.extra["profile_id"] = int(r["id"])
    p.extra["created"] = r["created"]
    return p


def list_profiles(
    store: Store, *, model: str | None = None, device: str | None = None, latest: bool = True
) -> list[Profile]:
    """Stored profiles (newest first); ``latest`` keeps the newest per (model, device, unfused)."""
    where, args = [], []
    for col, val in (("model", model), ("device", device)):
        if val is not None:
            where.append(f"{col} = ?")
            args.append(val)
    rows = store._query(
        "SELECT * FROM profiles" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC", tuple(args)
    )
    out, seen = [], set()
    for r in rows:
        key = (r["model"], r["device"], r["unfused"])
        if latest and key in seen:
            continue
        seen.add(key)
        out.append(_profile(r))
    return out


def get_profile(store: Store, profile_id: int) -> Profile:
    rows = store._query("SELECT * FROM profiles WHERE id = ?", (int(profile_id),))
    if not rows:
        raise StoreError(f"no profile {profile_id} in {store.location}")
    return _profile(rows[0])


def add_study(
    store: Store,
    study: str,
    device: str,
    resolution: int,
    rows: list[dict[str, Any]],
    extra: dict[str, Any] | None = None,
) -> int:
    """Store one study result (its table rows, each naming its run ids); returns its id."""
    row = {
        "created": _now(),
        "study": study,
        "device": device,
        "resolution": int(resolution),
        "rows_json": json.dumps(rows, default=str),
        "extra_json": json.dumps(extra or {}, sort_keys=True, default=str),
    }
    from .tables import studies

    with store._transaction() as conn:
        return store._insert(conn, studies, row)


def list_studies(store: Store, study: str | None = None) -> list[dict[str, Any]]:
    """Stored study results, newest first: ``{id, created, study, device, resolution, rows, extra}``."""
    rows = store._query(
        "SELECT * FROM studies" + (" WHERE study = ?" if study else "") + " ORDER BY id DESC", (study,) if study else ()
    )
    return [
        {
            "id": int(r["id"]),
            "created": r["created"],
            "study": r["study"],
            "device": r["device"],
            "resolution": r["resolution"],
            "rows": json.loads(r["rows_json"]),
            "extra": json.loads(r["extra_json"]),
        }
        for r in rows
    ]
