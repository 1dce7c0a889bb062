"""Strict JSON for every ``--json`` output: no ``NaN`` or ``Infinity``.

Python's ``json`` writes ``NaN``/``Infinity`` for non-finite floats, which RFC 8259
does not allow and ``jq``, JavaScript's ``JSON.parse`` and most other parsers
reject. :func:`dumps` writes ``null`` instead (``allow_nan=False`` then guarantees
none is left); an object whose number could not be computed says why in its own
field (e.g. a correlation's ``null_reason``).
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite(obj: Any) -> Any:
    """``obj`` with every non-finite float (also numpy's) replaced by ``None``, recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency
        return obj
    if isinstance(obj, np.floating):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return finite(obj.tolist())
    return obj


def dumps(obj: Any, **kw: Any) -> str:
    """``json.dumps`` that never writes ``NaN``/``Infinity`` (they become ``null``)."""
    kw.setdefault("default", str)
    return json.dumps(finite(obj), allow_nan=False, **kw)
