"""The study plugin interface: one of the paper's latency studies is one :class:`Study` subclass.

A study names the networks it times (:meth:`Study.networks`: model names from the
registry, each timed fused or as its train-time graph), the columns of its table, the
figure it draws (:meth:`Study.draw`) and the place in the paper it repeats
(``citation``). :func:`mobench.workflows.study_bottlenecks.run_bottleneck_study`
exports and times the networks through the normal sweep on any device, stores every
run and the study's rows; ``mobench study NAME`` prints the table, and the HTML
reports (``mobench run``, ``mobench report``, ``mobench study --report``) show every
stored study with its figure.

The rules are checked when a subclass is defined, as ExecuTorch's ``BackendDetails``
does, not when a user first runs the study: a concrete study implements every abstract
hook and sets ``title``, ``citation`` and ``columns``. A class that is itself a base
for studies says so with ``class MyBase(Study, abstract=True)``.

A study module imports nothing heavy (torch, matplotlib, pandas) at module level:
``mobench study --help`` imports it to read its title. Import inside the hooks.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: One row of a study's table as stored (``studies.rows_json``): the network's fields,
#: then ``device``, ``status``, ``run_id``, ``latency_ms`` (median of the run), ``min_ms``,
#: ``error`` (failed runs), and the study's computed columns.
Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    """A column of the study's table: the row field ``key`` under the heading ``head``."""

    key: str
    head: str
    text: bool = False  # a label or a name (left-aligned), not a number


@dataclass(frozen=True)
class Network:
    """One row of the study before timing: a registry model, timed fused or as its train-time graph."""

    label: str
    model: str
    fused: bool = True
    fields: dict[str, Any] = field(default_factory=dict, hash=False)  # the row's own columns (k, activation ...)

    def row(self) -> Row:
        return {"label": self.label, **self.fields, "model": self.model, "fused": self.fused}


class Study(abc.ABC):
    """A latency study: its networks, table columns, figure and citation (see the module docstring)."""

    #: One line: what the study shows (``mobench study --help``, the report).
    title: ClassVar[str]
    #: Where in the paper the study comes from (section, table or figure).
    citation: ClassVar[str]
    #: The table, in order (terminal and HTML).
    columns: ClassVar[tuple[Column, ...]]
    #: What to keep in mind when reading the table; printed under it and in the report.
    note: ClassVar[str] = ""

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        problems = []
        missing = sorted(n for n in dir(cls) if getattr(getattr(cls, n, None), "__isabstractmethod__", False))
        if missing:
            problems.append(f"implement {', '.join(missing)}")
        for attr in ("title", "citation"):
            value = getattr(cls, attr, None)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"set {attr} (a non-empty str)")
        cols = getattr(cls, "columns", None)
        if not isinstance(cols, tuple) or not cols or not all(isinstance(c, Column) for c in cols):
            problems.append("set columns (a non-empty tuple of Column)")
        elif len({c.key for c in cols}) != len(cols):
            problems.append("give every column its own key")
        if problems:
            raise TypeError(f"study class {cls.__qualname__}: {'; '.join(problems)}")

    def __init__(self, name: str) -> None:
        self.name = name

    # -- the hooks ----------------------------------------------------------------------------
    @abc.abstractmethod
    def networks(self) -> list[Network]:
        """The rows before timing, in table order."""

    @abc.abstractmethod
    def draw(self, rows: list[Row]) -> Figure:
        """The study's figure from its rows as stored (failed rows included: ``latency_ms`` None)."""

    def derive(self, rows: list[Row], resolution: int) -> None:
        """Add the study's computed columns to the timed rows, in place.

        The default adds ``params_m``, the parameters of each graph as timed.
        """
        add_complexity(rows, resolution)

    # -- what the base class does with them ---------------------------------------------------
    def plan(self) -> list[Row]:
        """The rows before timing: ``{label, <fields>, model, fused}`` in table order."""
        return [n.row() for n in self.networks()]

    def plot(self, rows: list[Row], out_dir: Path) -> list[Path]:
        """Draw the figure into ``out_dir`` as ``study_<name>.png`` and ``.svg``."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from ..analysis._plotting import save_figure

        fig = self.draw(rows)
        try:
            fig.tight_layout()
            return save_figure(fig, Path(out_dir), f"study_{self.name}")
        finally:
            plt.close(fig)

    def cells(self, row: Row) -> list[str]:
        """The row's table cells as text (floats to 3 decimals, a failed latency as "failed")."""
        out = []
        for c in self.columns:
            v = row.get(c.key)
            if isinstance(v, float):
                out.append(f"{v:.3f}")
            elif v is None:
                out.append("failed" if c.key == "latency_ms" else "-")
            else:
                out.append(str(v))
        return out

    def section(self, rows: list[Row], note: str = "") -> str:
        """The study as an HTML report section (heading, notes, table)."""
        from ..analysis.report import _e, _table

        notes = [n for n in (note, f"paper: {self.citation}", self.note) if n]
        return (
            f"<h3>Study: {_e(self.name)}</h3><p class='note'>{_e(self.title)}</p>"
            + "".join(f"<p class='note'>{_e(n)}</p>" for n in notes)
            + _table([_e(c.head) for c in self.columns], [[_e(x) for x in self.cells(r)] for r in rows])
        )


def add_complexity(rows: list[Row], resolution: int, *, memory: bool = False) -> None:
    """Add ``params_m`` (and with ``memory`` ``memory_mb``, the memory traffic of one
    inference: ``analysis.metrics.graph_metrics``) of each row's graph as timed."""
    from ..analysis.metrics import graph_metrics
    from ..models import build_deployed
    from ..models.complexity import count_params

    cache: dict[tuple[str, bool], dict[str, float]] = {}
    for r in rows:
        key = (r["model"], r["fused"])
        if key not in cache:
            net = build_deployed(r["model"], fuse=r["fused"])
            c = {"params_m": count_params(net) / 1e6}
            if memory:
                c["memory_mb"] = graph_metrics(net, resolution)["memory_bytes"] / 1e6
            cache[key] = c
        r.update(cache[key])
