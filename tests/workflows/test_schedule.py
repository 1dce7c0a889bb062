"""Round scheduling: interleaved (seeded shuffle per cycle), contiguous, abab; memory groups; sweeps stored."""

import sqlite3

import pytest

from mobench.core import BenchConfig
from mobench.core.errors import UsageError
from mobench.devices import DEVICES
from mobench.devices.base import DeviceOption, LocalDevice
from mobench.results import Store
from mobench.workflows import run_sweep
from mobench.workflows.schedule import check_schedule, memory_groups, run_schedule


class FakeSession:
    def __init__(self, rounds, fail_at=None):
        self.rounds, self.fail_at = rounds, fail_at
        self.rounds_done, self.done, self.closed = 0, False, False

    def round(self):
        if self.fail_at is not None and self.rounds_done == self.fail_at:
            raise RuntimeError("boom")
        self.rounds_done += 1
        self.done = self.rounds_done >= self.rounds

    def close(self):
        self.closed = True
        self.done = True


def test_interleaved_visits_every_active_session_once_per_cycle_in_a_seeded_order():
    res = run_schedule([FakeSession(4) for _ in range(5)], "interleaved", seed=3)
    order = res.round_order
    assert len(order) == 20
    cycles = [order[i : i + 5] for i in range(0, 20, 5)]
    assert all(sorted(c) == list(range(5)) for c in cycles)
    assert len({tuple(c) for c in cycles}) > 1  # shuffled afresh each cycle
    again = run_schedule([FakeSession(4) for _ in range(5)], "interleaved", seed=3).round_order
    other = run_schedule([FakeSession(4) for _ in range(5)], "interleaved", seed=4).round_order
    assert again == order and other != order


def test_contiguous_runs_one_block_per_session_and_closes_each_before_the_next():
    s = [FakeSession(3), FakeSession(2)]
    closed_when = []
    res = run_schedule(s, "contiguous", on_done=lambda i: closed_when.append((i, s[0].closed, s[1].closed)))
    assert res.round_order == [0, 0, 0, 1, 1]
    assert closed_when == [(0, True, False), (1, True, True)]


def test_abab_alternates_and_stops_both_when_one_is_done():
    res = run_schedule([FakeSession(3), FakeSession(10)], "abab")
    assert res.round_order == [0, 1, 0, 1, 0, 1]


def test_abba_counterbalances_the_order_and_stop_ends_the_pairs():
    res = run_schedule([FakeSession(100), FakeSession(100)], "abba", stop=lambda: False)
    assert res.round_order[:8] == [0, 1, 1, 0, 0, 1, 1, 0] and len(res.round_order) == 200
    calls = []
    s = [FakeSession(100), FakeSession(100)]
    res = run_schedule(s, "abba", stop=lambda: calls.append(1) or len(calls) == 3, pause_s=0.001)
    assert res.round_order == [0, 1, 1, 0, 0, 1] and all(x.closed for x in s)


def test_a_failing_session_is_dropped_and_the_others_go_on():
    s = [FakeSession(3), FakeSession(3, fail_at=1), FakeSession(3)]
    res = run_schedule(s, "interleaved", seed=0)
    assert set(res.errors) == {1} and res.errors[1][0].endswith("boom")
    assert s[0].rounds_done == 3 and s[2].rounds_done == 3 and s[1].rounds_done == 1
    assert all(x.closed for x in s)


def test_groups_run_one_after_another():
    s = [FakeSession(2) for _ in range(4)]
    res = run_schedule(s, "interleaved", groups=[[0, 1], [2, 3]])
    assert set(res.round_order[:4]) == {0, 1} and set(res.round_order[4:]) == {2, 3}


def test_memory_groups_pack_consecutive_models_under_the_budget():
    assert memory_groups([100, 100, 100], 1000) == [[0, 1, 2]]
    assert memory_groups([100, 100, 100], 250) == [[0, 1], [2]]
    assert memory_groups([500, 10], 100) == [[0], [1]]  # one model alone may exceed it


def test_unknown_schedule_is_bad_input():
    with pytest.raises(UsageError, match="unknown schedule 'random'"):
        check_schedule("random")


class CountingDevice(LocalDevice):
    name = "counting"
    artifact_format = None
    loaded = 0
    max_loaded = 0

    OPTIONS = (
        DeviceOption("threads", int, 1),
        DeviceOption("fuse", bool, True, scope="run", from_export="reparameterize"),
    )

    def target(self, artifact=None):
        return None

    @classmethod
    def profiler(cls):
        return None

    def load(self, model_name, artifact):
        CountingDevice.loaded += 1
        CountingDevice.max_loaded = max(CountingDevice.max_loaded, CountingDevice.loaded)
        return object()

    def unload(self, handle):
        CountingDevice.loaded -= 1

    def make_input(self, handle, artifact, config):
        return None

    def bind(self, handle, inputs):
        return lambda: None


@pytest.fixture
def counting(monkeypatch):
    monkeypatch.setitem(DEVICES, "counting", f"{__name__}:CountingDevice")
    CountingDevice.loaded = CountingDevice.max_loaded = 0


M = ["timm:test_vit", "timm:test_vit2", "timm:test_resnet"]
CFG = BenchConfig(name="t", warmup=1, rounds=3, inferences=2, seed=7)


def test_interleaved_sweep_keeps_models_loaded_and_stores_the_round_order(tmp_path, counting):
    db = tmp_path / "r.sqlite"
    recs = run_sweep(M, "counting", CFG, db=db, memory_budget_mb=10_000)
    assert [r.status for r in recs] == ["ok"] * 3
    assert CountingDevice.max_loaded == 3 and CountingDevice.loaded == 0
    with Store(db) as st:
        sweep = st.get_sweep(recs[0].sweep_id)
        assert sweep["schedule"] == "interleaved" and sweep["seed"] == 7
        assert sweep["labels"] == M and sorted(sweep["round_order"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
        assert recs[1].round_slots == [j for j, x in enumerate(sweep["round_order"]) if x == 1]
        rows = st.list_runs()
        assert {r["schedule"] for r in rows} == {"interleaved"} and rows[0]["robust_ms"] is not None


def test_contiguous_sweep_loads_one_model_at_a_time(tmp_path, counting):
    recs = run_sweep(M, "counting", CFG, db=tmp_path / "r.sqlite", schedule="contiguous")
    assert CountingDevice.max_loaded == 1 and all(r.status == "ok" for r in recs)
    with Store(tmp_path / "r.sqlite") as st:
        assert st.get_sweep(recs[0].sweep_id)["round_order"] == [0, 0, 0, 1, 1, 1, 2, 2, 2]


class Ticks:
    def __init__(self):
        self.seen = []

    def phase(self, name, total=None):
        import contextlib

        @contextlib.contextmanager
        def cm():
            yield lambda item, what="", done=False: self.seen.append((item, what))

        return cm()


def test_over_the_memory_budget_the_sweep_runs_in_groups_and_says_so(tmp_path, counting):
    ticks = Ticks()
    recs = run_sweep(M, "counting", CFG, db=tmp_path / "r.sqlite", memory_budget_mb=650, progress=ticks)
    assert CountingDevice.max_loaded == 2  # 300 MB assumed per model without an artifact
    assert any("memory budget" in what and "2 groups" in what for _, what in ticks.seen)
    with Store(tmp_path / "r.sqlite") as st:
        assert st.get_sweep(recs[0].sweep_id)["groups"] == [[0, 1], [2]]


def test_unfused_variants_join_the_same_sweep(tmp_path, counting):
    recs = run_sweep(M[:2], "counting", CFG, db=tmp_path / "r.sqlite", also_unfused=[M[0]])
    assert len(recs) == 3 and recs[2].variant == "unfused"
    assert recs[2].device_info["fuse"] is False and recs[2].sweep_id == recs[0].sweep_id
    con = sqlite3.connect(tmp_path / "r.sqlite")
    keys = {r[0] for r in con.execute("SELECT config_key FROM runs")}
    assert len(keys) == 2  # fuse=False is part of the unfused run's key


class Interrupting(CountingDevice):
    """Interrupts the sweep (like Ctrl-C) in the first round of timm:test_resnet."""

    name = "interrupting"

    def bind(self, handle, inputs):
        return lambda: None

    def load(self, model_name, artifact):
        if model_name == M[2]:
            raise KeyboardInterrupt
        return super().load(model_name, artifact)


def test_an_interrupted_sweep_keeps_the_runs_that_finished(tmp_path, counting, monkeypatch):
    monkeypatch.setitem(DEVICES, "interrupting", f"{__name__}:Interrupting")
    db = tmp_path / "r.sqlite"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(M, "interrupting", CFG, db=db, schedule="contiguous")
    assert CountingDevice.loaded == 0  # nothing left loaded
    with Store(db) as st:
        rows = st.list_runs()
        assert sorted(r["model"] for r in rows) == sorted(M[:2])
        assert st.get_sweep(rows[0]["sweep_id"])["round_order"] == [0, 0, 0, 1, 1, 1]  # the interrupted round never ran


def test_a_sweep_checks_the_host_before_timing_and_stores_it_with_the_sweep(tmp_path, counting):
    from mobench.results import load

    db = tmp_path / "r.sqlite"
    seen = []

    class Rep:
        def phase(self, name, total=None):
            import contextlib

            @contextlib.contextmanager
            def cm():
                yield lambda label, what="", done=False: None

            return cm()

        def note(self, text):
            seen.append(("sweep", text))

    cfg = CFG.with_(target_ci_pct=50.0, rounds=20)
    recs = run_sweep(M[:2], "counting", cfg, db=db, memory_budget_mb=10_000, progress=Rep())
    lines = [what for label, what in seen if label == "sweep" and str(what).startswith("host: ")]
    assert len(lines) == 1
    with Store(db) as st:
        sweep = st.get_sweep(recs[0].sweep_id)
        assert sweep["extra"]["host_check"]["line"] == lines[0]
        assert {f["check"] for f in sweep["extra"]["host_check"]["findings"]} >= {"load", "memory"}
        stats = st.get_stats(recs[0].run_id)
        assert stats is not None and stats["target_ci"] == 0.5 and stats["target_ci_met"] in (0, 1)
    df = load(db)
    assert list(df["host_check"]) == [lines[0]] * 2
    assert {"ci_half_width", "round_spread_limit", "target_ci_met"} <= set(df.columns)
