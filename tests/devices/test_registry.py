import platform

import pytest

from mobench.core.errors import DeviceError, UsageError
from mobench.devices import DEVICES, Device, get_device, list_devices


def test_every_backend_is_listed_with_a_reason_when_unusable():
    statuses = {s.name: s for s in list_devices()}
    assert set(statuses) == {"cpu", "torch", "executorch", "coreml", "iphone"} == set(DEVICES)
    assert statuses["cpu"].available and statuses["cpu"].reason == ""
    assert statuses["torch"].available
    for s in statuses.values():
        assert s.description
        if not s.available:
            assert s.reason


@pytest.mark.skipif(platform.system() == "Darwin", reason="Linux behaviour")
def test_coreml_unavailable_on_linux_says_why():
    s = {s.name: s for s in list_devices()}["coreml"]
    assert not s.available
    assert s.reason == "Core ML prediction needs macOS; coremltools cannot predict on Linux"


def test_a_missing_backend_module_is_listed_not_raised(monkeypatch):
    DEVICES.register("ghost", "mobench.devices.no_such_module:Ghost", description="a ghost")
    try:
        s = {s.name: s for s in list_devices()}["ghost"]
        assert not s.available and "no_such_module" in s.reason and s.description == "a ghost"
        with pytest.raises(DeviceError, match="cannot be loaded"):
            get_device("ghost")
    finally:
        del DEVICES["ghost"]


def test_unknown_device_suggests():
    with pytest.raises(UsageError, match="did you mean cpu"):
        get_device("cpus")


def test_options_are_checked():
    with pytest.raises(DeviceError, match="takes: threads, graph_optimization"):
        get_device("cpu", compute_units="ane")
    with pytest.raises(DeviceError):
        get_device("cpu", threads=0)
    with pytest.raises(DeviceError, match="graph_optimization='max' .*: choose one of"):
        get_device("cpu", graph_optimization="max")
    dev = get_device("cpu", threads=1, graph_optimization=None)  # None means default
    assert isinstance(dev, Device) and dev.threads == 1 and dev.graph_optimization == "all"
    assert dev.info()["threads"] == 1 and dev.info()["threads_default"] is False
