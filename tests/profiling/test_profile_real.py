"""Real profiles on this machine: ONNX Runtime (MobileOne-S0) and torch.profiler, through the CLI and library."""

from __future__ import annotations

import json

import pytest

from mobench.core.profiles import op_type_shares


@pytest.fixture(scope="module")
def s0_profile(tmp_path_factory):
    """``mobench profile --model s0 --device cpu --json``: (exit code, JSON, stderr, db path)."""
    import contextlib
    import io

    from mobench.cli import main

    tmp = tmp_path_factory.mktemp("prof")
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(
                [
                    "profile",
                    "--model",
                    "s0",
                    "--device",
                    "cpu",
                    "--threads",
                    "1",
                    "--runs",
                    "20",
                    "--json",
                    "--db",
                    str(tmp / "m.sqlite"),
                    "--exports",
                    str(tmp / "exports"),
                    "--plot",
                    str(tmp / "plots"),
                    "--report",
                    str(tmp / "profiles.html"),
                ]
            )
        except SystemExit as exc:
            code = exc.code or 0
    return code, out.getvalue(), err.getvalue(), tmp


def test_s0_on_cpu_conv_dominates_and_ops_add_up(s0_profile):
    code, out, err, _ = s0_profile
    assert code == 0, err
    prof = json.loads(out)
    from mobench.core.profiles import Profile

    p = Profile.from_dict(prof)
    shares = op_type_shares(p)
    assert shares[0][0] == "Conv" and shares[0][2] > 0.5, shares
    # per-op kernel times add up to within 15% of the profiled total inference time
    assert abs(p.ops_total_ms - p.profiled_total_ms) <= 0.15 * p.profiled_total_ms
    assert p.run_id is not None and p.unprofiled_median_ms > 0 and p.overhead is not None
    assert {o.stage for o in p.ops} >= {"stage0", "stage1", "stage2", "stage3", "stage4"}
    assert "top 12 ops" in err and "profiling overhead" in err


def test_s0_profile_is_stored_with_its_run_and_drawn(s0_profile):
    from mobench.results import Store
    from mobench.results.profiles import list_profiles

    _code, out, _, tmp = s0_profile
    with Store(tmp / "m.sqlite", readonly=True) as store:
        (stored,) = list_profiles(store, model="mobileone_s0")
        run = store.get_run(stored.run_id)
    assert run.model == "mobileone_s0" and run.status == "ok"
    assert stored.extra["profile_id"] == json.loads(out)["extra"]["profile_id"]
    assert (tmp / "plots" / "op_type_shares.png").stat().st_size > 1000
    html = (tmp / "profiles.html").read_text()
    assert "mobileone_s0 on cpu, fused" in html and "data:image/png;base64" in html


def test_torch_profiler_per_module(tmp_path):
    from mobench.core.configs import protocol
    from mobench.devices import get_device
    from mobench.profiling import profile_artifact

    dev = get_device("torch", threads=1, resolution=64, fuse=False)
    p = profile_artifact(dev, "probe_blk_branches4", None, protocol("quick"), runs=5)
    fams = {k: s for k, _, s in op_type_shares(p)}
    assert {"Conv", "BatchNorm2d", "ReLU", "MobileOneBlock"} <= set(fams)  # the block's own ops: branch sums
    assert max(fams, key=fams.get) in ("Conv", "BatchNorm2d")
    assert p.unfused and p.source == "torch-profiler"
    # ops explain part of the profiled time (the rest is Python, hook and profiler overhead), never more
    assert 0.1 * p.profiled_total_ms < p.ops_total_ms <= p.profiled_total_ms * 1.001
    assert {o.stage for o in p.ops if o.stage} == {"stem", "stage1", "stage2", "stage3", "stage4", "gap", "linear"}


def test_torch_profiler_attributes_dynamic_activations_to_themselves():
    from mobench.core.configs import protocol
    from mobench.devices import get_device
    from mobench.profiling import profile_artifact

    dev = get_device("torch", threads=1, resolution=64)
    p = profile_artifact(dev, "probe_act_dyrelu_b", None, protocol("quick"), runs=3)
    fams = {k: s for k, _, s in op_type_shares(p)}
    # the pooling, gating and max of DY-ReLU are the module's own work; its FCs are Linear rows
    assert fams["DynamicReLU"] > 0.05 and fams["Linear"] > 0
    assert fams.get("(model forward)", 0) < 0.1


def test_plot_op_shares_fused_and_unfused_side_by_side(tmp_path):
    from mobench.analysis.profiles_view import plot_op_shares
    from mobench.core.profiles import OpTime, Profile

    profs = [
        Profile(
            "s0",
            "cpu",
            "t",
            runs=1,
            unfused=u,
            ops=[OpTime("a", "Conv", 3.0 + u), OpTime("b", "Add", 1.0 * u), OpTime("c", "Relu", 0.5)],
        )
        for u in (False, True)
    ]
    paths = plot_op_shares(profs, tmp_path)
    assert sorted(p.suffix for p in paths) == [".png", ".svg"]
    svg = (tmp_path / "op_type_shares.svg").read_text()
    assert "s0 (cpu, fused)" in svg and "s0 (cpu, unfused)" in svg


@pytest.mark.parametrize(
    "argv, msg",
    [
        (["profile", "-m", "s0", "--device", "nonsense"], "cannot profile on 'nonsense'"),
        (["profile", "-m", "no_such_model", "--device", "cpu"], "unknown model"),
        (["profile", "-m", "s0", "--device", "iphone"], "no stored iphone run"),
        (["profile", "-m", "s0", "--top", "0"], "--top must be"),
    ],
)
def test_bad_input_is_one_line(run_cli, tmp_path, argv, msg):
    code, _out, err = run_cli(argv + ["--db", str(tmp_path / "m.sqlite")])
    assert code != 0
    assert msg in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.macos
def test_coreml_compute_plan_on_a_mac(tmp_path):
    """On macOS 14.4+: the compute plan of a real export, turned into a stored profile."""
    from mobench.profiling.coreml_plan import compute_plan_ops, compute_plan_supported

    ok, reason = compute_plan_supported()
    if not ok:
        pytest.skip(reason)
    from mobench.exporters import ExportConfig
    from mobench.workflows.profile import run_profile

    prof = run_profile(
        "probe_mobileone_k1",
        "coreml",
        db=tmp_path / "m.sqlite",
        export_config=ExportConfig(resolution=64, out_dir=tmp_path / "exp"),
    )
    assert prof.estimated and prof.source == "coreml-compute-plan"
    assert op_type_shares(prof)[0][0] == "Conv"
    assert sum(o.cost for o in prof.ops) == pytest.approx(1.0, abs=0.05)
    assert {o.device for o in prof.ops} <= {"cpu", "gpu", "neural_engine", None}
    from mobench.exporters import find_artifact

    art = find_artifact("probe_mobileone_k1", "coreml", ExportConfig(resolution=64, out_dir=tmp_path / "exp"))
    assert any(op["operator"].endswith("conv") for op in compute_plan_ops(str(art.path)))
