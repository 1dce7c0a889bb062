"""`mobench doctor`: the host check alone, as text and as JSON."""

import json

from typer.testing import CliRunner

from mobench.cli import app


def test_doctor_prints_every_check_and_its_line():
    res = CliRunner().invoke(app, ["doctor"])
    assert res.exit_code == 0, res.output
    for check in ("governor", "turbo", "load", "throttling", "memory"):
        assert check in res.output
    assert "host: " in res.output


def test_doctor_json():
    res = CliRunner().invoke(app, ["doctor", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["line"].startswith("host: ") and len(doc["findings"]) == 5
    assert {f["status"] for f in doc["findings"]} <= {"ok", "warn", "unknown"}
