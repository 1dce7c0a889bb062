"""The executorch device: a tiny XNNPACK .pte timed with executorch.runtime, threads recorded."""

from types import SimpleNamespace

import pytest

from mobench.core import BenchConfig, protocol
from mobench.core.errors import DeviceError
from mobench.devices import get_device, list_devices

pytest.importorskip("executorch.runtime")


@pytest.fixture(scope="module")
def tiny_pte(tmp_path_factory):
    import torch
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import (
        XnnpackPartitioner,
    )
    from executorch.exir import to_edge_transform_and_lower

    from mobench.core.util import sha256_path

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(8, 10),
    ).eval()
    x = torch.randn(1, 3, 16, 16)
    program = to_edge_transform_and_lower(torch.export.export(model, (x,)), partitioner=[XnnpackPartitioner()])
    path = tmp_path_factory.mktemp("pte") / "tiny.pte"
    path.write_bytes(program.to_executorch().buffer)
    art = SimpleNamespace(
        model="tiny",
        format="executorch",
        path=path,
        manifest_path=None,
        manifest={
            "sha256": sha256_path(path),
            "precision": "fp32",
            "reparameterized": True,
            "input": {"name": "x", "shape": [1, 3, 16, 16], "dtype": "float32"},
            "exporter": {"delegate": "xnnpack"},
        },
    )
    return art, model


def test_executorch_is_listed_and_available():
    st = {d.name: d for d in list_devices()}["executorch"]
    assert st.available, st.reason


def test_executorch_run_records_threads_and_matches_eager(tiny_pte):
    import numpy as np
    import torch

    art, model = tiny_pte
    dev = get_device("executorch", threads=1)
    rec = dev.run("tiny", art, protocol("quick"))
    assert rec.status == "ok" and rec.n_samples == 30 and rec.artifact_format == "executorch"
    assert rec.recipe == "fp32" and rec.artifact_sha256 == art.manifest["sha256"]
    info = rec.device_info
    assert info["runtime"] == "executorch" and info["threads"] == 1 and info["threadpool_threads"] == 1
    assert info["executorch_version"]
    handle = dev.load("tiny", art)
    feed = dev.make_input(handle, art, protocol("quick"))
    out = dev.bind(handle, feed)()[0]
    with torch.no_grad():
        ref = model(feed[0])
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-4, atol=1e-5)


def test_executorch_missing_corrupt_and_coreml_delegated(tiny_pte, tmp_path):
    art, _ = tiny_pte
    dev = get_device("executorch", threads=1)
    with pytest.raises(DeviceError, match="missing"):
        dev.run("tiny", SimpleNamespace(**{**vars(art), "path": tmp_path / "gone.pte"}), BenchConfig(name="t"))
    bad = tmp_path / "bad.pte"
    bad.write_bytes(b"not a program")
    with pytest.raises(DeviceError, match="cannot load"):
        dev.run("tiny", SimpleNamespace(**{**vars(art), "path": bad}), BenchConfig(name="t"))
    coreml = SimpleNamespace(**{**vars(art), "manifest": {**art.manifest, "exporter": {"delegate": "coreml"}}})
    with pytest.raises(DeviceError, match="Apple hardware"):
        dev.run("tiny", coreml, BenchConfig(name="t"))
