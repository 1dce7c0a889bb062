"""ios_harness/Tests/Schemas is a generated copy of the host's schemas and golden examples.

The Swift package's tests read the copy so that ios_harness/ tests on its own;
the one source stays mobench/devices/iphone/schema/. These tests fail while the
copy differs from its source, and name the command that regenerates it.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "ios_harness" / "tools" / "sync_schemas.py"


def _load():
    spec = importlib.util.spec_from_file_location("sync_schemas", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_packages_copy_equals_the_host_schemas():
    sync = _load()
    assert sync.expected(), "no schema files found in mobench/devices/iphone/schema"
    assert set(sync.expected()) >= {"plan.schema.json", "report.schema.json", "examples/plan.json"}
    assert sync.differences() == [], "run: python ios_harness/tools/sync_schemas.py"


def test_check_reports_a_stale_copy_and_write_repairs_it(tmp_path, monkeypatch, capsys):
    sync = _load()
    copy = tmp_path / "Schemas"
    shutil.copytree(sync.COPY, copy)
    monkeypatch.setattr(sync, "COPY", copy)
    (copy / "examples" / "plan.json").write_text("{}")
    (copy / "extra.schema.json").write_text("{}")
    assert sync.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "differs examples/plan.json" in err and "not in the source extra.schema.json" in err
    assert "sync_schemas.py" in err
    sync.write()
    assert sync.differences() == []
    assert sync.main(["--check"]) == 0
