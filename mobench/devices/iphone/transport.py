"""How the host reaches the harness app's Documents folder and launches the app.

One interface, :class:`Transport`, with three implementations:

* :class:`Pymobiledevice3Transport`: Linux, macOS or Windows with a USB cable.
  Files through house_arrest + AFC (``pymobiledevice3 apps push/pull/rm --documents``),
  launch through DVT process control (``pymobiledevice3 developer dvt launch``; on
  iOS 17+ pymobiledevice3 brings up the tunnel it needs by itself, or pass ``tunnel``).
* :class:`DevicectlTransport`: a Mac with Xcode 15+ (``xcrun devicectl``).
* :class:`FolderTransport`: a local folder stands in for the app's Documents and
  "launching" runs a local command: the Swift command-line harness
  (``mobench-harness``, built from ios_harness/ with ``swift build``; the app's
  own session), the Python stand-in app of the tests, or any program that
  follows PROTOCOL.md.

Everything above the transport (plan, push, launch, poll ``progress.json``,
pull ``report.json``, validate, store) is the same for all three
(:mod:`mobench.devices.remote.session`). Every external command runs with an
argument list and a timeout; a failure raises :class:`~mobench.core.errors.DeviceError`
whose message carries the tool's own message and the next step to take.
"""

from __future__ import annotations

import abc
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...core.errors import DeviceError, UsageError
from .constants import BUNDLE_ID, default_bundle_id

# (pattern in the tool's output, what the user should do), first match wins.
_NEXT_STEPS: list[tuple[str, str]] = [
    (
        r"PasswordProtected|PasscodeRequired|device is locked|Locked",
        "unlock the iPhone and keep it unlocked while the harness runs",
    ),
    (
        r"PairingDialogResponsePending|NotTrusted|not trusted|Trust",
        "tap 'Trust' on the iPhone (and enter the passcode), then retry",
    ),
    (
        r"UserDeniedPairing|NotPaired|InvalidHostID|not paired|pairing",
        "pair the phone: unlock it, run `pymobiledevice3 lockdown pair` (or connect it to Xcode/Finder once) and tap 'Trust'",
    ),
    (
        r"DeveloperMode|developer mode|Developer Mode",
        "enable Developer Mode: `pymobiledevice3 amfi reveal-developer-mode`, then Settings > Privacy & Security > Developer Mode, reboot and confirm",
    ),
    (
        r"DeveloperDiskImage|NotMounted|InvalidService|image.*mount|mount.*image",
        "mount the developer disk image: `pymobiledevice3 mounter auto-mount`",
    ),
    (
        r"[Tt]unnel|RemoteServiceDiscovery|\bRSD\b|tunneld",
        "start the iOS 17 tunnel: `sudo pymobiledevice3 remote tunneld` (iOS 17.0-17.3) and pass --tunnel, or retry (17.4+ uses a userspace tunnel)",
    ),
    (
        r"ApplicationLookupFailed|AppNotInstalled|No app with bundle|not installed|application.*not found|Unable to locate",
        "install the harness app first (see ios_harness/README.md), or pass --bundle-id / set MOBENCH_IOS_BUNDLE_ID if you re-signed it under another id",
    ),
    (
        r"ConnectionFailedToUsbmuxd|usbmuxd",
        "start usbmuxd (Linux: `sudo systemctl start usbmuxd`) and connect the iPhone by USB",
    ),
    (
        r"NoDeviceConnected|DeviceNotFound|No device|no devices|not found.*device|device.*not found|Could not find",
        "connect the iPhone by USB, unlock it, and check `mobench ios devices`",
    ),
]


# pymobiledevice3 apps pull/rm output for a file that is not there
_AFC_NOT_FOUND = re.compile(r"ObjectNotFound|FileNotFound|No such file|does not exist")


def next_step(text: str) -> str:
    """The advice for a device tool's error output ("" when nothing matches)."""
    for pattern, advice in _NEXT_STEPS:
        if re.search(pattern, text):
            return advice
    return ""


_LOG_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2} [\d:.,]+ \S+ \S+\[\d+\] (?P<level>[A-Z]+) ")


def _last_line(text: str) -> str:
    """The tool's most telling line: the last ERROR log line or traceback message, else the last line."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    lines = [ln for ln in lines if "Run again with -v" not in ln]
    errors = [ln for ln in lines if (m := _LOG_PREFIX.match(ln)) and m.group("level") in ("ERROR", "CRITICAL")]
    best = errors[-1] if errors else (lines[-1] if lines else "")
    return _LOG_PREFIX.sub("", best)[:400]


def run_tool(
    argv: Sequence[str], *, timeout: float, what: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run an external device tool; raise DeviceError with its message and the next step."""
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=None if env is None else {**os.environ, **env},
        )
    except FileNotFoundError as exc:
        raise DeviceError(
            f"{what}: {argv[0]!r} not found; install it (pymobiledevice3: `pip install pymobiledevice3`; devicectl: Xcode 15+)"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise DeviceError(
            f"{what}: no answer within {timeout:.0f} s; unlock the iPhone, check the cable and "
            "`mobench ios devices`, then retry (or raise --timeout)"
        ) from exc
    if proc.returncode != 0:
        out = (proc.stderr or "") + "\n" + (proc.stdout or "")
        msg = _last_line(proc.stderr) or _last_line(proc.stdout) or f"exit code {proc.returncode}"
        advice = next_step(out)
        raise DeviceError(f"{what} failed: {msg}" + (f"; next step: {advice}" if advice else ""))
    return proc


class Transport(abc.ABC):
    """The app's Documents folder and process, as seen from the host."""

    name = ""
    bundle_id = BUNDLE_ID

    @classmethod
    def from_options(cls, **options: Any) -> Transport:
        """Build from the CLI's transport options (udid, tunnel, documents, app_command,
        timeout, bundle_id, launcher); each transport takes the ones it needs."""
        return cls(**options)

    @abc.abstractmethod
    def push(self, local_path: Path, remote_name: str) -> None:
        """Copy a file or folder to ``Documents/<remote_name>`` (replacing it)."""

    @abc.abstractmethod
    def pull(self, remote_name: str, local_path: Path) -> bool:
        """Copy ``Documents/<remote_name>`` to ``local_path``; False if it does not exist."""

    @abc.abstractmethod
    def remove(self, remote_name: str) -> None:
        """Delete ``Documents/<remote_name>`` if it exists."""

    @abc.abstractmethod
    def launch(self, bundle_id: str, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        """Start the app (terminating a running instance) with launch arguments; return once started."""

    def app_exited(self) -> bool | None:
        """True if the launched app has exited, False if running, None if unknown."""
        return None

    def console(self) -> str:
        """What the app printed, where the transport can capture it ("" otherwise)."""
        return ""

    def close(self) -> None:  # noqa: B027 - optional hook: most transports start nothing
        """Stop anything the transport started."""


def _absolute_if_local_path(arg: str) -> str:
    """``tests/x.py`` -> ``/abs/tests/x.py`` if that file exists here; any other argument unchanged."""
    if len(arg) > 1024 or "\x00" in arg or arg.startswith("-") or not ("/" in arg or "." in arg):
        return arg
    try:
        p = Path(arg)
        return str(p.resolve()) if not p.is_absolute() and p.exists() else arg
    except OSError:  # e.g. a name too long to be a path
        return arg


def _check_bundle_id(bundle_id: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]{0,154}", bundle_id or ""):
        raise UsageError(f"bad bundle id {bundle_id!r}; use the app's reverse-DNS id, e.g. {BUNDLE_ID}")
    return bundle_id


def _check_name(remote_name: str) -> str:
    if not remote_name or remote_name.startswith("/") or ".." in Path(remote_name).parts or "\\" in remote_name:
        raise UsageError(f"bad file name for the app's Documents: {remote_name!r}")
    return remote_name


class Pymobiledevice3Transport(Transport):
    """USB (usbmux) with pymobiledevice3's command line: AFC for files, DVT for launch."""

    name = "pymobiledevice3"

    @classmethod
    def from_options(
        cls,
        *,
        udid: str | None = None,
        tunnel: str | None = None,
        timeout: float = 120.0,
        bundle_id: str | None = None,
        launcher: str = "dvt",
        **_: Any,
    ) -> Pymobiledevice3Transport:
        return cls(udid, tunnel=tunnel, timeout=timeout, bundle_id=bundle_id, launcher=launcher)

    def __init__(
        self,
        udid: str | None = None,
        *,
        tunnel: str | None = None,
        timeout: float = 120.0,
        launch_timeout: float = 90.0,
        executable: Sequence[str] | None = None,
        bundle_id: str | None = None,
        launcher: str = "dvt",
    ) -> None:
        if launcher not in ("dvt", "core-device"):
            raise UsageError(f"unknown launcher {launcher!r}; use dvt or core-device")
        self.launcher = launcher
        self.udid = udid
        self.bundle_id = _check_bundle_id(bundle_id or default_bundle_id())
        self.tunnel = tunnel
        self.timeout = timeout
        self.launch_timeout = launch_timeout
        if executable is None:
            found = shutil.which("pymobiledevice3")
            executable = [found] if found else [sys.executable, "-m", "pymobiledevice3"]
        self.executable = list(executable)

    def _device_opts(self, *, rsd: bool = False) -> list[str]:
        if rsd and self.tunnel:
            return ["--tunnel", self.tunnel]
        return ["--udid", self.udid] if self.udid else []

    def argv_push(self, local_path: Path, remote_name: str) -> list[str]:
        local_path = Path(local_path)
        # A folder is copied *into* the remote folder under its own basename.
        if local_path.is_dir():
            if local_path.name != remote_name:
                raise UsageError(f"a folder is pushed under its own name: {local_path.name} != {remote_name}")
            dest = "/Documents"
        else:
            dest = f"/Documents/{remote_name}"
        return [
            *self.executable,
            "apps",
            "push",
            "--documents",
            *self._device_opts(),
            self.bundle_id,
            str(local_path),
            dest,
        ]

    def argv_pull(self, remote_name: str, local_path: Path) -> list[str]:
        return [
            *self.executable,
            "apps",
            "pull",
            "--documents",
            *self._device_opts(),
            self.bundle_id,
            f"/Documents/{remote_name}",
            str(local_path),
        ]

    def argv_remove(self, remote_name: str) -> list[str]:
        return [
            *self.executable,
            "apps",
            "rm",
            "--documents",
            *self._device_opts(),
            self.bundle_id,
            f"/Documents/{remote_name}",
        ]

    def argv_launch(self, bundle_id: str, args: Sequence[str], env: dict[str, str] | None = None) -> list[str]:
        import shlex

        if self.launcher == "core-device":  # iOS 17+: CoreDevice over the tunnel, arguments as a list
            # no --udid option here: pymobiledevice3 reads the target from PYMOBILEDEVICE3_UDID (see launch_env)
            argv = [
                *self.executable,
                "developer",
                "core-device",
                "launch-application",
                "--kill-existing",
                *(["--tunnel", self.tunnel] if self.tunnel else []),
            ]
            for k, v in (env or {}).items():
                argv += ["--env", f"{k}={v}"]
            return [*argv, bundle_id, *args]
        argv = [*self.executable, "developer", "dvt", "launch", "--kill-existing", *self._device_opts(rsd=True)]
        for k, v in (env or {}).items():
            argv += ["--env", f"{k}={v}"]
        argv.append(shlex.join([bundle_id, *args]))  # dvt launch takes one shell-quoted string
        return argv

    def push(self, local_path: Path, remote_name: str) -> None:
        _check_name(remote_name)
        if Path(local_path).is_dir():
            self.remove(remote_name)  # AFC merges into an existing folder; start clean
        run_tool(
            self.argv_push(Path(local_path), remote_name),
            timeout=self.timeout,
            what=f"copying {remote_name} to the iPhone",
        )

    def pull(self, remote_name: str, local_path: Path) -> bool:
        _check_name(remote_name)
        try:
            run_tool(
                self.argv_pull(remote_name, local_path),
                timeout=self.timeout,
                what=f"copying {remote_name} from the iPhone",
            )
        except DeviceError as exc:
            if _AFC_NOT_FOUND.search(str(exc)):
                return False
            raise
        return Path(local_path).exists()

    def remove(self, remote_name: str) -> None:
        _check_name(remote_name)
        try:
            run_tool(self.argv_remove(remote_name), timeout=self.timeout, what=f"removing {remote_name} on the iPhone")
        except DeviceError as exc:
            if not _AFC_NOT_FOUND.search(str(exc)):
                raise

    def launch_env(self) -> dict[str, str] | None:
        """Environment for the launch command (core-device takes the device from PYMOBILEDEVICE3_UDID)."""
        if self.launcher == "core-device" and self.udid and not self.tunnel:
            return {"PYMOBILEDEVICE3_UDID": self.udid}
        return None

    def launch(self, bundle_id: str, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        run_tool(
            self.argv_launch(bundle_id, args, env),
            timeout=self.launch_timeout,
            what="launching the harness app",
            env=self.launch_env(),
        )


class DevicectlTransport(Transport):
    """A Mac with Xcode 15+: ``xcrun devicectl`` (JSON results read from files, not stdout)."""

    name = "devicectl"

    @classmethod
    def from_options(
        cls, *, udid: str | None = None, timeout: float = 120.0, bundle_id: str | None = None, **_: Any
    ) -> DevicectlTransport:
        return cls(udid or "", timeout=timeout, bundle_id=bundle_id)

    def __init__(
        self,
        udid: str,
        *,
        timeout: float = 120.0,
        launch_timeout: float = 90.0,
        xcrun: str = "xcrun",
        bundle_id: str | None = None,
    ) -> None:
        self.bundle_id = _check_bundle_id(bundle_id or default_bundle_id())
        if not udid:
            raise UsageError("devicectl needs the device: pass --udid (see `xcrun devicectl list devices`)")
        self.udid = udid
        self.timeout = timeout
        self.launch_timeout = launch_timeout
        self.xcrun = xcrun

    def _container(self) -> list[str]:
        # `--user mobile`: the app container belongs to the phone's user (as coremltools' devicectl runner does)
        return [
            "--device",
            self.udid,
            "--user",
            "mobile",
            "--domain-type",
            "appDataContainer",
            "--domain-identifier",
            self.bundle_id,
        ]

    def argv_push(self, local_path: Path, remote_name: str) -> list[str]:
        return [
            self.xcrun,
            "devicectl",
            "device",
            "copy",
            "to",
            *self._container(),
            "--source",
            str(local_path),
            "--destination",
            f"Documents/{remote_name}",
        ]

    def argv_pull(self, remote_name: str, local_path: Path) -> list[str]:
        return [
            self.xcrun,
            "devicectl",
            "device",
            "copy",
            "from",
            *self._container(),
            "--source",
            f"Documents/{remote_name}",
            "--destination",
            str(local_path),
        ]

    def argv_launch(self, bundle_id: str, args: Sequence[str], env: dict[str, str] | None = None) -> list[str]:
        argv = [self.xcrun, "devicectl", "device", "process", "launch", "--terminate-existing", "--device", self.udid]
        if env:
            argv += ["--environment-variables", json.dumps(env, sort_keys=True)]
        return [*argv, bundle_id, *(["--", *args] if args else [])]

    def push(self, local_path: Path, remote_name: str) -> None:
        _check_name(remote_name)
        run_tool(
            self.argv_push(local_path, remote_name), timeout=self.timeout, what=f"copying {remote_name} to the iPhone"
        )

    def pull(self, remote_name: str, local_path: Path) -> bool:
        _check_name(remote_name)
        try:
            run_tool(
                self.argv_pull(remote_name, local_path),
                timeout=self.timeout,
                what=f"copying {remote_name} from the iPhone",
            )
        except DeviceError as exc:
            if re.search(
                r"No such file|does not exist|doesn.t exist|couldn.t be opened|not found", str(exc), re.I
            ) and not next_step(str(exc)).startswith("install"):
                return False
            raise
        return Path(local_path).exists()

    def remove(self, remote_name: str) -> None:
        # The app deletes its old report/progress when a plan starts (PROTOCOL.md); the host
        # additionally checks plan_id, so a stale file is never taken for a new result.
        _check_name(remote_name)

    def launch(self, bundle_id: str, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        run_tool(self.argv_launch(bundle_id, args, env), timeout=self.launch_timeout, what="launching the harness app")


class FolderTransport(Transport):
    """A local folder as the app's Documents; "launch" runs ``app_command`` + launch arguments.

    The command runs with the working directory and ``MOBENCH_DOCUMENTS`` set to the
    folder (relative paths in the command that exist in the caller's directory are made
    absolute first); its stdout (the app's console) is kept in ``console()``.
    """

    name = "folder"

    @classmethod
    def from_options(
        cls,
        *,
        documents: str | None = None,
        app_command: Sequence[str] | None = None,
        bundle_id: str | None = None,
        **_: Any,
    ) -> FolderTransport:
        if not documents or not app_command:
            raise UsageError(
                "--transport folder needs --documents DIR and --app-command CMD "
                "(e.g. ios_harness/.build/debug/mobench-harness, built with `swift build` in ios_harness/)"
            )
        return cls(documents, app_command, bundle_id=bundle_id)

    def __init__(
        self, documents: str | os.PathLike, app_command: Sequence[str], *, bundle_id: str | None = None
    ) -> None:
        self.bundle_id = _check_bundle_id(bundle_id or default_bundle_id())
        if not app_command:
            raise UsageError("the folder transport needs an app command (e.g. the Python stand-in app)")
        self.documents = Path(documents).resolve()
        self.documents.mkdir(parents=True, exist_ok=True)
        # The command runs inside the Documents folder: make relative paths that exist here absolute.
        self.app_command = [_absolute_if_local_path(a) for a in app_command]
        self._proc: subprocess.Popen | None = None
        self._log_path = self.documents.parent / f".{self.documents.name}.console.log"
        self._log = None

    def _path(self, remote_name: str) -> Path:
        return self.documents / _check_name(remote_name)

    def push(self, local_path: Path, remote_name: str) -> None:
        dest = self._path(remote_name)
        if dest.is_dir():
            shutil.rmtree(dest)
        if Path(local_path).is_dir():
            shutil.copytree(local_path, dest)
        else:
            shutil.copyfile(local_path, dest)

    def pull(self, remote_name: str, local_path: Path) -> bool:
        src = self._path(remote_name)
        if not src.exists():
            return False
        shutil.copyfile(src, local_path)
        return True

    def remove(self, remote_name: str) -> None:
        p = self._path(remote_name)
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()

    def launch(self, bundle_id: str, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.close()
        self._log = open(self._log_path, "w+", encoding="utf-8")
        try:
            self._proc = subprocess.Popen(
                [*self.app_command, *args],
                cwd=self.documents,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env={
                    **os.environ,
                    **(env or {}),
                    "MOBENCH_DOCUMENTS": str(self.documents),
                    "MOBENCH_BUNDLE_ID": bundle_id,
                },
            )
        except OSError as exc:
            raise DeviceError(f"cannot start the app command {self.app_command[0]!r}: {exc.strerror or exc}") from exc

    def app_exited(self) -> bool | None:
        return None if self._proc is None else self._proc.poll() is not None

    def console(self) -> str:
        try:
            return self._log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
