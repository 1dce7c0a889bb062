"""On a real tethered iPhone with the harness app installed (skipped with the reason otherwise).

Run on a machine with a phone: ``pytest -m iphone tests/devices/iphone`` (set
``MOBENCH_IOS_UDID`` to pick one of several phones, ``MOBENCH_IOS_BUNDLE_ID`` for a
re-signed app).
"""

from __future__ import annotations

import os

import pytest

from mobench.core.errors import DeviceError


@pytest.fixture(scope="module")
def tethered_iphone():
    from mobench.devices.iphone.discovery import list_iphones

    udid = os.environ.get("MOBENCH_IOS_UDID")
    try:
        phones = list_iphones(udid, timeout=10)
    except DeviceError as exc:
        pytest.skip(f"no tethered iPhone: {exc}")
    ready = [p for p in phones if p.ready]
    if not ready:
        pytest.skip("no ready iPhone: " + ("; ".join(f"{p.udid}: {p.next_step}" for p in phones) or "none attached"))
    return ready[0]


@pytest.mark.iphone
def test_harness_app_is_installed_and_reachable(tethered_iphone, tmp_path):
    """The app's Documents open over AFC: a missing file is reported missing, not an access error."""
    from mobench.devices.iphone.transport import Pymobiledevice3Transport

    t = Pymobiledevice3Transport(tethered_iphone.udid)
    assert t.pull("no-such-file.json", tmp_path / "x.json") is False


@pytest.mark.iphone
def test_mobilenet_v3_small_on_the_phone(tethered_iphone, cli, tmp_path):
    db = tmp_path / "r.sqlite"
    code, out, err = cli(
        "ios",
        "run",
        "-m",
        "mobilenet_v3_small",
        "-c",
        "all,cpu",
        "--protocol",
        "quick",
        "--udid",
        tethered_iphone.udid,
        "--db",
        db,
        "-o",
        tmp_path / "plan",
        "--timeout",
        "900",
    )
    assert code == 0, err
    from mobench.results import load

    df = load(db)
    assert (df["device"] == "iphone").all() and (df["status"] == "ok").all()
    assert set(df["compute_units"]) == {"all", "cpuOnly"}
    assert (df["device_model"] == tethered_iphone.model_identifier).all()
