"""`mobench models` as a user runs it: table, JSON, show, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def test_models_json_is_valid_with_counts(run_cli):
    code, out, _ = run_cli(["models", "--preset", "quick", "--json"])
    assert code == 0
    rows = json.loads(out)
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"mobileone_s0", "mobilenet_v3_small", "mobilenet_v2_100"}
    assert by_name["mobileone_s0"]["params_m"] == pytest.approx(2.08, rel=0.01)
    assert by_name["mobileone_s0"]["macs_m"] == pytest.approx(275, rel=0.01)
    assert by_name["mobileone_s0"]["reparameterizable"] is True
    assert by_name["mobilenet_v3_small"]["source"] == "timm:mobilenetv3_small_100"


def test_models_table_lists_names(run_cli):
    code, out, _ = run_cli(["models", "--pattern", "repvgg*", "--no-counts"])
    assert code == 0
    for n in ("repvgg_a0", "repvgg_b1"):
        assert n in out


def test_models_show_alias(run_cli):
    code, out, _ = run_cli(["models", "show", "s1", "--json", "--no-counts"])
    assert code == 0
    data = json.loads(out)
    assert data["name"] == "mobileone_s1"
    assert data["config"]["num_conv_branches"] == 1


def test_unknown_model_is_one_line_with_suggestions():
    proc = subprocess.run(
        [sys.executable, "-m", "mobench", "models", "show", "mobilone_s0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "did you mean" in lines[0] and "mobileone_s0" in lines[0]


def test_unknown_preset_exits_nonzero(run_cli):
    code, _, err = run_cli(["models", "--preset", "nope"])
    assert code == 2
    assert "unknown preset" in err


@pytest.mark.parametrize("argv", [["nosuch"], ["models", "--resolution", "5"], ["models", "show"]])
def test_click_usage_errors_exit_2_not_internal_error(run_cli, argv):
    code, _, err = run_cli(argv)
    assert code == 2
    assert "internal error" not in err and "Traceback" not in err
    assert "Error:" in err
