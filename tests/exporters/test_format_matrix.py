"""Every registered export format x every precision, on a tiny model (parametrized over the registry).

Each cell must produce an artifact whose manifest names that format and precision,
pass the structural check, and either pass its parity check or say why it could
not run (Core ML prediction needs macOS).
"""

from __future__ import annotations

import dataclasses
import platform
from pathlib import Path

import pytest

from mobench.exporters import FORMATS, export
from mobench.exporters.config import PRECISIONS


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("fmt", FORMATS.names())
def test_format_precision_matrix(fmt, precision, tiny_rep, cfg):
    art = export(tiny_rep, fmt, dataclasses.replace(cfg, precision=precision))
    m = art.manifest
    assert Path(art.path).exists() and m["format"] == fmt and m["precision"] == precision
    assert m["structural_check"]["status"] == "passed"
    assert m["reparameterized"] is True and len(m["sha256"]) == 64
    if fmt == "coreml" and platform.system() != "Darwin":
        assert m["parity"]["status"] == "skipped" and "macOS" in m["parity"]["reason"]
    else:
        assert m["parity"]["status"] == "passed", m["parity"]
