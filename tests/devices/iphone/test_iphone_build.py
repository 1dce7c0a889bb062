"""`mobench ios build`: the exact xcodebuild / devicectl command lines, and the
one-line errors for no Mac, no Xcode, no team and no phone (a fake runner
stands in for the tools; nothing is built here)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from iphone_helpers import run_cli

from mobench.core.errors import DeviceError, UsageError
from mobench.devices.iphone import build as ios_build
from mobench.devices.iphone.build import build_and_install, build_commands, default_harness_dir, resolve_team

UDID = "00008101-000A1234"
TEAM = "ABCDE12345"


def devicectl_json(*devices: dict) -> str:
    return json.dumps({"result": {"devices": list(devices)}})


IPHONE = {
    "identifier": "5F1C0000-AAAA-BBBB-CCCC-000000000001",
    "hardwareProperties": {"udid": UDID, "platform": "iOS", "reality": "physical"},
    "connectionProperties": {"tunnelState": "connected", "pairingState": "paired"},
}
OFFLINE = {
    "identifier": "OFFLINE",
    "hardwareProperties": {"udid": "0000-OFFLINE", "platform": "iOS", "reality": "physical"},
    "connectionProperties": {"tunnelState": "unavailable"},
}
WATCH = {"identifier": "W", "hardwareProperties": {"udid": "0000-WATCH", "platform": "watchOS"}}


class FakeTools:
    """xcodebuild / xcrun answered from a table; devicectl's --json-output file is written."""

    def __init__(
        self, *, xcode: str | None = "Xcode 16.2\nBuild version 16C5032a\n", devices=(IPHONE,), fail: dict | None = None
    ):
        self.xcode = xcode
        self.devices = devices
        self.fail = fail or {}
        self.calls: list[tuple[list[str], float]] = []

    def __call__(self, argv: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
        argv = list(argv)
        self.calls.append((argv, timeout))
        for word, (out, err) in self.fail.items():
            if word in argv:
                return subprocess.CompletedProcess(argv, 65, out, err)
        if argv[:2] == ["xcodebuild", "-version"]:
            if self.xcode is None:
                return subprocess.CompletedProcess(argv, 127, "", "xcodebuild: command not found")
            return subprocess.CompletedProcess(argv, 0, self.xcode, "")
        if argv[:4] == ["xcrun", "devicectl", "list", "devices"]:
            Path(argv[argv.index("--json-output") + 1]).write_text(devicectl_json(*self.devices))
        return subprocess.CompletedProcess(argv, 0, "", "")


def test_the_command_lines(tmp_path):
    cmds = build_commands(harness_dir=tmp_path / "ios_harness", team=TEAM, udid=UDID, derived_data=tmp_path / "dd")
    assert list(cmds.build) == [
        "xcodebuild",
        "-project",
        str(tmp_path / "ios_harness" / "MobenchHarness.xcodeproj"),
        "-scheme",
        "MobenchHarness",
        "-configuration",
        "Release",
        "-destination",
        f"platform=iOS,id={UDID}",
        "-derivedDataPath",
        str(tmp_path / "dd"),
        "-allowProvisioningUpdates",
        f"DEVELOPMENT_TEAM={TEAM}",
        "CODE_SIGN_STYLE=Automatic",
        "build",
    ]
    app = tmp_path / "dd" / "Build" / "Products" / "Release-iphoneos" / "MobenchHarness.app"
    assert cmds.app_path == app
    assert list(cmds.install) == ["xcrun", "devicectl", "device", "install", "app", "--device", UDID, str(app)]
    own = build_commands(
        harness_dir=tmp_path,
        team=TEAM,
        udid=UDID,
        derived_data=tmp_path,
        configuration="Debug",
        bundle_id="org.mobench.harness.jane",
    )
    assert own.build[-2:] == ("PRODUCT_BUNDLE_IDENTIFIER=org.mobench.harness.jane", "build")
    assert "Debug-iphoneos" in str(own.app_path)


def test_build_and_install_runs_the_commands_in_order_with_timeouts(tmp_path):
    tools = FakeTools(devices=(WATCH, OFFLINE, IPHONE))
    steps: list[str] = []
    result = build_and_install(
        team=TEAM,
        harness_dir=default_harness_dir(),
        derived_data=tmp_path / "dd",
        system="Darwin",
        runner=tools,
        on_step=steps.append,
    )
    assert result.udid == UDID and result.installed
    argvs = [argv for argv, _ in tools.calls]
    assert argvs[0] == ["xcodebuild", "-version"]
    assert argvs[1][:5] == ["xcrun", "devicectl", "list", "devices", "--json-output"]
    assert argvs[2][0] == "xcodebuild" and f"platform=iOS,id={UDID}" in argvs[2]
    assert argvs[3][:6] == ["xcrun", "devicectl", "device", "install", "app", "--device"]
    assert [t for _, t in tools.calls][2:] == [ios_build.BUILD_TIMEOUT, ios_build.INSTALL_TIMEOUT]
    assert "Xcode 16.2" in steps[0] and TEAM in steps[0]
    tools = FakeTools()
    assert not build_and_install(team=TEAM, system="Darwin", runner=tools, install=False).installed
    assert not any("install" in argv for argv, _ in tools.calls)


def test_not_on_a_mac():
    with pytest.raises(DeviceError, match="needs macOS with Xcode 16"):
        build_and_install(team=TEAM, system="Linux", runner=FakeTools())


def test_no_xcode():
    with pytest.raises(DeviceError, match=r"Xcode not found .*xcode-select -s"):
        build_and_install(team=TEAM, system="Darwin", runner=FakeTools(xcode=None))


def test_no_team(monkeypatch):
    monkeypatch.delenv("MOBENCH_IOS_TEAM", raising=False)
    with pytest.raises(UsageError, match="no signing team: pass --team TEAM_ID"):
        build_and_install(team=None, system="Darwin", runner=FakeTools())
    with pytest.raises(UsageError, match="bad team ID"):
        resolve_team("abc")
    monkeypatch.setenv("MOBENCH_IOS_TEAM", TEAM)
    assert resolve_team(None) == TEAM


def test_no_phone():
    with pytest.raises(DeviceError, match="no connected iPhone in `xcrun devicectl list devices`"):
        build_and_install(team=TEAM, system="Darwin", runner=FakeTools(devices=(OFFLINE, WATCH)))
    with pytest.raises(DeviceError, match="no iPhone with id 0000-NOPE"):
        build_and_install(team=TEAM, udid="0000-NOPE", system="Darwin", runner=FakeTools())


def test_a_failed_build_carries_the_tools_message():
    tools = FakeTools(
        fail={"build": ("", "error: No profiles for 'org.mobench.harness' were found\n** BUILD FAILED **")}
    )
    with pytest.raises(DeviceError, match="xcodebuild failed: error: No profiles for 'org.mobench.harness'"):
        build_and_install(team=TEAM, system="Darwin", runner=tools)


def test_cli_errors_are_one_line(monkeypatch, capsys):
    monkeypatch.delenv("MOBENCH_IOS_TEAM", raising=False)
    monkeypatch.setattr("platform.system", lambda: "Darwin")
    code, _out, err = run_cli(["ios", "build"], capsys)
    assert code != 0
    assert "no signing team: pass --team TEAM_ID" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    monkeypatch.setattr("platform.system", lambda: "Linux")
    code, _out, err = run_cli(["ios", "build", "--team", TEAM], capsys)
    assert code != 0 and "needs macOS with Xcode 16+" in err and len(err.strip().splitlines()) == 1
