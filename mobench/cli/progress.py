"""The CLI's one progress-bar builder and the reporter that draws library progress with it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ..core.progress import Tick


def progress_bar(console: Any = None, *, transient: bool = False, counts: bool = True, disable: bool = False):
    """A rich progress bar: spinner, description, bar, done/total (when ``counts``), elapsed time.

    Every bar mobench draws is built here.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns: list[Any] = [SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn()]
    if counts:
        columns.append(MofNCompleteColumn())
    columns.append(TimeElapsedColumn())
    return Progress(*columns, console=console, transient=transient, disable=disable)


class RichReporter:
    """Draws each phase of a library call as one progress bar (``mobench.core.progress.Reporter``)."""

    def __init__(self, console: Any = None, *, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled

    def note(self, text: str) -> None:
        """A line printed above the progress bars, which stays (``mobench.core.progress.note``)."""
        if self.enabled:
            from rich.console import Console
            from rich.markup import escape

            (self.console or Console(stderr=True)).print(f"[yellow]{escape(text)}[/]")

    @contextlib.contextmanager
    def phase(self, name: str, total: int | None = None) -> Iterator[Tick]:
        if not self.enabled:
            yield lambda item, what="", done=False: None
            return
        bar = progress_bar(self.console)
        with bar:
            task = bar.add_task(name, total=total)
            finished = 0

            def tick(item: str, what: str = "", done: bool = False) -> None:
                nonlocal finished
                text = f"{item}: {what}" if what else f"{name}: {item}"
                if done:
                    finished += 1
                    bar.update(task, advance=1, description=text)
                else:
                    bar.update(task, description=text)

            yield tick
            if total is None:
                bar.update(task, total=1, completed=1, description=f"{name}: done")
            else:
                bar.update(task, description=f"{name}: {finished} of {total} done")
