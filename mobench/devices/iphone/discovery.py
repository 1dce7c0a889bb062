"""Tethered iPhones through pymobiledevice3 (usbmux): model, OS, and what is ready for the harness.

``list_iphones()`` asks usbmuxd for the attached devices and lockdown for each
one's values; ``readiness()`` turns those values into what a user needs to know
(paired/trusted, Developer Mode, whether iOS 17's tunnel is needed and up) and
the next step when something is missing. The collection is isolated from the
interpretation so the latter is tested without a phone.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Any

from ...core.errors import DeviceError, one_line

# ProductType -> marketing name for the devices people benchmark most (the identifier is what is stored).
KNOWN_MODELS = {
    "iPhone13,1": "iPhone 12 mini",
    "iPhone13,2": "iPhone 12",
    "iPhone13,3": "iPhone 12 Pro",
    "iPhone13,4": "iPhone 12 Pro Max",
    "iPhone14,5": "iPhone 13",
    "iPhone14,2": "iPhone 13 Pro",
    "iPhone14,7": "iPhone 14",
    "iPhone15,2": "iPhone 14 Pro",
    "iPhone15,4": "iPhone 15",
    "iPhone16,1": "iPhone 15 Pro",
    "iPhone17,3": "iPhone 16",
    "iPhone17,1": "iPhone 16 Pro",
}


@dataclass
class IPhoneStatus:
    udid: str
    connection: str  # USB / Network
    model_identifier: str | None = None
    model_name: str | None = None
    os_version: str | None = None
    name: str | None = None
    paired: bool | None = None
    developer_mode: bool | None = None
    tunnel: str = "unknown"  # "not needed", "automatic (userspace)", "tunneld running", "needs tunneld"
    ready: bool = False
    next_step: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _version(v: str | None) -> tuple[int, ...]:
    out = []
    for part in (v or "").split("."):
        if not part.isdigit():
            break
        out.append(int(part))
    return tuple(out)


def readiness(status: IPhoneStatus, *, tunneld_udids: set[str] | None) -> IPhoneStatus:
    """Fill ``tunnel``, ``ready`` and ``next_step`` from what was collected."""
    ver = _version(status.os_version)
    if not ver or ver < (17,):
        status.tunnel = "not needed"
    elif tunneld_udids is not None and status.udid in tunneld_udids:
        status.tunnel = "tunneld running"
    elif ver >= (17, 4):
        status.tunnel = "automatic (userspace)"
    else:
        status.tunnel = "needs tunneld"
    steps = []
    if status.paired is False:
        steps.append("unlock the iPhone and tap 'Trust' (or run `pymobiledevice3 lockdown pair`)")
    if ver and ver >= (16,) and status.developer_mode is False:
        steps.append(
            "enable Developer Mode (`pymobiledevice3 amfi reveal-developer-mode`, then Settings > Privacy & Security)"
        )
    if status.tunnel == "needs tunneld":
        steps.append("start the tunnel: `sudo pymobiledevice3 remote tunneld` (iOS 17.0-17.3)")
    status.next_step = "; ".join(steps)
    status.ready = not steps and status.paired is not False
    return status


async def _collect(udid_filter: str | None) -> list[IPhoneStatus]:
    from pymobiledevice3 import usbmux
    from pymobiledevice3.lockdown import create_using_usbmux

    out = []
    for dev in await usbmux.list_devices():
        if udid_filter and not dev.matches_udid(udid_filter):
            continue
        st = IPhoneStatus(udid=dev.serial, connection=dev.connection_type)
        try:
            lockdown = await create_using_usbmux(serial=dev.serial, autopair=False, connection_type=dev.connection_type)
        except Exception as exc:  # not paired / locked: still list the device with what we know
            st.paired = False
            st.next_step = one_line(exc)
            out.append(st)
            continue
        try:
            values = lockdown.all_values or {}
            st.model_identifier = values.get("ProductType")
            st.model_name = KNOWN_MODELS.get(st.model_identifier or "")
            st.os_version = values.get("ProductVersion")
            st.name = values.get("DeviceName")
            st.paired = bool(getattr(lockdown, "paired", False))
            if st.paired:
                try:
                    st.developer_mode = bool(await lockdown.get_developer_mode_status())
                except Exception:
                    st.developer_mode = None
        finally:
            await lockdown.close()
        out.append(st)
    return out


def _tunneld_udids() -> set[str] | None:
    try:
        from pymobiledevice3.tunneld.api import _list_tunnels

        return set(_list_tunnels())
    except Exception:
        return None  # tunneld not running (the common case)


def list_iphones(udid: str | None = None, timeout: float = 20.0) -> list[IPhoneStatus]:
    """Attached devices with readiness; DeviceError if usbmuxd cannot be reached."""
    try:
        import pymobiledevice3  # noqa: F401
    except ImportError as exc:
        raise DeviceError("pymobiledevice3 is not installed; `pip install pymobiledevice3`") from exc
    try:
        devices = asyncio.run(asyncio.wait_for(_collect(udid), timeout))
    except asyncio.TimeoutError as exc:
        raise DeviceError(f"usbmuxd did not answer within {timeout:.0f} s; reconnect the iPhone and retry") from exc
    except Exception as exc:
        name = type(exc).__name__
        if (
            "usbmux" in name.lower()
            or "ConnectionFailed" in name
            or isinstance(exc, (ConnectionError, FileNotFoundError))
        ):
            raise DeviceError(
                "cannot reach usbmuxd: on Linux install and start it (`sudo apt install usbmuxd`, "
                "`sudo systemctl start usbmuxd`); on macOS it always runs; then connect the iPhone by USB"
            ) from exc
        raise DeviceError(f"listing iPhones failed: {one_line(exc)}") from exc
    tunnels = _tunneld_udids() if any(_version(d.os_version) >= (17,) for d in devices) else None
    return [readiness(d, tunneld_udids=tunnels) for d in devices]
