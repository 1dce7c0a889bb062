"""`compare`: side specs, the paired ratio and its verdict, storing, and bad input that stores nothing."""

import sqlite3
import time

import numpy as np
import pytest

from mobench.core import BenchConfig
from mobench.core.errors import DeviceError, ModelNotFoundError, UsageError
from mobench.devices import DEVICES
from mobench.devices.base import DeviceOption, LocalDevice
from mobench.workflows.compare import half_width, parse_side, ratio_ci, run_compare, verdict


def test_parse_side_reads_model_variants_and_device():
    s = parse_side("s0:unfused@torch")
    assert (s.model, s.unfused, s.recipe, s.device) == ("mobileone_s0", True, None, "torch")
    assert s.label == "mobileone_s0:unfused@torch"
    s = parse_side("mobileone_s1:FP16:unfused", default_device="coreml")
    assert (s.model, s.unfused, s.recipe, s.device) == ("mobileone_s1", True, "fp16", "coreml")
    assert parse_side("timm:resnet18").model == "timm:resnet18"
    assert parse_side("s0:fused").unfused is False


@pytest.mark.parametrize(
    "spec, error, match",
    [
        ("nosuch", ModelNotFoundError, "unknown model"),
        ("s0:int9", UsageError, "unknown variant 'int9'"),
        ("s0:fused:unfused", UsageError, "at most one"),
        ("mobilenet_v3_small:unfused", UsageError, "no unfused form"),
        ("s0@", UsageError, "bad side"),
        ("", UsageError, "empty side"),
    ],
)
def test_bad_sides_are_one_clear_error(spec, error, match):
    with pytest.raises(error, match=match):
        parse_side(spec)


def test_ratio_ci_sees_through_load_shared_by_each_pair():
    rng = np.random.default_rng(0)
    load = np.where(rng.random(40) < 0.5, 3.0, 1.0)  # half the pairs in a slow period
    a = 1.0 * load * rng.normal(1, 0.02, 40)
    b = 1.6 * load * rng.normal(1, 0.02, 40)
    ratio, lo, hi = ratio_ci(a, b)
    assert lo <= ratio <= hi < 1.0 and ratio == pytest.approx(1 / 1.6, rel=0.05)
    assert verdict(lo, hi) == "faster"
    ratio, lo, hi = ratio_ci(b, a)
    assert verdict(lo, hi) == "slower"
    same = 1.0 * load * rng.normal(1, 0.02, 40)
    assert verdict(*ratio_ci(a, same)[1:]) == "no detectable difference"


def test_a_verdict_needs_the_whole_ci_beyond_the_3_percent_margin():
    assert verdict(0.90, 0.96) == "faster" and verdict(1.04, 1.10) == "slower"
    assert verdict(0.975, 0.99) == "no detectable difference"  # excludes 1, not the margin
    assert verdict(1.01, 1.029) == "no detectable difference"
    assert verdict(0.75, 0.975) == "too busy to tell"  # excludes 1 but wide and inside the margin at its edge


def test_an_order_effect_cancels_within_abba_quartets():
    """Second in a pair is 8 % slower (e.g. threads of the first side still spinning): A/A stays A/A."""
    rng = np.random.default_rng(1)
    n = 60
    second = np.arange(n) % 2 == 0  # pair 0 is AB (B second), pair 1 is BA (A second), ...
    a = rng.normal(1, 0.01, n) * np.where(~second, 1.08, 1.0)
    b = rng.normal(1, 0.01, n) * np.where(second, 1.08, 1.0)
    ratio, lo, hi = ratio_ci(a, b)
    assert lo < 1 < hi and ratio == pytest.approx(1.0, abs=0.01)
    assert verdict(lo, hi) == "no detectable difference"
    # the same data read as plain pairs (no quartets) would call it a difference both ways
    d = np.log(a / b)
    assert abs(np.median(d[second]) - np.median(d[~second])) > 0.1


def test_pairs_that_disagree_widen_the_interval_to_too_busy_to_tell():
    rng = np.random.default_rng(2)
    n = 40
    a = rng.lognormal(0, 0.02, n) * np.where(rng.random(n) < 0.5, rng.uniform(1, 2, n), 1)  # bursts hit one side
    b = rng.lognormal(0, 0.02, n) * np.where(rng.random(n) < 0.5, rng.uniform(1, 2, n), 1)
    ratio, lo, hi = ratio_ci(a, b)
    assert lo < 1 < hi and half_width(lo, hi) > 0.05
    assert verdict(lo, hi) == "too busy to tell"
    # too few pairs for a CI: not a guess either
    assert verdict(*ratio_ci(a[:6], b[:6])[1:]) == "too busy to tell"


class SleepDevice(LocalDevice):
    """fuse=True sleeps 1 ms per inference, fuse=False 6 ms; model 'timm:test_vit2' cannot load."""

    name = "sleepy"
    artifact_format = None

    OPTIONS = (
        DeviceOption("threads", int, 1, scope="session"),
        DeviceOption("fuse", bool, True, scope="run", from_export="reparameterize"),
    )

    def target(self, artifact=None):
        return None

    @classmethod
    def profiler(cls):
        return None

    def load(self, model_name, artifact):
        if model_name == "timm:test_vit2":
            raise RuntimeError("cannot load")
        return 0.001 if self.fuse else 0.006

    def make_input(self, handle, artifact, config):
        return None

    def bind(self, handle, inputs):
        return lambda: time.sleep(handle)


@pytest.fixture
def sleepy(monkeypatch):
    monkeypatch.setitem(DEVICES, "sleepy", f"{__name__}:SleepDevice")
    monkeypatch.setattr(
        "mobench.workflows.compare.model_info", lambda name: type("I", (), {"reparameterizable": True})()
    )


CFG = BenchConfig(name="compare", warmup=1, rounds=12, inferences=3, headline="robust")


def test_compare_times_abba_stores_everything_in_one_go(tmp_path, sleepy):
    db = tmp_path / "c.sqlite"
    res = run_compare("timm:test_vit", "timm:test_vit:unfused", device="sleepy", config=CFG, db=db)
    assert res.verdict == "faster" and res.ratio < 0.8 and res.ci_high < 1 and res.pairs == 12
    assert res.to_dict()["verdict"] == "faster" and set(res.to_dict()) >= {"ratio", "ci_low", "ci_high", "half_width"}
    con = sqlite3.connect(db)
    row = con.execute("SELECT a_spec, b_spec, verdict, a_run_id, b_run_id, sweep_id FROM compares").fetchone()
    assert row[:3] == ("timm:test_vit", "timm:test_vit:unfused", "faster")
    assert {r[0] for r in con.execute("SELECT schedule FROM runs")} == {"abba"}
    order = con.execute("SELECT round_order_json FROM sweeps WHERE id = ?", (row[5],)).fetchone()[0]
    assert order == "[" + ", ".join(["0, 1, 1, 0"] * 6) + "]"


def test_compare_stops_once_the_ratio_is_precise_enough(tmp_path, sleepy):
    """A steady 1 ms vs 6 ms pair reaches +-5 % long before its 4000 rounds; the min time is respected."""
    cfg = BenchConfig(
        name="compare", warmup=1, rounds=4000, inferences=3, headline="robust", target_ci_pct=5.0, min_time_s=0.2
    )
    res = run_compare("timm:test_vit", "timm:test_vit:unfused", device="sleepy", config=cfg, store=False)
    assert res.target_met is True and res.half_width <= 0.05 and 12 <= res.pairs < 4000  # not the rounds cap
    assert min(sum(sum(r) for r in rec.samples_ms) for rec in res.records) >= 200 * 0.6  # >= ~0.2 s of timing each
    assert res.precision_note() == ""


def test_compare_of_one_name_is_the_noise_floor_check(tmp_path, sleepy):
    """Allowed, loaded twice (two sessions), told apart in progress; its verdict is statistics (5 % may
    say faster/slower by chance), so what is checked here is the plumbing."""
    res = run_compare("timm:test_vit", "timm:test_vit", device="sleepy", config=CFG, store=False)
    assert res.a.label == res.b.label and res.pairs == 12 and res.ci_low <= res.ratio <= res.ci_high
    assert [r.model for r in res.records] == ["timm:test_vit", "timm:test_vit"]
    assert [len(r.load_ms) for r in res.records] == [1, 1]
    assert res.sweep is not None and res.sweep.labels == ["timm:test_vit@sleepy (A)", "timm:test_vit@sleepy (B)"]


def test_a_side_that_cannot_run_stores_nothing(tmp_path, sleepy):
    db = tmp_path / "c.sqlite"
    with pytest.raises(DeviceError, match="timm:test_vit2 could not be timed"):
        run_compare("timm:test_vit", "timm:test_vit2", device="sleepy", config=CFG, db=db)
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
    assert con.execute("SELECT COUNT(*) FROM compares").fetchone()[0] == 0


def test_unusable_device_and_same_measurement_are_refused_before_anything_is_made(tmp_path):
    db = tmp_path / "c.sqlite"
    with pytest.raises(DeviceError, match="s0@coreml: device 'coreml' is not usable here"):
        run_compare("s0", "s0@coreml", db=db)
    with pytest.raises(UsageError, match="at least 12 round pairs"):
        run_compare("s0", "mobileone_s0:fused@cpu", db=db, config=CFG.with_(rounds=4))
    assert not db.exists()


def test_cli_bad_input_is_one_line_and_nonzero(tmp_path, capsys):
    from mobench.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["compare", "s0", "s0:int9", "--db", str(tmp_path / "c.sqlite")])
    assert exc.value.code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown variant 'int9'" in err[0]
    assert not (tmp_path / "c.sqlite").exists()


def test_a_recipe_is_a_variant_checked_against_the_device_format(tmp_path):
    assert parse_side("s0:int8").recipe == "int8" and parse_side("s0:palettize4@coreml").device == "coreml"
    db = tmp_path / "c.sqlite"
    with pytest.raises(UsageError, match="format onnx has no recipe 'palettize4'; onnx recipes: fp32, fp16, int8"):
        run_compare("s0", "s0:palettize4@cpu", db=db)
    with pytest.raises(UsageError, match="runs fp32 only"):
        run_compare("s0@torch", "s0:int8@torch", db=db)
    assert not db.exists()


def test_int8_against_fp32_on_onnx_runtime(tmp_path):
    """fp32 vs int8 is a compare like any other: both sides exported with their recipe, timed ABAB, stored."""
    db = tmp_path / "c.sqlite"
    cfg = BenchConfig(name="compare", warmup=1, rounds=12, inferences=3, headline="robust")
    res = run_compare(
        "timm:test_efficientnet:int8",
        "timm:test_efficientnet",
        device="cpu",
        config=cfg,
        db=db,
        device_options={"cpu": {"threads": 1}},
        exports=tmp_path / "exports",
    )
    assert res.verdict in ("faster", "slower", "no detectable difference", "too busy to tell") and res.pairs == 12
    assert res.ci_low <= res.ratio <= res.ci_high
    con = sqlite3.connect(db)
    recipes = [r for (r,) in con.execute("SELECT r.recipe FROM runs r").fetchall()]
    assert sorted(recipes, key=str) == ["fp32", "int8"], recipes


def test_each_side_takes_its_device_compare_options_unless_the_user_set_them():
    """ONNX Runtime's threads spin-wait after a run (its default) and would take the cores from the side
    timed next; a compare side on the cpu device runs with spinning off, and the session says so."""
    from mobench.devices.cpu import OrtCpuDevice
    from mobench.workflows.compare import COMPARE_CONFIG, side_unit

    side = parse_side("mobileone_s0")
    unit = side_unit(side, COMPARE_CONFIG, {})
    assert OrtCpuDevice.INTERLEAVED_OPTIONS["spin"] == "off"
    assert unit.device.options["spin"] == "off" and unit.device.target().label.endswith("/spin-off")
    so = unit.device.session_options()
    assert so.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    mine = side_unit(side, COMPARE_CONFIG, {"spin": "on"})
    assert mine.device.options["spin"] == "on" and "spin" not in mine.device.target().label
    with pytest.raises(RuntimeError, match="does not have configuration"):  # ORT's default: spinning
        mine.device.session_options().get_session_config_entry("session.intra_op.allow_spinning")
    assert unit.key != mine.key  # stored runs of either are never reused for the other


def test_the_side_timed_right_after_a_stop_check_alternates(sleepy, monkeypatch):
    """A CI computation stirs the caches of the round timed next; at an even period it always fell
    before A's round and A/A tests came out ~2 % "slower" (README): the period is odd."""
    import mobench.workflows.compare as compare

    pairs_done: list[int] = []
    real = compare.ratio_ci

    def spy(ra, rb, **kw):
        pairs_done.append(min(len(ra), len(rb)))
        return real(ra, rb, **kw)

    monkeypatch.setattr(compare, "ratio_ci", spy)
    cfg = BenchConfig(
        name="compare", warmup=0, rounds=30, inferences=2, headline="robust", target_ci_pct=1e-9, min_time_s=0.0
    )
    run_compare("timm:test_vit", "timm:test_vit", device="sleepy", config=cfg, store=False)
    checks = pairs_done[:-1]  # the last call is the result's own CI
    assert len(checks) >= 4
    # abba: pair p is A-first when p is even; the next pair after a check is pair `pairs_done`
    assert {"A" if p % 2 == 0 else "B" for p in checks} == {"A", "B"}, checks
