"""Plans record the Core ML recipe of each model file; ingested runs carry it; bad recipes fail in one line."""

from __future__ import annotations

from mobench.core import protocol
from mobench.devices.remote.plan import make_plan
from mobench.devices.remote.schema import validate_plan


def test_plan_runs_record_the_recipe_and_validate():
    sha = "0" * 64
    plan = make_plan(
        [("mobileone_s0", "mobileone_s0.mlpackage", sha), ("mobileone_s1", "mobileone_s1.mlpackage", sha)],
        ["all", "cpuOnly"],
        protocol("quick"),
        recipes={"mobileone_s0.mlpackage": "palettize4"},
    )
    validate_plan(plan)
    got = {(r["model"], r["compute_units"]): r.get("recipe") for r in plan["runs"]}
    assert got == {
        ("mobileone_s0", "all"): "palettize4",
        ("mobileone_s0", "cpuOnly"): "palettize4",
        ("mobileone_s1", "all"): None,
        ("mobileone_s1", "cpuOnly"): None,
    }


def test_ios_plan_rejects_a_recipe_core_ml_lacks(run_cli, tmp_path):
    code, _, err = run_cli(["ios", "plan", "-m", "s0", "--recipe", "int8-dynamic", "-o", str(tmp_path / "p")])
    assert code == 2 and "format coreml has no recipe 'int8-dynamic'" in err and "palettize4" in err
    assert not (tmp_path / "p").exists()
