"""The `iphone` device backend and the readiness logic of `mobench ios devices` (no phone needed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from iphone_helpers import STANDIN_CMD, write_payload_package

from mobench.core.configs import BenchConfig
from mobench.core.errors import DeviceError
from mobench.devices import device_class, get_device
from mobench.devices.base import Device
from mobench.devices.iphone import TRANSPORTS, IPhoneDevice
from mobench.devices.iphone.discovery import IPhoneStatus, readiness


def test_registered_as_the_iphone_backend():
    cls = device_class("iphone")
    assert cls is IPhoneDevice and issubclass(cls, Device)
    assert cls.name == "iphone" and cls.artifact_format == "coreml"


def test_options():
    dev = get_device("iphone", compute_units="ane", udid="U1", threads=None)
    assert dev.compute_units == "cpuAndNeuralEngine" and dev.info()["udid"] == "U1"
    with pytest.raises(DeviceError, match="does not take option.*threads"):
        get_device("iphone", threads=4)
    with pytest.raises(DeviceError, match=r"compute units \(one per run.*choose one of all, cpu"):
        get_device("iphone", compute_units="all,ane")


def test_available_gives_a_reason_here():
    ok, reason = IPhoneDevice.available()
    assert isinstance(ok, bool)
    if not ok:  # no phone on CI: the reason says what to do
        assert reason and any(w in reason for w in ("usbmuxd", "iPhone", "pymobiledevice3"))


def test_device_run_through_the_folder_transport(tmp_path, tiny_onnx, monkeypatch):
    """IPhoneDevice.run makes a one-run plan and returns the app's measurement as a RunRecord."""
    import shutil

    from mobench.devices.iphone import transport as tr

    pkg = write_payload_package(tmp_path / "art" / "tiny.mlpackage")
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copyfile(tiny_onnx.path, docs / "tiny.onnx")  # the stand-in's sidecar, already "on the phone"

    class Folder(tr.FolderTransport):
        @classmethod
        def from_options(cls, **_):
            return cls(docs, STANDIN_CMD)

    monkeypatch.setitem(TRANSPORTS, "pymobiledevice3", Folder)
    monkeypatch.chdir(tmp_path)
    dev = IPhoneDevice(compute_units="cpu")
    cfg = BenchConfig(name="quick", warmup=1, rounds=2, inferences=4, trim=1, input_kind="image")
    seen = []
    rec = dev.run("tiny", SimpleNamespace(path=pkg, manifest={}), cfg, progress=lambda i, n: seen.append((i, n)))
    assert rec.status == "ok", rec.error
    assert rec.device == "iphone" and rec.device_info["compute_units"] == "cpuOnly"
    assert [len(r) for r in rec.samples_ms] == [4, 4] and rec.config["name"] == "quick"
    assert seen and all(n == 2 for _, n in seen)


def test_device_run_needs_an_artifact():
    with pytest.raises(DeviceError, match="needs an exported Core ML artifact"):
        IPhoneDevice().run("tiny", None, BenchConfig())


@pytest.mark.parametrize(
    "os_version, paired, devmode, tunneld, tunnel, ready, step",
    [
        ("16.7", True, True, None, "not needed", True, ""),
        ("17.5.1", True, True, None, "automatic (userspace)", True, ""),
        ("17.2", True, True, None, "needs tunneld", False, "sudo pymobiledevice3 remote tunneld"),
        ("17.2", True, True, {"U"}, "tunneld running", True, ""),
        ("18.1", True, False, None, "automatic (userspace)", False, "enable Developer Mode"),
        ("17.5", False, None, None, "automatic (userspace)", False, "tap 'Trust'"),
        (None, False, None, None, "not needed", False, "tap 'Trust'"),
    ],
)
def test_readiness(os_version, paired, devmode, tunneld, tunnel, ready, step):
    st = readiness(
        IPhoneStatus(udid="U", connection="USB", os_version=os_version, paired=paired, developer_mode=devmode),
        tunneld_udids=tunneld,
    )
    assert st.tunnel == tunnel and st.ready is ready
    assert step in st.next_step and (bool(st.next_step) == bool(step))


def test_devices_command_without_usbmuxd(cli, monkeypatch):
    from mobench.devices.iphone import discovery

    def no_mux(*a, **k):
        raise DeviceError("cannot reach usbmuxd: on Linux install and start it")

    monkeypatch.setattr(discovery, "list_iphones", no_mux)
    code, _, err = cli("ios", "devices")
    assert code == 2 and "cannot reach usbmuxd" in err


def test_devices_command_table_and_json(cli, monkeypatch):
    import json

    from mobench.devices.iphone import discovery

    phones = [
        readiness(
            IPhoneStatus(
                udid="00008101-000A",
                connection="USB",
                model_identifier="iPhone13,2",
                model_name="iPhone 12",
                os_version="17.2",
                paired=True,
                developer_mode=True,
            ),
            tunneld_udids=None,
        )
    ]
    monkeypatch.setattr(discovery, "list_iphones", lambda udid=None: phones)
    code, out, _ = cli("ios", "devices")
    assert code == 0 and "iPhone13,2 (iPhone 12)" in out and "needs tunneld" in out
    code, out, _ = cli("ios", "devices", "--json")
    assert json.loads(out)[0]["next_step"].startswith("start the tunnel")
