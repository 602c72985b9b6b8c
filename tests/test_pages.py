"""Every page through Streamlit's AppTest, in both languages, plus focused checks of what the overview shows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard_ui.navigation import page_names
from metrics.core.i18n import LANGUAGES, t

from .page_runs import page_params

ROOT = Path(__file__).resolve().parent.parent
PAGES = page_names()  # the router's list
NO_CHARTS = ("definitions", "explore", "data_import", "meeting", "acceptance", "region")  # tables and forms; meeting opens on its title slide


def app(db: Path, lang: str = "zh", page: str | None = None, as_of: dt.date | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.session_state["lang"] = lang
    if as_of:
        at.session_state["as_of"] = as_of  # what the sidebar's date picker sets
    at.run()
    if page and page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    return at


@pytest.mark.parametrize(("page", "lang"), page_params())
def test_every_page_renders_without_error(rendered_page, page, lang):
    at = rendered_page(page, lang)  # the run test_charts_tables reads too
    assert not at.exception, [e.value for e in at.exception]
    # Every page but the definitions table draws charts.
    if page not in NO_CHARTS:
        assert len(at.get("plotly_chart")) >= 1
    if page == "overview":
        # The banner is drawn by the frame; AppTest drops the frame's elements after switch_page, so the
        # browser test checks it on every page.
        assert any(w.value == t("demo_banner", lang) for w in at.warning)
    errors = [e.value for e in at.error]
    assert all("超出计划" in e or "over plan" in e for e in errors), errors  # only the budget's over-plan flag


@pytest.fixture
def small_db(ledgers_db, monkeypatch):
    """Two sessions with attendance: as of 2023-03-31 there are 3 person-times, as of 2023-06-30 there are 5."""
    sessions = "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-03-01,禾木,直播带货,线下\nS2,2023-06-01,禾木,网店运营,线下\n"
    attendance = "场次编号,学员编号\nS1,A\nS1,B\nS1,C\nS2,A\nS2,D\n"
    path = ledgers_db((("s.csv", sessions), ("a.csv", attendance)), "small.duckdb")
    monkeypatch.setenv("KPI_DB", str(path))
    return path


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_overview_shows_the_kpi_value_and_status(small_db):
    at = app(small_db)
    assert not at.exception
    # The latest data date is S2's 2023-06-01: 5 person-times (S1: A, B, C; S2: A, D).
    assert at.sidebar.date_input(key="as_of").value == dt.date(2023, 6, 1)
    assert metric(at, "当前值") == "5 人次"
    # Expected by pace on 2023-06-01: 4000 x 243 / 761 = 1277; 5 is far below 0.7 x that: behind.
    assert any("进度滞后" in m.value for m in at.markdown if "还差 3,995 人次" in m.value)
    # No demo loaded: no banner.
    assert not any("演示数据" in w.value for w in at.warning)


def test_changing_the_as_of_date_changes_the_value(small_db):
    # AppTest loses the elements drawn before st.navigation when it reruns a script, so the date is set the way
    # the sidebar's picker sets it (its widget key); the browser test changes it through the page itself.
    at = app(small_db, as_of=dt.date(2023, 3, 31))
    assert not at.exception
    assert at.sidebar.date_input(key="as_of").value == dt.date(2023, 3, 31)
    assert metric(at, "当前值") == "3 人次"  # only S1's three rows


def test_english_overview(small_db):
    at = app(small_db, "en")
    assert metric(at, "Value") == "5 person-times"
    assert any("Behind" in m.value for m in at.markdown)


def test_a_kpi_card_opens_its_detail(small_db):
    at = app(small_db, page="training")
    at.button(key="card_training_people").click().run()
    assert at.selectbox(key="detail_select_zh").value == "training_people"
    assert metric(at, "当前值") == "4 人"  # A, B, C, D


def test_the_talent_page_says_why_each_talent_counts_or_not(demo_db, monkeypatch):
    # Each talent's reason follows the plan's rule in order (issue 17 rewrote how the column is built): counts ->
    # 计入; not incubated by the as-of date -> 尚未孵化; cannot sell live -> 不具备直播带货能力; else its best single
    # platform against the 10,000 threshold, e.g. 单平台最高 8,200 粉，不足 10,000.
    monkeypatch.setenv("KPI_DB", str(demo_db))
    as_of = dt.date(2024, 3, 31)
    at = app(demo_db, "zh", "talent", as_of=as_of)
    table = next(df.value for df in at.dataframe if "说明" in df.value.columns)
    as_of = str(as_of)
    seen = set()
    for row in table.to_dict("records"):
        counts, incubated, live, followers = (row[c] for c in ("计入万粉主播", "孵化日期", "具备直播带货能力", "粉丝数"))
        if counts:
            expected = "计入"
        elif incubated is None or str(incubated) > as_of:
            expected = "尚未孵化"
        elif not live:
            expected = "不具备直播带货能力"
        else:
            expected = f"单平台最高 {followers:,} 粉，不足 10,000"
        assert row["说明"] == expected, row
        seen.add(expected[:2])
    assert {"计入", "单平", "不具"} <= seen  # the demo has talents of three of the four kinds at this date


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_broken_configuration_stops_the_dashboard_with_every_problem(demo_db, monkeypatch, tmp_path, lang):
    """Before any page runs: the list of the county file's problems in the viewer's language, as plain text (a
    name from the file is shown, never rendered), and no traceback."""
    from metrics.core.config import DEFAULT_CONFIG, default_config

    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace("[targets.local_talents]", "[targets.local_talent]", 1)
    text = text.replace("status_threshold = 0.7", "status_threshold = 7", 1)
    bad = tmp_path / "county.toml"
    bad.write_text(text, encoding="utf-8")
    monkeypatch.setenv("KPI_DB", str(demo_db))
    monkeypatch.setenv("KPI_CONFIG", str(bad))
    default_config.cache_clear()
    try:
        at = app(demo_db, lang)
    finally:
        default_config.cache_clear()
    assert not at.exception, [e.value for e in at.exception]
    assert str(bad) in at.error[0].value
    shown = at.code[0].value.splitlines()
    if lang == "zh":
        assert "targets：指标「local_talents」没有目标值" in shown and "targets.local_talent：没有这个指标" in shown
    else:
        assert "targets: no target for KPI 'local_talents'" in shown and "targets.local_talent: no such KPI" in shown
    assert len(shown) == 3  # the threshold too: every problem at once
    assert not at.get("plotly_chart")  # no page ran
