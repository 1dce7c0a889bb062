"""One registry idiom for every extension point: models, devices, exporters, transports, protocols, presets.

A :class:`Registry` maps a name to either an object or a ``"module:attr"``
string that is imported the first time the name is looked up, so listing the
registered names never imports torch, onnxruntime or coremltools. An unknown
name raises an error that lists close matches (``difflib``); registering a
name twice is an error. Other distributions can add entries through an
``importlib.metadata`` entry-point group (``group=``), loaded on first use, the
way spaCy's ``catalogue`` registries and pymobiledevice3's lazy CLI groups work.

Why not ``catalogue`` itself: it is a dependency for ~80 lines, and its unknown-name
error has no close-match suggestion; the behaviour mobench needs is this file.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator
from importlib import metadata
from typing import Any, Generic, TypeVar

from .errors import MobenchError, RegistryError, one_line

T = TypeVar("T")
_MISSING: Any = object()


def suggest(name: str, candidates: list[str], n: int = 5, cutoff: float = 0.5) -> list[str]:
    """Close matches for ``name`` (difflib), else the candidates that contain it."""
    close = difflib.get_close_matches(name, candidates, n=n, cutoff=cutoff)
    if not close:
        close = [c for c in candidates if name.lower() in c.lower()][:n]
    return close


def import_target(target: str) -> Any:
    """Import ``"package.module:attr"`` (``attr`` may be dotted) and return the attribute."""
    mod_name, _, attr = target.partition(":")
    obj: Any = importlib.import_module(mod_name)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


class RegistryLoadError(MobenchError):
    """A registered ``module:attr`` target could not be imported."""


class Registry(Generic[T]):
    """Names -> objects, imported lazily.

    ``kind`` names the thing in error messages ("model", "device"); ``hint`` is
    appended to the unknown-name error (e.g. "see `mobench devices`");
    ``error`` is the exception class raised for an unknown name; ``plural`` names
    several of the thing where adding an "s" does not ("studies").
    """

    def __init__(
        self,
        kind: str,
        *,
        group: str | None = None,
        hint: str = "",
        error: type[Exception] = RegistryError,
        plural: str | None = None,
    ) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self.group = group
        self.hint = hint
        self.error = error
        self._entries: dict[str, Any] = {}
        self._loaded: dict[str, T] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        self._entry_points_read = group is None

    # -- registration -------------------------------------------------------------------------
    def register(self, name: str, target: Any = None, **meta: Any) -> Any:
        """Register ``target`` (an object or ``"module:attr"``) under ``name``.

        Without ``target`` it returns a decorator that registers the decorated object.
        ``meta`` is kept as plain data (:meth:`meta`) and is readable without importing.
        """
        if target is None:

            def deco(obj: Any) -> Any:
                self.register(name, obj, **meta)
                return obj

            return deco
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = target
        self._meta[name] = dict(meta)
        return target

    def _read_entry_points(self) -> None:
        if self._entry_points_read:
            return
        self._entry_points_read = True
        for ep in metadata.entry_points(group=self.group or ""):
            if ep.name not in self._entries:  # built-in names win over plug-ins
                self._entries[ep.name] = ep.value
                self._meta[ep.name] = {"entry_point": ep.value}

    # -- lookup -------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Registered names, in registration order (entry points last)."""
        self._read_entry_points()
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        self._read_entry_points()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def meta(self, name: str) -> dict[str, Any]:
        self.check(name)
        return self._meta[name]

    def target(self, name: str) -> Any:
        """What ``name`` was registered with, without importing it."""
        self.check(name)
        return self._entries[name]

    def unknown(self, name: str) -> Exception:
        """The error for an unknown ``name``: close matches and the full list."""
        names = self.names()
        close = suggest(name, names)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        listing = f" ({self.plural}: {', '.join(names)}" + (f"; {self.hint})" if self.hint else ")")
        return self.error(f"unknown {self.kind} {name!r}{hint}{listing}")

    def check(self, name: str) -> str:
        """``name`` if registered, else raise the unknown-name error."""
        if name not in self:
            raise self.unknown(name)
        return name

    def get(self, name: str, default: Any = _MISSING) -> T:
        """The object for ``name``, importing its module on first use.

        Unknown names raise the unknown-name error, or return ``default`` when one is given.
        """
        if name not in self:
            if default is not _MISSING:
                return default
            raise self.unknown(name)
        if name not in self._loaded:
            target = self._entries[name]
            if isinstance(target, str):
                try:
                    self._loaded[name] = import_target(target)
                except (ImportError, AttributeError) as exc:
                    raise RegistryLoadError(f"{self.kind} {name!r} cannot be loaded: {one_line(exc)}") from exc
            else:
                self._loaded[name] = target
        return self._loaded[name]

    # -- read-only mapping view (``REG[name]``, ``REG.items()``) ---------------------------------
    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def keys(self) -> list[str]:
        return self.names()

    def items(self) -> list[tuple[str, T]]:
        """``(name, object)`` pairs; imports every target."""
        return [(name, self.get(name)) for name in self.names()]

    def values(self) -> list[T]:
        return [self.get(name) for name in self.names()]

    # -- explicit override (tests, plug-ins replacing a built-in) -------------------------------
    def __setitem__(self, name: str, target: Any) -> None:
        """Register or replace ``name`` (unlike :meth:`register`, never a duplicate error)."""
        self._read_entry_points()
        self._entries[name] = target
        self._meta[name] = {}
        self._loaded.pop(name, None)

    def __delitem__(self, name: str) -> None:
        self.check(name)
        del self._entries[name]
        self._meta.pop(name, None)
        self._loaded.pop(name, None)
