"""A plan of a model with several inputs, end to end through the Swift harness (known-cost engine).

``mobench ios plan`` writes every input's name, shape and dtype into the plan and the
``--input-data`` values as raw files beside it; ``mobench ios run --transport folder``
pushes them with the model, the Swift session hands the plan's inputs to the engine,
which reads and checks each values file and reports every input by name.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from iphone_helpers import run_cli

from mobench.devices.remote.schema import validate_report
from two_input_model import make_two_input_mlpackage

pytestmark = pytest.mark.usefixtures("results_in_tmp")


@pytest.fixture(scope="module")
def two_input_mlpackage(tmp_path_factory):
    return make_two_input_mlpackage(tmp_path_factory.mktemp("ml") / "two.mlpackage", fp32=True)


def _plan(tmp_path: Path, model: Path, capsys) -> Path:
    npz = tmp_path / "v.npz"
    np.savez(npz, x=np.full((1, 3, 8, 8), 0.25, np.float32), k=np.arange(4, dtype=np.int32).reshape(1, 4))
    plan_dir = tmp_path / "plan"
    code, _, err = run_cli(
        ["ios", "plan", "-m", str(model), "--input-data", str(npz), "-o", str(plan_dir), "--protocol", "quick"], capsys
    )
    assert code == 0, err
    return plan_dir


def test_every_plan_input_reaches_the_harness_and_its_report(harness_exe, two_input_mlpackage, tmp_path, capsys):
    plan_dir = _plan(tmp_path, two_input_mlpackage, capsys)
    plan = json.loads((plan_dir / "plan.json").read_text())
    (run,) = plan["runs"]
    assert [(i["name"], i["shape"], i["dtype"]) for i in run["inputs"]] == [
        ("x", [1, 3, 8, 8], "float32"),
        ("k", [1, 4], "int32"),
    ]
    db, docs = tmp_path / "r.sqlite", tmp_path / "docs"
    code, out, err = run_cli(
        ["ios", "run", "--plan", plan_dir, "--transport", "folder", "--documents", docs,
         "--app-command", f"{harness_exe} --engine known-cost --cost-ms 0.5",
         "--db", db, "--poll", "0.1", "--timeout", "120"],
        capsys,
    )
    assert code == 0, err
    for i in run["inputs"]:
        assert (docs / i["values_file"]).is_file()  # pushed with the model
    report = json.loads((docs / "report.json").read_text())
    validate_report(report, plan)
    (rep,) = report["runs"]
    assert rep["status"] == "ok"
    assert [(i["name"], i["shape"], i["data_type"]) for i in rep["inputs"]] == [
        ("x", [1, 3, 8, 8], "float32"),
        ("k", [1, 4], "int32"),
    ]


def test_a_values_file_of_the_wrong_size_fails_the_run_naming_the_input(
    harness_exe, two_input_mlpackage, tmp_path, capsys
):
    plan_dir = _plan(tmp_path, two_input_mlpackage, capsys)
    plan = json.loads((plan_dir / "plan.json").read_text())
    k = plan["runs"][0]["inputs"][1]
    (plan_dir / k["values_file"]).write_bytes(b"\0" * 3)  # 3 bytes, not 4 int32
    docs = tmp_path / "docs"
    run_cli(
        ["ios", "run", "--plan", plan_dir, "--transport", "folder", "--documents", docs,
         "--app-command", f"{harness_exe} --engine known-cost --cost-ms 0.5",
         "--db", tmp_path / "r.sqlite", "--poll", "0.1", "--timeout", "120"],
        capsys,
    )
    (rep,) = json.loads((docs / "report.json").read_text())["runs"]
    assert rep["status"] == "failed" and "'k'" in rep["error"] and "3 bytes" in rep["error"]
