"""Progress reporting from library code, without rendering.

Long library functions (sweeps, exports, studies) take a :class:`Reporter`.
For every phase of work they open ``reporter.phase(name, total)`` and call the
:data:`Tick` it yields: ``tick(item, what, done)`` says what is happening to
``item`` now, and ``done=True`` counts the item as finished. The CLI's reporter
draws rich progress bars (``mobench.cli.progress``); the default reports
nothing. Library code never imports a rendering library.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol

#: ``tick(item, what, done=False)``
Tick = Callable[..., None]


class Reporter(Protocol):
    def phase(self, name: str, total: int | None = None) -> AbstractContextManager[Tick]: ...


def _ignore(item: str, what: str = "", done: bool = False) -> None:
    return None


class NullReporter:
    """Reports nothing (the library default)."""

    @contextlib.contextmanager
    def phase(self, name: str, total: int | None = None) -> Iterator[Tick]:
        yield _ignore


NULL_REPORTER = NullReporter()


def reporter_or_null(reporter: Reporter | None) -> Reporter:
    return reporter if reporter is not None else NULL_REPORTER


def note(reporter: Reporter | None, text: str) -> None:
    """A line that must stay in view (e.g. the host check before timing), unlike a tick's status:
    a reporter with a ``note(text)`` method shows it; others ignore it."""
    show = getattr(reporter, "note", None)
    if show is not None:
        show(text)
