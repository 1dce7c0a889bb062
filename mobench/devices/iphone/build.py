"""``mobench ios build``: build the harness app for the connected iPhone and install it (macOS).

The two commands of ios_harness/README.md, run for the user: ``xcodebuild``
for the phone (automatic signing with the given team, provisioning updates
allowed, as coremltools' remote-device runner builds its app), then ``xcrun
devicectl device install app``. The phone comes from ``xcrun devicectl list
devices`` (its JSON output file) unless ``--udid`` names it. Every command is
built by a pure function (:func:`build_commands`) so its exact argument list is
tested, and run with a timeout through a runner whose failure carries the
tool's stderr.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...core.errors import DeviceError, UsageError
from .constants import BUNDLE_ID, default_bundle_id
from .doctor import TEAM_ENV, Runner, run_quietly
from .transport import _check_bundle_id, next_step

SCHEME = "MobenchHarness"
PROJECT = "MobenchHarness.xcodeproj"
APP = "MobenchHarness.app"
BUILD_TIMEOUT = 3600.0  # a first build with provisioning can take many minutes
INSTALL_TIMEOUT = 600.0
_TEAM = re.compile(r"[A-Z0-9]{10}")


@dataclass(frozen=True)
class BuildCommands:
    """What ``mobench ios build`` runs, in order, and where the app ends up."""

    build: tuple[str, ...]
    install: tuple[str, ...]
    app_path: Path


@dataclass(frozen=True)
class BuildResult:
    udid: str
    app_path: Path
    installed: bool


def default_harness_dir() -> Path:
    """ios_harness/ of the mobench checkout this package runs from."""
    return Path(__file__).resolve().parents[3] / "ios_harness"


def resolve_team(team: str | None) -> str:
    """``--team`` or ``$MOBENCH_IOS_TEAM``: a 10-character Apple team ID."""
    value = (team or os.environ.get(TEAM_ENV) or "").strip()
    if not value:
        raise UsageError(
            f"no signing team: pass --team TEAM_ID (or set {TEAM_ENV}); the ID is in Xcode > Settings > Accounts "
            "> your Apple ID > team (a free Apple ID works)"
        )
    if not _TEAM.fullmatch(value):
        raise UsageError(f"bad team ID {value!r}: an Apple team ID is 10 capital letters and digits, e.g. ABCDE12345")
    return value


def build_commands(
    *,
    harness_dir: Path,
    team: str,
    udid: str,
    derived_data: Path,
    configuration: str = "Release",
    bundle_id: str = BUNDLE_ID,
) -> BuildCommands:
    """The xcodebuild and devicectl command lines for one phone (pure; nothing runs)."""
    build = [
        "xcodebuild",
        "-project",
        str(harness_dir / PROJECT),
        "-scheme",
        SCHEME,
        "-configuration",
        configuration,
        "-destination",
        f"platform=iOS,id={udid}",
        "-derivedDataPath",
        str(derived_data),
        "-allowProvisioningUpdates",
        f"DEVELOPMENT_TEAM={team}",
        "CODE_SIGN_STYLE=Automatic",
    ]
    if bundle_id != BUNDLE_ID:
        build.append(f"PRODUCT_BUNDLE_IDENTIFIER={bundle_id}")
    build.append("build")
    app_path = derived_data / "Build" / "Products" / f"{configuration}-iphoneos" / APP
    install = ("xcrun", "devicectl", "device", "install", "app", "--device", udid, str(app_path))
    return BuildCommands(tuple(build), install, app_path)


def _run(runner: Runner, argv: Sequence[str], *, timeout: float, what: str) -> subprocess.CompletedProcess[str]:
    proc = runner(argv, timeout=timeout)
    if proc.returncode != 0:
        text = (proc.stderr or "") + "\n" + (proc.stdout or "")
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower()]
        msg = (errors or lines or [f"exit code {proc.returncode}"])[-1][:400]
        advice = next_step(text)
        raise DeviceError(f"{what} failed: {msg}" + (f"; next step: {advice}" if advice else ""))
    return proc


def check_xcode(runner: Runner) -> str:
    """``Xcode 16.x`` or DeviceError with the fix."""
    proc = runner(["xcodebuild", "-version"], timeout=60)
    first = next((ln.strip() for ln in (proc.stdout or "").splitlines() if ln.strip()), "")
    if proc.returncode != 0 or not first.startswith("Xcode"):
        why = next((ln.strip() for ln in (proc.stderr or "").splitlines() if ln.strip()), "xcodebuild not found")
        raise DeviceError(
            f"Xcode not found ({why}): install Xcode 16+ from the App Store, then "
            "`sudo xcode-select -s /Applications/Xcode.app/Contents/Developer`"
        )
    return first


def connected_phone(runner: Runner, udid: str | None = None) -> str:
    """The UDID of the connected iPhone that ``xcrun devicectl list devices`` reports."""
    with tempfile.TemporaryDirectory(prefix="mobench-devicectl-") as tmp:
        out = Path(tmp) / "devices.json"
        _run(
            runner,
            ["xcrun", "devicectl", "list", "devices", "--json-output", str(out)],
            timeout=60,
            what="listing devices with devicectl",
        )
        try:
            devices = json.loads(out.read_text())["result"]["devices"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DeviceError(f"`xcrun devicectl list devices` wrote no usable JSON ({exc})") from exc
    phones = []
    for dev in devices:
        hw = dev.get("hardwareProperties") or {}
        conn = dev.get("connectionProperties") or {}
        if hw.get("platform") != "iOS" or hw.get("reality") == "virtual":
            continue
        ids = {hw.get("udid"), dev.get("identifier")}
        if udid and udid not in ids:
            continue
        if conn.get("tunnelState") == "unavailable" and not udid:
            continue  # known to Xcode but not connected now
        phones.append(hw.get("udid") or dev.get("identifier"))
    if not phones:
        what = f"no iPhone with id {udid}" if udid else "no connected iPhone"
        raise DeviceError(
            f"{what} in `xcrun devicectl list devices`: connect it by USB, unlock it and tap Trust "
            "(then check `mobench ios doctor`)"
        )
    return phones[0]


def build_and_install(
    *,
    team: str | None,
    udid: str | None = None,
    harness_dir: Path | None = None,
    derived_data: Path | None = None,
    configuration: str = "Release",
    bundle_id: str | None = None,
    install: bool = True,
    system: str | None = None,
    runner: Runner = run_quietly,
    on_step: Callable[[str], None] = lambda _msg: None,
) -> BuildResult:
    """Build the harness app for the connected phone and install it (macOS with Xcode 16+)."""
    import platform

    if (system or platform.system()) != "Darwin":
        raise DeviceError(
            "mobench ios build needs macOS with Xcode 16+; on Linux build on a Mac and install the .ipa with "
            "`pymobiledevice3 apps install MobenchHarness.ipa` (ios_harness/README.md)"
        )
    team_id = resolve_team(team)
    bundle = _check_bundle_id(bundle_id or default_bundle_id())
    harness = Path(harness_dir) if harness_dir else default_harness_dir()
    if not (harness / PROJECT).is_dir():
        raise UsageError(f"{harness / PROJECT} not found: run from a mobench checkout or pass --harness PATH")
    xcode = check_xcode(runner)
    phone = connected_phone(runner, udid)
    cmds = build_commands(
        harness_dir=harness,
        team=team_id,
        udid=phone,
        derived_data=Path(derived_data) if derived_data else harness / "build",
        configuration=configuration,
        bundle_id=bundle,
    )
    on_step(f"building {SCHEME} ({configuration}) with {xcode} for {phone}, team {team_id}")
    _run(runner, cmds.build, timeout=BUILD_TIMEOUT, what="xcodebuild")
    if not install:
        return BuildResult(phone, cmds.app_path, installed=False)
    on_step(f"installing {cmds.app_path.name} on {phone}")
    _run(runner, cmds.install, timeout=INSTALL_TIMEOUT, what="installing the app with devicectl")
    return BuildResult(phone, cmds.app_path, installed=True)
