"""``mobench ios doctor``: the chain a first iPhone run needs, checked in order.

Host OS -> Xcode and its command-line tools (macOS) -> pymobiledevice3 -> a
connected, paired phone -> Developer Mode -> the developer disk image -> the
iOS 17 tunnel -> a signing team (macOS) -> the harness app installed. Each step
is a :class:`Step`: ok, missing (with the one command that fixes it), not
applicable on this host, or unchecked because an earlier step is missing.

Everything the checks touch goes through :class:`DoctorEnv` (the platform, a
subprocess runner, the usbmux listing of :mod:`.discovery`, package versions),
so the tests drive every branch with fakes. The phone's state comes from the
same code as ``mobench ios devices``; the disk image and the installed app from
pymobiledevice3's command line (``mounter list``, ``apps query``), the same tool
the USB transport drives.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Protocol

from ...core.errors import DeviceError, one_line
from .constants import default_bundle_id
from .discovery import IPhoneStatus, _version

#: Xcode 16 is the first with the Swift 6 language mode the harness is written in.
MIN_XCODE = (16,)
TEAM_ENV = "MOBENCH_IOS_TEAM"


class StepStatus(str, Enum):
    OK = "ok"
    MISSING = "missing"
    NOT_APPLICABLE = "n/a"
    UNCHECKED = "unchecked"  # an earlier step is missing, so this one cannot be checked yet


@dataclass(frozen=True)
class Step:
    """One link of the chain: what was found and, unless ok, the command that fixes it."""

    name: str
    status: StepStatus
    detail: str
    fix: str = ""

    @property
    def blocks(self) -> bool:
        return self.status in (StepStatus.MISSING, StepStatus.UNCHECKED)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = self.status.value
        return out


@dataclass(frozen=True)
class DoctorReport:
    steps: tuple[Step, ...]

    @property
    def ok(self) -> bool:
        return not any(s.blocks for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "steps": [s.to_dict() for s in self.steps]}


class Runner(Protocol):
    def __call__(self, argv: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[str]: ...


def run_quietly(argv: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a probe; a missing program or a timeout becomes a failed result, never an exception."""
    try:
        return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        return subprocess.CompletedProcess(list(argv), 127, "", f"{argv[0]}: command not found")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(list(argv), 124, "", f"{argv[0]}: no answer within {timeout:.0f} s")


def _package_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _list_phones(udid: str | None) -> list[IPhoneStatus]:
    from .discovery import list_iphones

    return list_iphones(udid)


def _pymobiledevice3() -> list[str]:
    found = shutil.which("pymobiledevice3")
    return [found] if found else [sys.executable, "-m", "pymobiledevice3"]


@dataclass
class DoctorEnv:
    """What the checks read; the defaults are the real machine."""

    system: str = field(default_factory=platform.system)
    release: str = field(default_factory=platform.release)
    mac_version: str = field(default_factory=lambda: platform.mac_ver()[0])
    runner: Runner = run_quietly
    list_phones: Callable[[str | None], list[IPhoneStatus]] = _list_phones
    package_version: Callable[[str], str | None] = _package_version
    pymobiledevice3: list[str] = field(default_factory=_pymobiledevice3)
    team: str | None = field(default_factory=lambda: os.environ.get(TEAM_ENV) or None)

    @property
    def is_mac(self) -> bool:
        return self.system == "Darwin"


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in (text or "").splitlines() if ln.strip()), "")


def _json_in(text: str) -> Any:
    """The JSON value a pymobiledevice3 command printed (it may log lines before it)."""
    starts = [i for i in (text.find("["), text.find("{")) if i >= 0]
    if not starts:
        raise ValueError("no JSON in the output")
    return json.loads(text[min(starts) :])


# -- the steps ------------------------------------------------------------------------------


def check_host(env: DoctorEnv) -> Step:
    if env.is_mac:
        return Step("host", StepStatus.OK, f"macOS {env.mac_version or env.release}: build, sign and run")
    if env.system in ("Linux", "Windows"):
        return Step(
            "host",
            StepStatus.OK,
            f"{env.system} {env.release}: runs the app over USB with pymobiledevice3; building it needs a Mac",
        )
    return Step("host", StepStatus.MISSING, f"{env.system or 'unknown OS'} is not supported", "use macOS or Linux")


def check_xcode(env: DoctorEnv) -> Step:
    name = "xcode"
    if not env.is_mac:
        return Step(name, StepStatus.NOT_APPLICABLE, "Xcode runs on macOS only (build the app on a Mac)")
    select = env.runner(["xcode-select", "-p"], timeout=20)
    if select.returncode != 0:
        return Step(
            name, StepStatus.MISSING, "no command-line tools (xcode-select -p failed)", "xcode-select --install"
        )
    fix_xcode = (
        "install Xcode 16+ from the App Store, then: sudo xcode-select -s /Applications/Xcode.app/Contents/Developer"
    )
    version = env.runner(["xcodebuild", "-version"], timeout=60)
    if version.returncode != 0:
        why = _first_line(version.stderr) or _first_line(version.stdout) or "xcodebuild failed"
        return Step(name, StepStatus.MISSING, f"{why} (developer dir {_first_line(select.stdout)})", fix_xcode)
    first = _first_line(version.stdout)  # "Xcode 16.2"
    found = _version(first.split()[-1] if first else "")
    if not found or found < MIN_XCODE:
        return Step(name, StepStatus.MISSING, f"{first or 'unknown Xcode'}: the harness needs Xcode 16+", fix_xcode)
    devicectl = env.runner(["xcrun", "devicectl", "--version"], timeout=60)
    tools = "devicectl " + _first_line(devicectl.stdout) if devicectl.returncode == 0 else "no devicectl"
    return Step(name, StepStatus.OK, f"{first}, {_first_line(select.stdout)}, {tools}")


def check_pymobiledevice3(env: DoctorEnv) -> Step:
    version = env.package_version("pymobiledevice3")
    if version is None:
        return Step("pymobiledevice3", StepStatus.MISSING, "not installed", "pip install 'pymobiledevice3>=4.20'")
    return Step("pymobiledevice3", StepStatus.OK, f"pymobiledevice3 {version}")


def find_phone(env: DoctorEnv, udid: str | None) -> tuple[Step, IPhoneStatus | None]:
    name = "iphone"
    fix_usbmux = (
        "sudo apt install usbmuxd && sudo systemctl start usbmuxd"
        if env.system == "Linux"
        else "connect the iPhone by USB, unlock it and tap Trust"
    )
    try:
        phones = env.list_phones(udid)
    except DeviceError as exc:
        return Step(name, StepStatus.MISSING, one_line(exc), fix_usbmux), None
    if not phones:
        what = f"no iPhone with UDID {udid}" if udid else "no iPhone attached over USB"
        return Step(name, StepStatus.MISSING, what, "connect the iPhone by USB, unlock it and tap Trust"), None
    phone = phones[0]
    label = f"{phone.model_name or phone.model_identifier or 'iPhone'}, iOS {phone.os_version or '?'}, {phone.udid}"
    if len(phones) > 1:
        label += f" (first of {len(phones)}; choose with --udid)"
    if phone.paired is False:
        return Step(name, StepStatus.MISSING, f"{label}: not paired or locked", "pymobiledevice3 lockdown pair"), phone
    return Step(name, StepStatus.OK, f"{label}: paired"), phone


def _needs(name: str, earlier: str, fix: str) -> Step:
    return Step(name, StepStatus.UNCHECKED, f"needs the {earlier} step first", fix)


def check_developer_mode(phone: IPhoneStatus | None) -> Step:
    name, fix = "developer mode", "pymobiledevice3 amfi enable-developer-mode"
    if phone is None or phone.paired is False:
        return _needs(name, "iphone", fix)
    if _version(phone.os_version) and _version(phone.os_version) < (16,):
        return Step(name, StepStatus.NOT_APPLICABLE, f"iOS {phone.os_version} has no Developer Mode")
    if phone.developer_mode is True:
        return Step(name, StepStatus.OK, "on")
    if phone.developer_mode is False:
        return Step(name, StepStatus.MISSING, "off (launching the app needs it)", fix)
    return Step(name, StepStatus.UNCHECKED, "the phone did not say", fix)


def check_disk_image(env: DoctorEnv, phone: IPhoneStatus | None) -> Step:
    name, fix = "developer disk image", "pymobiledevice3 mounter auto-mount"
    if phone is None or phone.paired is False:
        return _needs(name, "iphone", fix)
    if phone.developer_mode is False:
        return _needs(name, "developer mode", fix)
    proc = env.runner([*env.pymobiledevice3, "mounter", "list", "--udid", phone.udid], timeout=60)
    if proc.returncode != 0:
        why = _first_line(proc.stderr) or f"exit code {proc.returncode}"
        return Step(name, StepStatus.UNCHECKED, f"pymobiledevice3 mounter list failed: {why}", fix)
    try:
        images = _json_in(proc.stdout)
    except ValueError:
        return Step(name, StepStatus.UNCHECKED, "pymobiledevice3 mounter list printed no JSON", fix)
    if not images:
        return Step(name, StepStatus.MISSING, "not mounted (launching the app needs it)", fix)
    return Step(name, StepStatus.OK, f"{len(images)} image(s) mounted")


def check_tunnel(phone: IPhoneStatus | None) -> Step:
    name, fix = "ios 17 tunnel", "sudo pymobiledevice3 remote tunneld"
    if phone is None or phone.paired is False:
        return _needs(name, "iphone", fix)
    if phone.tunnel == "not needed":
        return Step(name, StepStatus.NOT_APPLICABLE, f"iOS {phone.os_version or '?'} needs no tunnel")
    if phone.tunnel in ("automatic (userspace)", "tunneld running"):
        return Step(name, StepStatus.OK, phone.tunnel)
    if phone.tunnel == "needs tunneld":
        return Step(name, StepStatus.MISSING, f"iOS {phone.os_version} (17.0-17.3) needs tunneld running", fix)
    return Step(name, StepStatus.UNCHECKED, f"tunnel state {phone.tunnel}", fix)


_IDENTITY = re.compile(r'"(Apple Development|iPhone Developer|Apple Distribution)[^"]*"')


def check_signing(env: DoctorEnv) -> Step:
    name = "signing team"
    fix = "Xcode > Settings > Accounts: add your Apple ID (a free one works), then mobench ios build --team TEAM_ID"
    if not env.is_mac:
        return Step(name, StepStatus.NOT_APPLICABLE, "signing happens on the Mac that builds the app")
    if env.team:
        return Step(name, StepStatus.OK, f"team {env.team}")
    proc = env.runner(["security", "find-identity", "-v", "-p", "codesigning"], timeout=30)
    identities = _IDENTITY.findall(proc.stdout or "") if proc.returncode == 0 else []
    if not identities:
        return Step(name, StepStatus.MISSING, "no Apple Development signing identity in the keychain", fix)
    first = _IDENTITY.search(proc.stdout).group(0).strip('"')  # type: ignore[union-attr]
    return Step(
        name,
        StepStatus.OK,
        f"{len(identities)} identity(ies), e.g. {first}; pass its team to `mobench ios build --team TEAM_ID` (or ${TEAM_ENV})",
    )


def check_app(env: DoctorEnv, phone: IPhoneStatus | None, bundle_id: str) -> Step:
    name = "harness app"
    fix = (
        "mobench ios build --team TEAM_ID"
        if env.is_mac
        else "build it on a Mac (mobench ios build --team TEAM_ID), or: pymobiledevice3 apps install MobenchHarness.ipa"
    )
    if phone is None or phone.paired is False:
        return _needs(name, "iphone", fix)
    proc = env.runner([*env.pymobiledevice3, "apps", "query", bundle_id, "--udid", phone.udid], timeout=60)
    if proc.returncode != 0:
        why = _first_line(proc.stderr) or f"exit code {proc.returncode}"
        return Step(name, StepStatus.UNCHECKED, f"pymobiledevice3 apps query failed: {why}", fix)
    try:
        apps = _json_in(proc.stdout)
    except ValueError:
        return Step(name, StepStatus.UNCHECKED, "pymobiledevice3 apps query printed no JSON", fix)
    info = apps.get(bundle_id) if isinstance(apps, dict) else None
    if not info:
        return Step(name, StepStatus.MISSING, f"{bundle_id} is not installed", fix)
    version = info.get("CFBundleShortVersionString") if isinstance(info, dict) else None
    return Step(name, StepStatus.OK, f"{bundle_id} installed" + (f" (version {version})" if version else ""))


def diagnose(env: DoctorEnv | None = None, *, udid: str | None = None, bundle_id: str | None = None) -> DoctorReport:
    """Every step, in the order a user fixes them."""
    env = env or DoctorEnv()
    bundle = bundle_id or default_bundle_id()
    steps = [check_host(env), check_xcode(env), check_pymobiledevice3(env)]
    if steps[-1].status is StepStatus.OK:
        phone_step, phone = find_phone(env, udid)
    else:
        phone_step, phone = (
            _needs("iphone", "pymobiledevice3", "connect the iPhone by USB, unlock it and tap Trust"),
            None,
        )
    steps += [
        phone_step,
        check_developer_mode(phone),
        check_disk_image(env, phone),
        check_tunnel(phone),
        check_signing(env),
        check_app(env, phone, bundle),
    ]
    return DoctorReport(tuple(steps))
