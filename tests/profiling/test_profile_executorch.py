"""A real ExecuTorch profile on this machine: MobileOne-S0 at 64 px, XNNPACK, ETDump read by the Inspector."""

from __future__ import annotations

import collections
import json

import pytest

pytest.importorskip("executorch")


@pytest.fixture(scope="module")
def et_profile(tmp_path_factory):
    """``mobench profile --model s0 --device executorch --json``: (exit code, JSON, stderr, folder)."""
    import contextlib
    import io

    from mobench.cli import main

    tmp = tmp_path_factory.mktemp("etprof")
    out, err = io.StringIO(), io.StringIO()
    code = 0
    argv = ["profile", "-m", "s0", "--device", "executorch", "--threads", "1", "--runs", "10"]
    argv += ["--resolution", "64", "--json", "--db", str(tmp / "m.sqlite"), "--exports", str(tmp / "exports")]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code or 0
    return code, out.getvalue(), err.getvalue(), tmp


def test_executorch_profile_has_xnnpack_operators_that_add_up(et_profile):
    from mobench.core.profiles import Profile

    code, out, err, _ = et_profile
    assert code == 0, err
    p = Profile.from_dict(json.loads(out))
    assert p.source == "executorch-etdump" and p.runs == 10 and p.extra["delegate"] == "xnnpack"
    kinds = collections.Counter(o.op_type for o in p.ops)
    # 43 convolutions + the classifier: stem 3x3 and 21 depthwise 3x3 run as XNNPACK Convolution,
    # the 21 pointwise 1x1 convolutions and the Linear as Fully Connected (GEMM)
    assert kinds["Convolution"] == 22 and kinds["Fully Connected"] == 22, kinds
    assert p.extra["delegate_calls"] == 1 and p.extra["delegated_op_events"] >= 44
    # operator events plus the delegate call's remainder add up to the Method::execute time
    assert abs(p.ops_total_ms - p.profiled_total_ms) <= 0.15 * p.profiled_total_ms
    assert all(o.ms >= 0 for o in p.ops)
    assert "top 12 ops" in err and "profiling overhead" in err


def test_executorch_profile_is_stored_with_its_run(et_profile):
    from mobench.results import Store
    from mobench.results.profiles import list_profiles

    _code, out, _, tmp = et_profile
    with Store(tmp / "m.sqlite", readonly=True) as store:
        (stored,) = list_profiles(store, model="mobileone_s0")
        run = store.get_run(stored.run_id)
    assert run.device == "executorch" and run.status == "ok"
    assert stored.extra["profile_id"] == json.loads(out)["extra"]["profile_id"]
    assert stored.unprofiled_median_ms > 0 and stored.source == "executorch-etdump"


def test_parse_events_drops_warmup_and_counts_the_delegate_remainder():
    from types import SimpleNamespace as NS

    from mobench.profiling.executorch_profiler import parse_events

    def ev(name, raw, delegated=False):
        return NS(name=name, perf_data=NS(raw=raw), is_delegated_op=delegated)

    events = [
        ev("Convolution (NHWC, F32) IGEMM #1", [9.0, 1.0, 1.2], True),
        ev("Fully Connected (NC, F32) GEMM #1", [9.0, 0.5, 0.4], True),
        ev("DELEGATE_CALL", [20.0, 1.7, 1.8]),
        ev("native_call_add.out", [1.0, 0.1, 0.1]),
        ev("OPERATOR_CALL", [1.0, 0.12, 0.12]),
        ev("Method::execute", [22.0, 1.9, 2.0]),
    ]
    ops, totals, counts = parse_events(events, warmup=1)
    got = {o.name: (o.op_type, round(o.ms, 6)) for o in ops}
    assert totals == [1.9, 2.0]
    assert got == {
        "Convolution (NHWC, F32) IGEMM #1": ("Convolution", 1.1),
        "Fully Connected (NC, F32) GEMM #1": ("Fully Connected", 0.45),
        "native_call_add.out": ("add", 0.1),
        "(delegate call outside its ops)": ("(delegate call outside its ops)", 0.2),
    }
    assert counts["delegate_calls"] == 1 and counts["delegated_op_events"] == 2
