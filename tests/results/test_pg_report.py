"""`mobench run` storing into PostgreSQL gives the same report as SQLite on the same runs."""

from __future__ import annotations

import json
import re

MODELS = ["-m", "timm:test_vit", "-m", "timm:test_convnext"]


def _report(run_cli, db, out):
    code, _, err = run_cli(["report", "--db", db, "--device", "torch", "--metric", "params", "--out", str(out)])
    assert code == 0, err
    html = (out / "report.html").read_text()
    html = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 by", "WHEN by", html)  # when it was written
    return re.sub(re.escape(str(out)), "OUT", html)


def test_run_into_postgresql_reports_like_sqlite(pg_url, tmp_path, run_cli):
    argv = ["run", *MODELS, "--device", "torch", "--protocol", "quick", "--no-unfused", "--threads", "1"]
    code, out, err = run_cli([*argv, "--out", str(tmp_path / "run"), "--db", pg_url])
    assert code == 0, err
    assert (tmp_path / "run" / "report.html").exists() and not (tmp_path / "run" / "mobench.sqlite").exists()
    sqlite = str(tmp_path / "same.sqlite")
    code, out, err = run_cli(["results", "merge", pg_url, "--db", sqlite])  # the same runs, into SQLite
    assert code == 0 and "2 run(s) added" in out, err

    analyses = []
    for db in (pg_url, sqlite):
        code, out, err = run_cli(["analyze", "--db", db, "--device", "torch", "--metric", "params", "--json"])
        assert code == 0, err
        analyses.append(json.loads(out))
    assert analyses[0] == analyses[1]
    assert analyses[0]["devices"] and analyses[0]["correlations"][0]["n"] == 2

    pg_html = _report(run_cli, pg_url, tmp_path / "rep_pg")
    sq_html = _report(run_cli, sqlite, tmp_path / "rep_sq")
    assert "WHEN by" in pg_html and "data:image/png;base64," in pg_html
    assert pg_html.replace(pg_url, "DB") == sq_html.replace(sqlite, "DB")  # tables and plots byte for byte
