import platform

import pytest

from mobench.core.errors import DeviceError
from mobench.devices import get_device
from mobench.devices.coreml import COMPUTE_UNITS, CoreMLDevice


def test_compute_units_map_to_coremltools():
    import coremltools as ct

    assert set(COMPUTE_UNITS) == {"all", "cpu", "gpu", "ane"}
    for cu in COMPUTE_UNITS.values():
        assert hasattr(ct.ComputeUnit, cu)
    assert COMPUTE_UNITS["ane"] == "CPU_AND_NE"
    with pytest.raises(DeviceError, match="compute units"):
        CoreMLDevice(compute_units="npu")
    dev = get_device("coreml", compute_units="ane")
    assert dev.info()["coreml_compute_unit"] == "CPU_AND_NE"
    assert dev.options_key() == {"compute_units": "ane"}


@pytest.mark.skipif(platform.system() == "Darwin", reason="Linux behaviour")
def test_unavailable_on_linux():
    ok, reason = CoreMLDevice.available()
    assert not ok and "needs macOS" in reason


@pytest.mark.macos
def test_real_prediction(tmp_path):
    from types import SimpleNamespace

    import coremltools as ct
    import torch

    from mobench.core import protocol
    from mobench.core.util import sha256_path

    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()).eval()
    traced = torch.jit.trace(model, torch.randn(1, 3, 32, 32))
    ml = ct.convert(
        traced,
        inputs=[ct.TensorType(name="input", shape=(1, 3, 32, 32))],
        convert_to="mlprogram",
        minimum_deployment_target=ct.target.iOS16,
    )
    path = tmp_path / "tiny.mlpackage"
    ml.save(str(path))
    art = SimpleNamespace(
        model="tiny",
        format="coreml",
        path=path,
        manifest_path=None,
        manifest={"sha256": sha256_path(path), "input": {"name": "input", "shape": [1, 3, 32, 32]}},
    )
    for cu in ("cpu", "all"):
        rec = get_device("coreml", compute_units=cu).run("tiny", art, protocol("quick"))
        assert rec.n_samples == 30 and rec.device_info["compute_units"] == cu


def test_fp16_inputs_are_recognised_from_the_spec():
    """fp16 ML programs declare FLOAT16 inputs: the device must feed float16, not float32."""
    from coremltools.proto import FeatureTypes_pb2 as ft
    from coremltools.proto import Model_pb2

    from mobench.devices.coreml import _is_fp16_array

    spec = Model_pb2.Model()
    fp16 = spec.description.input.add()
    fp16.type.multiArrayType.dataType = ft.ArrayFeatureType.FLOAT16
    fp32 = spec.description.input.add()
    fp32.type.multiArrayType.dataType = ft.ArrayFeatureType.FLOAT32
    image = spec.description.input.add()
    image.type.imageType.width = 224
    assert _is_fp16_array(fp16) is True
    assert _is_fp16_array(fp32) is False
    assert _is_fp16_array(image) is False
