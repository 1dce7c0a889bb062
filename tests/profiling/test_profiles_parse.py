"""Profile parsing and aggregation without a runtime: ONNX Runtime traces, compute-plan costs, the store."""

from __future__ import annotations

import pytest

from mobench.core.errors import DeviceError, StoreError
from mobench.core.profiles import (
    OpTime,
    Profile,
    block_of,
    op_type_shares,
    stage_of,
    stage_times,
)
from mobench.core.records import RunRecord
from mobench.profiling.coreml_plan import (
    compute_plan_supported,
    costs_to_ms,
    profile_from_report_run,
)
from mobench.profiling.onnxruntime import parse_trace
from mobench.results.schema import SCHEMA_VERSION
from mobench.workflows.profile import check_profile_device


def _run(ts, dur):
    return {"cat": "Session", "name": "model_run", "ts": ts, "dur": dur}


def _node(name, op, ts, dur):
    return {"cat": "Node", "name": f"{name}_kernel_time", "ts": ts, "dur": dur, "args": {"op_name": op}}


def test_parse_trace_drops_warmup_and_averages_per_inference():
    events = [
        _run(0, 1000),
        _node("/stage1/stage1.0/conv/Conv", "FusedConv", 10, 900),  # warm-up: dropped
        _run(2000, 400),
        _node("/stage1/stage1.0/conv/Conv", "FusedConv", 2010, 300),
        {"cat": "Node", "name": "/stage1/stage1.0/conv/Conv_fence_before", "ts": 2005, "dur": 0},
        _node("/linear/Gemm", "Gemm", 2320, 60),
        _run(3000, 500),
        _node("/stage1/stage1.0/conv/Conv", "FusedConv", 3010, 340),
        _node("/linear/Gemm", "Gemm", 3360, 80),
    ]
    ops, totals = parse_trace(events, warmup=1)
    assert totals == [0.4, 0.5]
    by = {o.name: o for o in ops}
    assert by["/stage1/stage1.0/conv/Conv"].ms == pytest.approx(0.32)
    assert by["/stage1/stage1.0/conv/Conv"].family == "Conv"
    assert by["/stage1/stage1.0/conv/Conv"].stage == "stage1"
    assert by["/linear/Gemm"].ms == pytest.approx(0.07)
    with pytest.raises(DeviceError, match="none after 3 warm-up"):
        parse_trace(events, warmup=3)


def test_aggregation_per_type_and_stage():
    p = Profile(
        "m",
        "cpu",
        "test",
        runs=1,
        profiled_total_ms=10.0,
        unprofiled_median_ms=8.0,
        ops=[
            OpTime("/stage1/stage1.0/conv/Conv", "FusedConv", 4.0, "stage1"),
            OpTime("/stage1/stage1.1/conv/Conv", "Conv", 2.0, "stage1"),
            OpTime("/stage2/stage2.0/Add", "Add", 1.0, "stage2"),
            OpTime("reorder", "ReorderInput", 1.0, ""),
        ],
    )
    assert op_type_shares(p)[0] == ("Conv", 6.0, pytest.approx(0.75))
    assert stage_times(p) == [("stage1", 6.0, 0.75), ("stage2", 1.0, 0.125), ("(other)", 1.0, 0.125)]
    assert [k for k, _, _ in stage_times(p, "block")] == ["stage1.0", "stage1.1", "stage2.0", "(other)"]
    assert p.coverage == pytest.approx(0.8)
    assert p.overhead == pytest.approx(0.25)
    assert [o.ms for o in p.top_ops(2)] == [4.0, 2.0]
    assert Profile.from_dict(p.to_dict()).ops == p.ops


@pytest.mark.parametrize(
    "name, stage, block",
    [
        ("/stage2/stage2.5/activation/Relu_output_0_nchwc", "stage2", "stage2.5"),
        ("stage3.1.conv", "stage3", "stage3.1"),
        ("layer3.1.conv1", "layer3", "layer3.1"),
        ("/linear/Gemm", "linear", ""),
        ("reorder_token_12", "", ""),
    ],
)
def test_stage_and_block_names(name, stage, block):
    assert stage_of(name) == stage
    assert block_of(name) == block


# A run as the host ingest stores it from a harness report whose compute_plan carries per-op costs.
def _iphone_record(plan, samples=((2.0, 2.2, 1.8), (2.0, 2.1))):
    return RunRecord(
        model="mobileone_s0",
        device="iphone",
        artifact_format="coreml",
        reparameterized=True,
        samples_ms=[list(s) for s in samples],
        device_info={"compute_units": "all"},
        run_id=7,
        extra={"compute_plan": plan},
    )


PLAN = {
    "available": True,
    "reason": None,
    "ops_by_device": {"cpu": 1, "gpu": 0, "neural_engine": 3, "unknown": 0},
    "ops": [
        {
            "name": "stage0_conv",
            "operator": "ios17.conv",
            "preferred_device": "neural_engine",
            "supported_devices": ["cpu", "gpu", "neural_engine"],
            "estimated_cost": 0.5,
        },
        {"name": "stage1_conv", "operator": "ios17.conv", "preferred_device": "neural_engine", "estimated_cost": 0.3},
        {"name": "relu_0", "operator": "ios16.relu", "preferred_device": "neural_engine", "estimated_cost": 0.15},
        {"name": "cast_in", "operator": "ios17.cast", "preferred_device": "cpu", "estimated_cost": 0.05},
        {"name": "w", "operator": "const", "preferred_device": None, "estimated_cost": None},
    ],
}


def test_compute_plan_costs_become_ms_with_the_median():
    ops = costs_to_ms(PLAN["ops"], 2.0)
    assert [(o.op_type, o.ms, o.device) for o in ops] == [
        ("conv", 1.0, "neural_engine"),
        ("conv", 0.6, "neural_engine"),
        ("relu", 0.3, "neural_engine"),
        ("cast", 0.1, "cpu"),
    ]
    with pytest.raises(DeviceError, match="not a weight"):
        costs_to_ms([{"name": "x", "operator": "conv", "estimated_cost": 3.0}], 1.0)
    with pytest.raises(DeviceError, match="median"):
        costs_to_ms(PLAN["ops"], 0.0)


def test_profile_from_a_report_run_uses_the_run_median():
    prof = profile_from_report_run(_iphone_record(PLAN))
    assert prof.source == "coreml-compute-plan" and prof.estimated and prof.run_id == 7
    assert prof.profiled_total_ms == 2.0  # median of the 5 samples
    assert prof.ops_total_ms == pytest.approx(2.0)  # costs sum to 1
    assert op_type_shares(prof)[0] == ("Conv", pytest.approx(1.6), pytest.approx(0.8))
    assert prof.extra["ops_by_device"]["neural_engine"] == 3


@pytest.mark.parametrize(
    "plan, msg",
    [
        (None, "no compute_plan section"),
        ({"available": False, "reason": "iOS 17.0"}, "unavailable \\(iOS 17.0\\)"),
        ({"available": True, "ops_by_device": {"cpu": 1}}, "no per-op costs"),
    ],
)
def test_report_run_without_costs_says_why(plan, msg):
    with pytest.raises(DeviceError, match=msg):
        profile_from_report_run(_iphone_record(plan))


def test_compute_plan_on_this_system():
    ok, reason = compute_plan_supported()
    import sys

    if sys.platform != "darwin":
        assert not ok and "macOS 14.4" in reason
        from mobench.profiling.coreml_plan import compute_plan_ops

        with pytest.raises(DeviceError, match="macOS 14.4"):
            compute_plan_ops("x.mlpackage")
    else:
        pytest.skip("the compute-plan run on a Mac is exercised by the macos-marked tests")


def test_known_cost_runs_profile_as_themselves():
    """A harness-known-cost run (the Swift harness's synthetic plan) profiles under its own device and source."""
    from mobench.workflows.profile import stored_run_devices

    assert stored_run_devices() == {"iphone", "harness-known-cost"}
    check_profile_device("harness-known-cost")
    rec = RunRecord(
        model="mobileone_s0",
        device="harness-known-cost",
        artifact_format="coreml",
        samples_ms=[[1.5, 1.6, 1.4]],
        device_info={"engine": "known-cost"},
        run_id=3,
        extra={
            "compute_plan": {
                "available": True,
                "ops": [
                    {
                        "name": "known_cost/first",
                        "operator": "known_cost",
                        "preferred_device": "unknown",
                        "supported_devices": [],
                        "estimated_cost": 0.25,
                    },
                    {
                        "name": "known_cost/middle",
                        "operator": "known_cost",
                        "preferred_device": "unknown",
                        "supported_devices": [],
                        "estimated_cost": 0.75,
                    },
                ],
            },
        },
    )
    prof = profile_from_report_run(rec)
    assert prof.device == "harness-known-cost" and prof.source == "known-cost-synthetic-plan"
    assert [o.ms for o in prof.ops] == pytest.approx([0.375, 1.125]) and prof.ops_total_ms == pytest.approx(1.5)
    assert profile_from_report_run(_iphone_record(PLAN)).source == "coreml-compute-plan"


@pytest.mark.parametrize("device, msg", [("paper:iphone12", "profiles come from"), ("nonsense", "executorch")])
def test_devices_that_cannot_profile(device, msg):
    with pytest.raises(DeviceError, match=msg):
        check_profile_device(device)


def test_executorch_can_profile():
    check_profile_device("executorch")


def test_store_migrates_to_v4_and_keeps_profiles_linked_to_runs(tmp_path):
    from legacy_stores import make_legacy_store

    from mobench.results import Store
    from mobench.results.profiles import (
        add_profile,
        add_study,
        get_profile,
        list_profiles,
        list_studies,
    )

    db = tmp_path / "old.sqlite"
    make_legacy_store(db, 1)  # a version-1 store, as an older mobench wrote it
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        rec = _iphone_record(PLAN)
        run_id = store.add_run(rec)
        prof = profile_from_report_run(store.get_run(run_id))
        pid = add_profile(store, prof)
        back = get_profile(store, pid)
        assert back.run_id == run_id and back.ops == prof.ops and back.estimated
        assert list_profiles(store, device="iphone")[0].extra["profile_id"] == pid
        add_profile(store, prof)
        assert len(list_profiles(store)) == 1 and len(list_profiles(store, latest=False)) == 2
        sid = add_study(store, "branches", "cpu", 64, [{"k": 1, "run_id": run_id}])
        assert list_studies(store, "branches")[0]["id"] == sid
        store.delete_run(run_id)  # profiles go with their run
        assert list_profiles(store, latest=False) == []
        with pytest.raises(StoreError, match="no ops"):
            add_profile(store, Profile("m", "cpu", "x", ops=[], runs=0))


def test_iphone_profile_from_the_newest_stored_run_with_costs(tmp_path):
    from mobench.results import Store
    from mobench.results.profiles import list_profiles
    from mobench.workflows.profile import run_profile

    with Store(tmp_path / "m.sqlite") as store:
        store.add_run(_iphone_record({"available": True, "ops_by_device": {"cpu": 1}}))  # no costs
        old = store.add_run(_iphone_record(PLAN, samples=((4.0, 4.0, 4.0),)))
        new = store.add_run(_iphone_record(PLAN))
        unfused = _iphone_record(PLAN, samples=((9.0, 9.0),))
        unfused.reparameterized = False
        uid = store.add_run(unfused)
        assert old < new
        prof = run_profile("s0", "iphone", db=store)
        assert prof.run_id == new and prof.profiled_total_ms == 2.0
        uprof = run_profile("s0", "iphone", unfused=True, db=store)
        assert uprof.run_id == uid and uprof.unfused and uprof.ops_total_ms == pytest.approx(9.0)
        assert len(list_profiles(store, device="iphone")) == 2
        with pytest.raises(DeviceError, match="no stored iphone run of the mobilenet_v1"):
            run_profile("mobilenet_v1", "iphone", db=store)
