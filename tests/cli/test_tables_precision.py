"""Tables and the report show each run's precision and say when a run missed its target."""

from mobench.analysis.report import _host_checks, _precision
from mobench.cli.tables import ci_cell, disagree_note


def test_ci_cell_and_note():
    ok = {"status": "ok", "model": "a", "ci_half_width": 0.012, "target_ci_met": 1}
    missed = {"status": "ok", "model": "b", "ci_half_width": 0.034, "target_ci_met": 0, "rounds_disagree": 1}
    assert ci_cell(ok) == "±1.2%"
    assert ci_cell(missed) == "[yellow]±3.4% ✗[/]"
    assert ci_cell({"status": "failed"}) == "-" and ci_cell({"status": "ok", "ci_half_width": None}) == "-"
    note = disagree_note([ok, missed]) or ""
    assert "rounds disagree" in note and "short of the precision target" in note and "b" in note
    assert disagree_note([ok]) is None


def test_report_precision_and_host_cells():
    import pandas as pd

    assert _precision({"ci_half_width": 0.01, "target_ci": 0.02, "target_ci_met": 1}) == (
        "&plusmn;1.0% (target &plusmn;2%: met)"
    )
    assert "missed" in _precision({"ci_half_width": 0.05, "target_ci": 0.02, "target_ci_met": 0})
    assert _precision({"ci_half_width": 0.05, "target_ci": None}) == "&plusmn;5.0%"
    runs = pd.DataFrame({"host_check": ["host: load 9.0 on 2 CPUs", "host: load 9.0 on 2 CPUs", None]})
    html = _host_checks(runs)
    assert html.count("<li>") == 1 and "load 9.0" in html
    assert "No host check" in _host_checks(pd.DataFrame({"host_check": [None]}))
