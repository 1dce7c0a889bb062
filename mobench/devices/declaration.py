"""What a device declares about itself: its options (:class:`DeviceOption`) and its profiler
(:class:`DeviceProfiler`). Plain data, read by the device base class, the command line, the
reuse key, the target and ``mobench devices`` (see :mod:`mobench.devices.base`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["OPTION_TYPES", "DeviceOption", "DeviceProfiler", "OptionScope"]

OptionScope = Literal["target", "run", "session"]
OPTION_TYPES = (int, float, str, bool)


@dataclass(frozen=True)
class DeviceOption:
    """One option of a device, declared once: everything else reads this declaration.

    ``--device-option NAME=VALUE`` parses text with it, the device's constructor
    checks and stores it (``device.options[name]`` and the attribute ``device.<name>``),
    the reuse key, the target and its label and ``info()`` are derived from it, and
    ``mobench devices`` lists it.

    ``scope`` says what the option changes: ``target`` a property of where the model is
    timed (reuse key, the target's options and label: threads, compute units);
    ``run`` the measurement but not the target (reuse key only: the model's fused form,
    the phone's UDID); ``session`` only how the device is reached (transport, timeout).
    """

    name: str
    type: type = str  # int, float, str or bool
    default: Any = None  # None: the device picks (and records) one
    help: str = ""
    choices: tuple[str, ...] = ()
    scope: OptionScope = "target"
    label: str | None = None  # its part of the target label, e.g. "{}t"; None: not in the label
    label_default: bool = True  # False: left out of the label at its default value
    minimum: float | None = None  # for numbers
    from_export: str | None = None  # the ExportConfig field a sweep takes its value from (devices without artifacts)
    stored_as: str | None = None  # its name in the reuse keys of stored runs, when that differs from ``name``
    # True: left out of the reuse key and the target at its default value. For an option declared
    # after runs were stored: they measured its default, and their keys must still match.
    keyed_when_set: bool = False

    @property
    def changes_measurement(self) -> bool:
        return self.scope != "session"

    @property
    def key_name(self) -> str:
        return self.stored_as or self.name

    def in_key(self, value: Any) -> bool:
        """Whether ``value`` of this option is part of the reuse key and the target."""
        return self.changes_measurement and not (self.keyed_when_set and value == self.default)

    def parse(self, text: str) -> Any:
        """Command-line text -> a checked value (``ValueError`` with the reason if bad)."""
        text = text.strip()
        if self.type is bool:
            t = text.lower()
            if t in ("1", "true", "yes", "on"):
                value: Any = True
            elif t in ("0", "false", "no", "off"):
                value = False
            else:
                raise ValueError("must be true or false")
        elif self.type is int:
            try:
                value = int(text)
            except ValueError:
                raise ValueError("must be an integer") from None
        elif self.type is float:
            try:
                value = float(text)
            except ValueError:
                raise ValueError("must be a number") from None
        else:
            value = text
        return self.check(value)

    def check(self, value: Any) -> Any:
        """``value`` if it is a valid setting (``None`` means the default), else ``ValueError``."""
        if value is None:
            return None
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.type) or (self.type is int and isinstance(value, bool)):
            raise ValueError(f"must be {'an' if self.type is int else 'a'} {self.type.__name__}, not {value!r}")
        if self.choices and value not in self.choices:
            raise ValueError(f"choose one of {', '.join(self.choices)}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be >= {self.minimum:g}")
        return value

    def label_part(self, value: Any) -> str | None:
        if self.label is None or value is None or (not self.label_default and value == self.default):
            return None
        return self.label.format(value)


@dataclass(frozen=True)
class DeviceProfiler:
    """How a device profiles a model op by op (``Device.profiler()``).

    ``function`` is the ``"module:function"`` of the profiler in ``mobench.profiling``
    (named, not imported: devices and profiling are sibling layers), called as
    ``function(device, model, artifact, config, runs=..., median_ms=...) -> Profile``.
    ``from_stored_runs``: the profile is read from stored runs (a phone's report), not made here.
    """

    description: str
    function: str | None = None
    default_runs: int | None = None
    from_stored_runs: bool = False
