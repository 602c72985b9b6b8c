"""What keeps pages cheap at region scale (issue 17): bounded data per view, the same numbers as the full query.
Speed itself is measured in `python -m metrics bench`, not here."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.kpi import views
from metrics.load import ingest
from metrics.platform import store

from .ledgers import FIXTURES


def _training(con):
    happy = FIXTURES / "happy"
    result = ingest.ingest_paths(con, [happy / "training_sessions.csv", happy / "training_attendance.csv"])
    assert result.committed


def test_kpi_rows_shown_counts_all_rows_and_keeps_the_first_ones(con):
    """Three attendance rows (S1 twice on 2023-05-12, S2 once on 2023-06-01, fixtures/happy): at most two shown,
    the count stays 3, and the two are kpi_rows' first two in the same order."""
    _training(con)
    as_of = dt.date(2024, 12, 31)
    every = views.kpi_rows(con, "training_person_times", as_of)
    shown, total = (views.kpi_rows_shown(con, "training_person_times", as_of, limit=2),
                    views.kpi_rows_count(con, "training_person_times", as_of))
    assert total == 3 and len(every) == 3
    assert shown.equals(every.head(2))
    assert list(shown["session_id"]) == ["S1", "S1"]
    # Before S2 (2023-06-01) only S1's two rows count: the as-of applies to the count as well.
    before = dt.date(2023, 5, 31)
    shown, total = (views.kpi_rows_shown(con, "training_person_times", before, limit=2),
                    views.kpi_rows_count(con, "training_person_times", before))
    assert total == 2 and list(shown["session_id"]) == ["S1", "S1"]


def test_kpi_rows_shown_has_every_kpi(con):
    """Every KPI of the registry can be traced to its rows through the bounded query (none left to the full one)."""
    from metrics.core.registry import KPIS

    _training(con)
    for kpi in KPIS:
        as_of = dt.date(2024, 12, 31)
        shown, total = views.kpi_rows_shown(con, kpi.id, as_of, limit=1), views.kpi_rows_count(con, kpi.id, as_of)
        assert len(shown) == min(1, total), kpi.id


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_a_viewer_is_not_held_up_while_a_command_line_load_holds_the_database(tmp_path, monkeypatch):
    """A CLI load holds the file for writing; a viewer whose pages are cached sees them at once (the data version
    last read stands, as the load has not committed) instead of waiting for the file and then failing."""
    import subprocess
    import sys
    from pathlib import Path

    from streamlit.testing.v1 import AppTest


    db = tmp_path / "k.duckdb"
    con = store.connect(db)
    _training(con)
    con.close()
    monkeypatch.setenv("KPI_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    charts = len(at.get("plotly_chart"))  # seven area charts and the detail's history
    assert charts == 8
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               "c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(40)", str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        from dashboard_ui import state

        state._data_version.clear()  # its 2-s ttl has run out (AppTest's cache does not expire entries itself)
        viewer = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"), default_timeout=60)
        viewer.run()  # another viewer (before: waited for the file, then "database busy" instead of the page)
        assert not viewer.exception, viewer.exception
        assert len(viewer.get("plotly_chart")) == charts  # the whole overview, from the caches
    finally:
        holder.kill()
        holder.wait()


def test_the_server_watches_no_source_files():
    """Streamlit makes a source watcher per session whose first scan of the loaded modules cost ~0.45 s of the
    server's Python for every new viewer: 50 viewers queued 20 s behind it (issue 17). A served dashboard does not
    reload itself on edits, so the project's config turns it off."""
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
    # A full gc.collect(2) after every run was half of a warm run's server time (issue 26): the crowd queued on it.
    assert config["runner"]["postScriptGC"] is False
    assert config["runner"]["magicEnabled"] is False


def test_no_page_relies_on_magic():
    """With magic off (see the config), a bare value on its own line shows nothing: no page may hold one."""
    import ast

    from . import source_tree

    found = []
    for path in source_tree.files("entry", "pages"):
        for node in source_tree.walk(path):
            body = getattr(node, "body", None)
            for i, stmt in enumerate(body if isinstance(body, list) else []):
                docstring = i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                    and isinstance(stmt.value.value, str)
                if isinstance(stmt, ast.Expr) and not isinstance(stmt.value, (ast.Call, ast.Await)) and not docstring:
                    found.append(f"{path.name}:{stmt.lineno}")
    assert found == []


def test_the_benchmarks_scaled_demo_loads_at_any_scale(tmp_path):
    # `bench --scale 100` loads the demo ledgers copied 100 times; the payments were copied whole too, and the
    # load's over-budget check (issue 13) refused the whole batch, so the ×100 benchmark stopped at its first step.
    # Three whole copies already exceed the 500-万元 budget (the demo pays about 462 万元).
    from benchmarks.fixtures import scaled_demo
    from metrics.load import ingest

    folder = scaled_demo(3, tmp_path / "x3")
    con = store.connect(tmp_path / "x3.duckdb")
    try:
        result = ingest.ingest_paths(con, sorted(folder.glob("*.csv")))
        assert result.committed, [e.as_text() for e in result.errors[:3]]
        sessions = store.one(con, "SELECT count(*) FROM training_sessions")[0]
        payments = store.one(con, "SELECT sum(amount) FROM expenditures")[0]
    finally:
        con.close()
    demo = store.connect(tmp_path / "x1.duckdb")
    try:
        ingest.ingest_paths(demo, sorted(scaled_demo(1, tmp_path / "x1").glob("*.csv")))
        assert sessions == 3 * store.one(demo, "SELECT count(*) FROM training_sessions")[0]
        assert payments == pytest.approx(store.one(demo, "SELECT sum(amount) FROM expenditures")[0], abs=0.01)
        assert payments <= 500
    finally:
        demo.close()
