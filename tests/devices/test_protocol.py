"""The protocol shared by local backends, on a fake backend whose costs are known."""

import time

import pytest

from mobench.core import BenchConfig
from mobench.devices.base import DeviceOption, LocalDevice


class Fake(LocalDevice):
    name = "fake"
    artifact_format = None
    OPTIONS = (DeviceOption("load_s", float, 0.0), DeviceOption("predict_s", float, 0.0))

    def __init__(self, **options):
        super().__init__(**options)
        self.loads = self.inputs = self.calls = 0

    def target(self, artifact=None):
        return None

    @classmethod
    def profiler(cls):
        return None

    def load(self, model_name, artifact):
        self.loads += 1
        time.sleep(self.load_s)
        return object()

    def make_input(self, handle, artifact, config):
        self.inputs += 1
        return config.seed

    def bind(self, handle, inputs):
        def predict():
            self.calls += 1
            if self.predict_s:
                time.sleep(self.predict_s)

        return predict


def test_counts_and_separation_of_load_first_warmup():
    cfg = BenchConfig(name="t", warmup=2, rounds=3, inferences=4, reload_per_round=True)
    dev = Fake(load_s=0.03)
    rec = dev.run("m", None, cfg)
    assert dev.loads == 3 and len(rec.load_ms) == 3 and len(rec.first_inference_ms) == 3
    assert all(v >= 30 for v in rec.load_ms)
    # the first inference after a load is the first warm-up: 2 warm-ups + 4 timed per round
    assert dev.calls == 3 * (2 + 4)
    assert [len(w) for w in rec.warmup_ms] == [2, 2, 2]
    assert [len(r) for r in rec.samples_ms] == [4, 4, 4]
    assert dev.inputs == 1  # prepared once, before any clock
    assert all(s < 30 for r in rec.samples_ms for s in r)  # load time never leaks into samples
    assert rec.protocol == "t" and rec.config["rounds"] == 3
    assert rec.provenance["host"] and rec.memory["inference_peak_rss_delta_mb"] is not None
    assert [r["index"] for r in rec.rounds_info] == [0, 1, 2]
    assert all(r["loadavg_1m"] >= 0 for r in rec.rounds_info)


def test_no_reload_loads_once_and_warms_every_round():
    cfg = BenchConfig(name="t", warmup=1, rounds=3, inferences=2)
    dev = Fake()
    rec = dev.run("m", None, cfg)
    assert dev.loads == 1 and len(rec.first_inference_ms) == 1
    assert dev.calls == 3 * (1 + 2)  # round 1's warm-up is the first inference
    assert rec.n_samples == 6


def test_samples_measure_the_predict_call():
    rec = Fake(predict_s=0.005).run("m", None, BenchConfig(name="t", warmup=0, rounds=1, inferences=5))
    assert all(5.0 <= s < 500 for s in rec.samples_ms[0])


def test_time_budget_stops_after_min_inferences():
    cfg = BenchConfig(name="b", warmup=0, rounds=100, inferences=2, time_budget_s=0.02, min_inferences=6)
    rec = Fake(predict_s=0.004).run("m", None, cfg)
    assert 6 <= rec.n_samples < 20
    assert rec.stopped_by_budget is True
    slow_min = BenchConfig(name="b", warmup=0, rounds=100, inferences=2, time_budget_s=0.001, min_inferences=10)
    assert Fake(predict_s=0.002).run("m", None, slow_min).n_samples == 10


def test_device_needing_an_artifact_refuses_none():
    from mobench.core.errors import DeviceError
    from mobench.devices.cpu import OrtCpuDevice

    with pytest.raises(DeviceError, match="needs an exported onnx"):
        OrtCpuDevice().run("m", None, BenchConfig(name="t"))
