"""A new device is one file and one registration line: every command picks it up.

The device below is written to a scratch folder as its own module, registered with
one line (``DEVICES["scratch"] = "scratch_device:ScratchDevice"``, what an entry point
in the ``mobench.devices`` group does for another distribution), and then used by
``devices``, ``bench``, ``--device-option``, ``compare``, ``profile``, ``run``,
``analyze`` and ``report`` with no other file touched. It busy-waits a known time per
inference (twice as long for the unfused graph), so its figures can be checked.
"""

from __future__ import annotations

import json
import re

import pytest

from mobench.devices import DEVICES

SCRATCH_DEVICE = '''
"""``scratch``: a device that busy-waits ``delay_us`` per inference (everything about it is here)."""

import time

from mobench.core.profiles import OpTime, Profile
from mobench.devices.base import DeviceOption, DeviceProfiler, LocalDevice


class ScratchDevice(LocalDevice):
    name = "scratch"
    artifact_format = None
    description = "busy-waits a known time per inference"
    runtime = "spin"
    OPTIONS = (
        DeviceOption("delay_us", int, 400, "microseconds per inference", label="{}us", minimum=1),
        DeviceOption("fuse", bool, True, "the deployed graph (false: twice as slow)", scope="run",
                     from_export="reparameterize"),
    )

    def target(self, artifact=None):
        return self.host_target(artifact, recipe="fp32")

    @classmethod
    def profiler(cls):
        return DeviceProfiler("one op: the wait", f"{__name__}:profile_scratch", 5)

    def artifact_fields(self, artifact):
        return {"artifact_format": None, "recipe": "fp32", "reparameterized": self.fuse}

    def load(self, model_name, artifact):
        return self.delay_us * (1 if self.fuse else 2) / 1e6

    def make_input(self, handle, artifact, config):
        return None

    def bind(self, handle, inputs):
        def predict():
            end = time.perf_counter() + handle
            while time.perf_counter() < end:
                pass

        return predict


def profile_scratch(device, model, artifact, config, *, runs, median_ms=None):
    ms = device.load(model, None) * 1e3
    return Profile(model=model, device=device.name, source="scratch-wait",
                   ops=[OpTime(name="wait", op_type="Wait", ms=ms)], runs=runs, profiled_total_ms=ms)
'''


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    (tmp_path / "plugin").mkdir()
    (tmp_path / "plugin" / "scratch_device.py").write_text(SCRATCH_DEVICE)
    monkeypatch.syspath_prepend(str(tmp_path / "plugin"))
    monkeypatch.setitem(DEVICES, "scratch", "scratch_device:ScratchDevice")  # the one registration line
    return tmp_path


def test_a_one_file_device_is_picked_up_everywhere(run_cli, scratch):
    db = scratch / "r.sqlite"
    code, out, err = run_cli(["devices", "--json"])
    (me,) = [d for d in json.loads(out) if d["name"] == "scratch"]
    assert code == 0 and me["available"] and me["options"] == "delay_us (int), fuse (bool)"

    # bench, with an option declared by the device alone
    base = ["bench", "-m", "timm:test_vit", "-d", "scratch", "--protocol", "quick", "--db", str(db)]
    code, out, err = run_cli(base + ["--device-option", "delay_us=1000", "--json"])
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["target"] == "scratch/spin/1000us" and row["status"] == "ok"
    assert 0.9 <= row["min_ms"] and row["median_ms"] < 50  # it waited 1 ms per inference
    code, _, err = run_cli(base + ["-O", "delay=3"])
    assert code == 2 and "device 'scratch' has no option 'delay' (its options: delay_us, fuse)" in err
    code, _, err = run_cli(base + ["-O", "delay_us=0"])
    assert code == 2 and "must be >= 1" in err and len(err.strip().splitlines()) == 1

    # compare: the unfused graph comes from the device's declared from_export option
    code, out, err = run_cli(
        ["compare", "mobileone_s0@scratch", "mobileone_s0:unfused@scratch", "--rounds", "12", "--inferences", "3"]
        + ["--db", str(db), "--json"]
    )
    assert code == 0, err
    res = json.loads(out)
    assert res["verdict"] == "faster" and res["ratio"] < 0.8

    # profile: the device names its own profiler
    code, out, err = run_cli(["profile", "-m", "s0", "-d", "scratch", "-O", "delay_us=500", "--db", str(db), "--json"])
    assert code == 0, err
    prof = json.loads(out)
    assert prof["source"] == "scratch-wait" and prof["ops"][0]["ms"] == pytest.approx(0.5)

    # run (the main job), then analyze and report on its store
    out_dir = scratch / "results"
    code, out, err = run_cli(
        ["run", "-m", "timm:test_vit", "-d", "scratch", "-O", "delay_us=700", "--no-unfused", "--out", str(out_dir)]
    )
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if "timm:test_vit" in ln and "scratch/spin/700us" in ln)
    cells = [c.strip() for c in re.split(r"[│|]", line) if c.strip()]
    assert 0.6 < float(cells[4]) < 50  # its median, measured: 0.7 ms of waiting
    run_db = out_dir / "mobench.sqlite"
    code, out, err = run_cli(["analyze", "--device", "scratch", "--db", str(run_db), "--json"])
    assert code == 0, err
    lat = json.loads(out)["latency_ms"]
    assert any(k.startswith("scratch/spin/700us") for k in lat)
    code, out, err = run_cli(["report", "--device", "scratch", "--db", str(run_db), "--out", str(scratch / "rep")])
    assert code == 0, err
    assert "scratch/spin/700us" in (scratch / "rep" / "report.html").read_text()
