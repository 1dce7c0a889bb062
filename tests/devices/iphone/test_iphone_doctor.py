"""`mobench ios doctor`: every step of the chain, driven through fakes of the
subprocess runner and the usbmux listing (no Mac, no phone needed)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from typing import Any

import pytest
from typer.testing import CliRunner

from mobench.core.errors import DeviceError
from mobench.devices.iphone import doctor
from mobench.devices.iphone.discovery import IPhoneStatus, readiness
from mobench.devices.iphone.doctor import DoctorEnv, StepStatus, diagnose

BUNDLE = "org.mobench.harness"
UDID = "00008101-000A1234"
PMD = ["pymobiledevice3"]


class FakeRunner:
    """Answers argv prefixes with (returncode, stdout, stderr); records every call and its timeout."""

    def __init__(self, answers: dict[tuple[str, ...], tuple[int, str, str]]):
        self.answers = answers
        self.calls: list[tuple[list[str], float]] = []

    def __call__(self, argv: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
        self.calls.append((list(argv), timeout))
        for prefix, (rc, out, err) in self.answers.items():
            if tuple(argv[: len(prefix)]) == prefix:
                return subprocess.CompletedProcess(list(argv), rc, out, err)
        return subprocess.CompletedProcess(list(argv), 127, "", f"{argv[0]}: command not found")


def phone(**kw: Any) -> IPhoneStatus:
    values: dict[str, Any] = {"udid": UDID, "connection": "USB", "model_identifier": "iPhone13,2"}
    values |= {"model_name": "iPhone 12", "os_version": "17.5", "paired": True, "developer_mode": True}
    values |= kw
    return readiness(IPhoneStatus(**values), tunneld_udids=None)


def ready_answers(extra: dict | None = None) -> dict:
    answers = {
        ("xcode-select", "-p"): (0, "/Applications/Xcode.app/Contents/Developer\n", ""),
        ("xcodebuild", "-version"): (0, "Xcode 16.2\nBuild version 16C5032a\n", ""),
        ("xcrun", "devicectl", "--version"): (0, "397.24\n", ""),
        ("security", "find-identity"): (
            0,
            '  1) 0123ABCD "Apple Development: Jane Doe (XYZ9876543)"\n     1 valid identities found\n',
            "",
        ),
        (*PMD, "mounter", "list"): (0, json.dumps([{"ImageSignature": "ab"}]), ""),
        (*PMD, "apps", "query"): (0, json.dumps({BUNDLE: {"CFBundleShortVersionString": "1.0"}}), ""),
    }
    answers.update(extra or {})
    return answers


def env(
    system: str = "Darwin",
    phones: Any = None,
    runner: Any = None,
    pmd_version: str | None = "4.20.0",
    team: str | None = None,
) -> DoctorEnv:
    listed = [phone()] if phones is None else phones

    def list_phones(udid):
        if isinstance(listed, Exception):
            raise listed
        return [p for p in listed if udid in (None, p.udid)]

    return DoctorEnv(
        system=system,
        release="6.1" if system == "Linux" else "24.1.0",
        mac_version="15.1" if system == "Darwin" else "",
        runner=runner or FakeRunner(ready_answers()),
        list_phones=list_phones,
        package_version=lambda name: pmd_version,
        pymobiledevice3=list(PMD),
        team=team,
    )


def by_name(report):
    return {s.name: s for s in report.steps}


ORDER = [
    "host",
    "xcode",
    "pymobiledevice3",
    "iphone",
    "developer mode",
    "developer disk image",
    "ios 17 tunnel",
    "signing team",
    "harness app",
]


def test_a_ready_mac_and_phone_pass_every_step_in_order():
    runner = FakeRunner(ready_answers())
    report = diagnose(env(runner=runner), bundle_id=BUNDLE)
    assert [s.name for s in report.steps] == ORDER
    assert report.ok, [s for s in report.steps if s.blocks]
    steps = by_name(report)
    assert "Xcode 16.2" in steps["xcode"].detail
    assert steps["pymobiledevice3"].detail == "pymobiledevice3 4.20.0"
    assert "iPhone 12, iOS 17.5" in steps["iphone"].detail
    assert steps["ios 17 tunnel"].detail == "automatic (userspace)"
    assert "Apple Development: Jane Doe" in steps["signing team"].detail
    assert steps["harness app"].detail == f"{BUNDLE} installed (version 1.0)"
    # the probes ran with the phone's UDID, the bundle id and a timeout
    argvs = [argv for argv, _ in runner.calls]
    assert [*PMD, "mounter", "list", "--udid", UDID] in argvs
    assert [*PMD, "apps", "query", BUNDLE, "--udid", UDID] in argvs
    assert all(0 < t <= 60 for _, t in runner.calls)


def test_linux_without_usbmuxd_reports_each_missing_step_with_its_fix():
    report = diagnose(env(system="Linux", phones=DeviceError("cannot reach usbmuxd: ...")))
    assert not report.ok
    steps = by_name(report)
    assert steps["host"].status is StepStatus.OK and "pymobiledevice3" in steps["host"].detail
    assert steps["xcode"].status is StepStatus.NOT_APPLICABLE
    assert steps["signing team"].status is StepStatus.NOT_APPLICABLE
    assert steps["iphone"].status is StepStatus.MISSING
    assert steps["iphone"].fix == "sudo apt install usbmuxd && sudo systemctl start usbmuxd"
    for name in ("developer mode", "developer disk image", "ios 17 tunnel", "harness app"):
        assert steps[name].status is StepStatus.UNCHECKED and steps[name].fix, name
    assert steps["harness app"].fix.endswith("pymobiledevice3 apps install MobenchHarness.ipa")
    assert json.loads(json.dumps(report.to_dict()))["ok"] is False


@pytest.mark.parametrize(
    ("answers", "detail", "fix"),
    [
        (
            {("xcode-select", "-p"): (2, "", "error: unable to get active developer directory")},
            "no command-line tools",
            "xcode-select --install",
        ),
        (
            {("xcodebuild", "-version"): (1, "", "xcode-select: error: tool 'xcodebuild' requires Xcode")},
            "requires Xcode",
            "sudo xcode-select -s /Applications/Xcode.app/Contents/Developer",
        ),
        ({("xcodebuild", "-version"): (0, "Xcode 15.4\n", "")}, "needs Xcode 16+", "App Store"),
    ],
)
def test_xcode_problems_name_their_fix(answers, detail, fix):
    step = by_name(diagnose(env(runner=FakeRunner(ready_answers(answers)))))["xcode"]
    assert step.status is StepStatus.MISSING
    assert detail in step.detail and fix in step.fix


def test_no_pymobiledevice3_blocks_the_phone_steps():
    report = diagnose(env(pmd_version=None))
    steps = by_name(report)
    assert steps["pymobiledevice3"].status is StepStatus.MISSING
    assert steps["pymobiledevice3"].fix == "pip install 'pymobiledevice3>=4.20'"
    assert steps["iphone"].status is StepStatus.UNCHECKED


def test_no_phone_and_an_unknown_udid():
    assert by_name(diagnose(env(phones=[])))["iphone"].detail == "no iPhone attached over USB"
    step = by_name(diagnose(env(), udid="0000-OTHER"))["iphone"]
    assert step.status is StepStatus.MISSING and "0000-OTHER" in step.detail


def test_an_unpaired_phone_is_missing_and_the_rest_wait_for_it():
    steps = by_name(diagnose(env(phones=[phone(paired=False, developer_mode=None)])))
    assert steps["iphone"].status is StepStatus.MISSING
    assert steps["iphone"].fix == "pymobiledevice3 lockdown pair"
    assert steps["developer mode"].status is StepStatus.UNCHECKED


def test_developer_mode_off_and_disk_image_not_mounted():
    runner = FakeRunner(ready_answers({(*PMD, "mounter", "list"): (0, "[]", "")}))
    steps = by_name(diagnose(env(runner=runner)))
    assert steps["developer disk image"].status is StepStatus.MISSING
    assert steps["developer disk image"].fix == "pymobiledevice3 mounter auto-mount"
    steps = by_name(diagnose(env(phones=[phone(developer_mode=False)])))
    assert steps["developer mode"].status is StepStatus.MISSING
    assert steps["developer mode"].fix == "pymobiledevice3 amfi enable-developer-mode"
    assert steps["developer disk image"].status is StepStatus.UNCHECKED


def test_tunnel_states():
    assert by_name(diagnose(env(phones=[phone(os_version="17.2")])))["ios 17 tunnel"].fix == (
        "sudo pymobiledevice3 remote tunneld"
    )
    assert by_name(diagnose(env(phones=[phone(os_version="17.2")])))["ios 17 tunnel"].status is StepStatus.MISSING
    assert by_name(diagnose(env(phones=[phone(os_version="16.7")])))["ios 17 tunnel"].status is (
        StepStatus.NOT_APPLICABLE
    )


def test_signing_team_from_the_option_or_the_keychain():
    no_identity = FakeRunner(ready_answers({("security", "find-identity"): (0, "0 valid identities found\n", "")}))
    step = by_name(diagnose(env(runner=no_identity)))["signing team"]
    assert step.status is StepStatus.MISSING and "mobench ios build --team TEAM_ID" in step.fix
    assert by_name(diagnose(env(runner=no_identity, team="ABCDE12345")))["signing team"].detail == "team ABCDE12345"


def test_harness_app_missing_or_unqueryable():
    runner = FakeRunner(ready_answers({(*PMD, "apps", "query"): (0, "{}", "")}))
    step = by_name(diagnose(env(runner=runner), bundle_id=BUNDLE))["harness app"]
    assert step.status is StepStatus.MISSING and step.fix == "mobench ios build --team TEAM_ID"
    runner = FakeRunner(ready_answers({(*PMD, "apps", "query"): (1, "", "ERROR Device is locked")}))
    step = by_name(diagnose(env(runner=runner)))["harness app"]
    assert step.status is StepStatus.UNCHECKED and "Device is locked" in step.detail


def test_run_quietly_turns_a_missing_program_into_a_result():
    proc = doctor.run_quietly(["definitely-not-a-program-mobench"], timeout=5)
    assert proc.returncode == 127 and "not found" in proc.stderr


def test_cli_prints_json_and_exits_1_while_a_step_is_missing(monkeypatch):
    from mobench.cli import app

    monkeypatch.setattr(doctor, "DoctorEnv", lambda: env(system="Linux", phones=DeviceError("cannot reach usbmuxd")))
    result = CliRunner().invoke(app, ["ios", "doctor", "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert [s["name"] for s in data["steps"]] == ORDER
    assert {s["status"] for s in data["steps"]} == {"ok", "n/a", "missing", "unchecked"}
    result = CliRunner().invoke(app, ["ios", "doctor"])
    assert result.exit_code == 1
    assert "missing" in result.stdout and "sudo apt install usbmuxd" in result.stdout


def test_cli_exits_0_when_everything_is_ready(monkeypatch):
    from mobench.cli import app

    monkeypatch.setattr(doctor, "DoctorEnv", lambda: env())
    result = CliRunner().invoke(app, ["ios", "doctor"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("ok") >= 9
