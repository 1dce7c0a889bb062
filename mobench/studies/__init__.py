"""The paper's latency studies (``mobench study NAME``), one plugin file each.

Public API::

    STUDIES                      # name -> Study subclass ("module:Class"), imported lazily
    get_study(name) -> Study     # UsageError naming close matches for an unknown name
    study_listing() -> list[StudyListing]   # name, title, citation of every study (for --help)
    stored_study_sections(store) -> list[str]   # HTML report sections of the stored results

A study is one file with one :class:`~mobench.studies.base.Study` subclass (its
networks, table columns, figure and citation) and one registration line below;
other distributions add studies through the ``mobench.studies`` entry-point group
(``mystudy = "mypkg.mystudy:MyStudy"``). ``mobench study``, its ``--help`` and the
HTML reports read this registry and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.errors import UsageError, one_line
from ..core.registry import Registry, RegistryLoadError
from .base import Column, Network, Row, Study, add_complexity

STUDIES: Registry[type[Study]] = Registry(
    "study", group="mobench.studies", hint="see `mobench study --help`", error=UsageError, plural="studies"
)
STUDIES.register("activations", "mobench.studies.activations:ActivationsStudy")
STUDIES.register("blocks", "mobench.studies.blocks:BlocksStudy")
STUDIES.register("branches", "mobench.studies.branches:BranchesStudy")

__all__ = [
    "STUDIES",
    "Column",
    "Network",
    "Row",
    "Study",
    "StudyListing",
    "add_complexity",
    "get_study",
    "stored_study_sections",
    "study_listing",
]


def study_class(name: str) -> type[Study]:
    """The class registered as ``name`` (imports its module now)."""
    try:
        cls = STUDIES.get(name)
    except RegistryLoadError as exc:
        raise UsageError(str(exc)) from exc
    if not (isinstance(cls, type) and issubclass(cls, Study)):
        raise UsageError(f"study {name!r} is registered as {STUDIES.target(name)!r}, which is not a Study subclass")
    return cls


def get_study(name: str) -> Study:
    """The study registered as ``name``, ready to plan, derive, draw and render."""
    return study_class(name)(name)


@dataclass(frozen=True)
class StudyListing:
    name: str
    title: str
    citation: str


def study_listing() -> list[StudyListing]:
    """Every registered study with its title and citation, in registration order.

    A study that cannot be loaded is listed with the reason as its title, so a broken
    plug-in shows up in ``mobench study --help`` instead of breaking it.
    """
    out = []
    for name in STUDIES.names():
        try:
            cls = study_class(name)
            out.append(StudyListing(name, cls.title, cls.citation))
        except UsageError as exc:
            out.append(StudyListing(name, f"(cannot be loaded: {one_line(exc)})", ""))
    return out


def stored_study_sections(store: Any) -> list[str]:
    """HTML report sections for the study results kept in ``store``: the newest result per
    (study, device), with its table and figure; empty when none is stored.

    A stored study whose plug-in is not registered here is shown as a plain table of its rows.
    """
    import tempfile
    from html import escape
    from pathlib import Path

    from ..analysis.profiles_view import figure_html
    from ..results.profiles import list_studies

    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for s in list_studies(store):  # newest first
        latest.setdefault((s["study"], s["device"]), s)
    if not latest:
        return []
    out = ["<h2>Latency studies</h2>"]
    for s in latest.values():
        note = f"device {s['device']}, input {s['resolution']}x{s['resolution']}, stored {s['created']}"
        if s["study"] not in STUDIES:
            out.append(_unregistered_section(s["study"], s["rows"], note))
            continue
        study = get_study(s["study"])
        out.append(study.section(s["rows"], note))
        if s["rows"]:
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    fig = figure_html(study.plot(s["rows"], Path(tmp)), f"study {study.name} on {s['device']}")
            except Exception as exc:  # a plug-in's figure must not cost the whole report
                fig = f"<p class='note'>figure not drawn: {escape(one_line(exc, with_type=True))}</p>"
            out.append(fig)
    return out


def _unregistered_section(name: str, rows: list[Row], note: str) -> str:
    from ..analysis.report import _e, _table

    keys = list(dict.fromkeys(k for r in rows for k in r))
    return (
        f"<h3>Study: {_e(name)}</h3><p class='note'>{_e(note)}; no study plug-in named {_e(name)} is "
        "registered here, so its rows are shown as stored.</p>"
        + _table([_e(k) for k in keys], [[_e(r.get(k)) for k in keys] for r in rows])
    )
