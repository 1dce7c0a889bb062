"""The study plugin interface: every registered study's hooks, the definition-time checks, lookups.

Parametrized over the registry (timm's ``test_models.py`` idiom), so a study registered
in :mod:`mobench.studies` is tested here the moment it is registered. No timing: the
rows are the study's plan with made-up latencies.
"""

from __future__ import annotations

import pytest

from mobench.core.errors import UsageError
from mobench.models import resolve_name
from mobench.studies import STUDIES, Column, Network, Study, get_study, study_listing


def _timed(plan):
    rows = [
        dict(r, device="cpu", status="ok", run_id=i, latency_ms=1.0 + i, min_ms=0.9 + i) for i, r in enumerate(plan)
    ]
    rows[-1].update(status="failed", latency_ms=None, min_ms=None, error="export: no")  # a failed row draws too
    return rows


@pytest.mark.parametrize("name", STUDIES.names())
def test_every_study_plans_derives_draws_and_renders(name, tmp_path):
    study = get_study(name)
    assert isinstance(study, Study) and study.name == name
    plan = study.plan()
    assert plan and len({r["label"] for r in plan}) == len(plan), "labels name the rows: one each"
    for r in plan:
        assert resolve_name(r["model"]) == r["model"], f"{r['model']} is not a canonical registry name"
        assert isinstance(r["fused"], bool)
    rows = _timed(plan)
    study.derive(rows, 32)
    assert all(r["params_m"] > 0 for r in rows)
    for c in study.columns:
        assert any(r.get(c.key) is not None for r in rows), f"no row fills column {c.key!r}"
    paths = study.plot(rows, tmp_path)
    assert sorted(p.name for p in paths) == [f"study_{name}.png", f"study_{name}.svg"]
    assert all(p.stat().st_size > 1000 for p in paths)
    html = study.section(rows, "note <x>")
    assert f"Study: {name}" in html and "note &lt;x&gt;" in html and study.citation.split(",")[0] in html
    assert html.count("<tr>") == len(rows) + 1  # a header and one row each
    assert study.cells(rows[-1])[[c.key for c in study.columns].index("latency_ms")] == "failed"


def test_listing_reads_every_registered_study():
    listed = study_listing()
    assert [s.name for s in listed] == STUDIES.names()
    assert all(s.title and s.citation for s in listed)


def test_activations_beside_table2():
    act = get_study("activations")
    rows = _timed(act.plan())
    act.derive(rows, 32)
    assert rows[0]["ratio_to_relu"] == 1.0 and rows[1]["ratio_to_relu"] == 2.0
    assert rows[-1]["ratio_to_relu"] is None  # failed: no latency
    assert [r["paper_ms"] for r in rows] == [1.53, 1.63, 2.10, 2.54, 57.04, 273.49, 242.14]


def test_unknown_study_names_close_matches():
    with pytest.raises(UsageError, match=r"unknown study 'branch'; did you mean branches\?"):
        get_study("branch")


class _Complete(Study, abstract=True):
    title = "t"
    citation = "c"
    columns = (Column("label", "network", text=True), Column("latency_ms", "ms"))

    def networks(self):
        return [Network("plain", "probe_act_relu")]

    def draw(self, rows):
        raise AssertionError("not drawn here")


def test_a_complete_study_class_is_accepted():
    class Fine(_Complete):
        pass

    assert Fine("x").plan() == [{"label": "plain", "model": "probe_act_relu", "fused": True}]
    assert Network("k=2", "m", False, {"k": 2}).row() == {"label": "k=2", "k": 2, "model": "m", "fused": False}


@pytest.mark.parametrize(
    "body, message",
    [
        ({"draw": None}, "implement draw"),
        ({"title": ""}, "set title"),
        ({"citation": None}, "set citation"),
        ({"columns": ()}, "set columns"),
        ({"columns": (Column("a", "A"), Column("a", "B"))}, "its own key"),
        ({"columns": [Column("a", "A")]}, "set columns"),
    ],
)
def test_a_broken_study_class_fails_when_defined(body, message):
    ns = dict(body)
    if "draw" in ns:  # an abstract hook left unimplemented
        del ns["draw"]
        with pytest.raises(TypeError, match=message):
            type(
                "NoDraw",
                (Study,),
                {"title": "t", "citation": "c", "columns": (Column("a", "A"),), "networks": _Complete.networks},
            )
        return
    with pytest.raises(TypeError, match=message):
        type("Broken", (_Complete,), ns)


def test_a_registered_name_that_is_not_a_study_is_a_clear_error():
    STUDIES["not_a_study"] = "mobench.studies.base:Column"
    try:
        with pytest.raises(UsageError, match="not a Study subclass"):
            get_study("not_a_study")
        broken = {s.name: s.title for s in study_listing()}["not_a_study"]
        assert broken.startswith("(cannot be loaded:")
    finally:
        del STUDIES["not_a_study"]


class _FigureFails(_Complete):
    def draw(self, rows):
        raise ValueError("no figure for these rows")


def test_a_study_figure_that_fails_costs_only_the_figure(tmp_path):
    from mobench.results import Store
    from mobench.results.profiles import add_study
    from mobench.studies import stored_study_sections

    STUDIES["figure_fails"] = _FigureFails
    try:
        with Store(tmp_path / "m.sqlite") as store:
            add_study(store, "figure_fails", "cpu", 64, [{"label": "plain", "latency_ms": 1.5}])
            html = "\n".join(stored_study_sections(store))
    finally:
        del STUDIES["figure_fails"]
    assert "Study: figure_fails" in html and "1.500" in html
    assert "figure not drawn: ValueError: no figure for these rows" in html
