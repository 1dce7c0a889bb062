from types import SimpleNamespace

import pytest

from mobench.core import BenchConfig, protocol
from mobench.core.errors import DeviceError
from mobench.devices import get_device


def test_ort_run_records_everything(tiny_onnx):
    dev = get_device("cpu", threads=1)
    rec = dev.run("tiny", tiny_onnx, protocol("quick"))
    assert rec.status == "ok" and rec.n_samples == 30
    assert rec.artifact_sha256 == tiny_onnx.manifest["sha256"] and rec.artifact_format == "onnx"
    info = rec.device_info
    assert info["threads"] == 1 and info["ort_version"] and info["cpu_model"] and info["physical_cores"] >= 1
    assert info["graph_optimization"] == "all" and info["inter_op_threads"] == 1
    assert rec.load_ms[0] > 0 and rec.first_inference_ms[0] > 0
    assert rec.memory["load_rss_delta_mb"] is not None
    assert rec.provenance["versions"]["onnxruntime"] == info["ort_version"]


def test_ort_matches_a_bare_session(tiny_onnx):
    import numpy as np
    import onnxruntime as ort

    dev = get_device("cpu", threads=1, graph_optimization="basic")
    sess = dev.load("tiny", tiny_onnx)
    feed = dev.make_input(sess, tiny_onnx, protocol("quick"))
    (name,) = feed
    assert feed[name].shape == (1, 3, 16, 16) and feed[name].dtype == np.float32
    again = dev.make_input(sess, tiny_onnx, protocol("quick"))[name]
    assert np.array_equal(feed[name], again)  # seeded
    ref = ort.InferenceSession(str(tiny_onnx.path), providers=["CPUExecutionProvider"]).run(None, feed)[0]
    np.testing.assert_allclose(dev.bind(sess, feed)()[0], ref, rtol=1e-5, atol=1e-6)


def test_missing_and_corrupt_artifacts(tiny_onnx, tmp_path):
    dev = get_device("cpu", threads=1)
    missing = SimpleNamespace(**{**vars(tiny_onnx), "path": tmp_path / "gone.onnx"})
    with pytest.raises(DeviceError, match="missing"):
        dev.run("tiny", missing, BenchConfig(name="t"))
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx file at all")
    with pytest.raises(DeviceError, match="corrupt"):
        dev.run("tiny", SimpleNamespace(**{**vars(tiny_onnx), "path": bad}), BenchConfig(name="t"))
