"""Reference series (参考线): configured and validated, drawn as labelled dashed lines on the retail charts, the KPI
detail and the briefing, and carried by `scorecard --json`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import plotly.graph_objects as go
import pytest

from metrics.__main__ import main
from metrics.core.config import DEFAULT_CONFIG, ConfigError, load_config
from metrics.outputs import briefing, charts

ROOT = Path(__file__).resolve().parent.parent


def reference_shapes(fig_json: dict) -> dict[str, dict]:
    return {s["name"]: s for s in fig_json["layout"].get("shapes", []) if str(s.get("name", "")).startswith("reference:")}


def test_the_county_file_carries_the_two_xinjiang_series():
    refs = {r.id: r for r in load_config().references}
    growth = refs["xinjiang_online_retail_growth_2023"]
    agri = refs["xinjiang_agri_online_retail_growth_2023"]
    assert (growth.kpi_id, growth.value, growth.year) == ("online_retail_growth", 0.2368, 2023)
    assert (agri.kpi_id, agri.value, agri.year) == ("agri_online_retail_yoy", 0.2281, 2023)
    assert growth.source and agri.source


def test_bad_reference_entries_are_all_reported(tmp_path):
    bad = tmp_path / "county.toml"
    bad.write_text(DEFAULT_CONFIG.read_text(encoding="utf-8") + """
[[references]]
id = "a"
kpi = "no_such_kpi"
zh = "甲"
en = "A"
value = 0.1
year = 2023
source = "s"

[[references]]
id = "a"
kpi = "online_retail_growth"
zh = "乙"
en = "B"
value = 23.68
year = 23
source = "s"

[[references]]
id = "c"
kpi = "online_retail_growth"
zh = "丙"
en = "C"
value = 0.2
year = 2023
""", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(bad)
    problems = exc.value.problems
    # Two in the file's own series are fine; the three appended have five problems between them.
    assert "references[2]: no such KPI 'no_such_kpi'" in problems
    assert "references[3]: id 'a' is used twice" in problems
    assert "references[3].value: 23.68 is a percentage; write it as a fraction (0.2368)" in problems
    assert "references[3].year: expected a year such as 2023, got 23" in problems
    assert "references[4]: missing 'source'" in problems


def test_reference_lines_are_labelled_dashed_lines_at_their_values():
    refs = load_config().references
    fig = charts.add_reference_lines(go.Figure(go.Scatter(x=[1, 2], y=[10, 30])), refs, "zh")
    shapes = reference_shapes(fig.to_plotly_json())
    # 0.2368 x 100 = 23.68 and 0.2281 x 100 = 22.81 on a percentage axis.
    assert {name: (s["y0"], s["y1"], s["line"]["dash"]) for name, s in shapes.items()} == {
        "reference:xinjiang_online_retail_growth_2023": (23.68, 23.68, "dash"),
        "reference:xinjiang_agri_online_retail_growth_2023": (22.81, 22.81, "dash")}
    # labelled in the legend (annotations two points apart printed over each other)
    texts = [t.name for t in fig.data if str(t.legendgroup).startswith("reference:")]
    assert texts == ["新疆网络零售额增长 2023：23.68%", "新疆农产品网络零售额增长 2023：22.81%"]
    en = charts.add_reference_lines(go.Figure(), refs[:1], "en")
    assert [t.name for t in en.data if str(t.legendgroup).startswith("reference:")] == [
        "Xinjiang online retail growth 2023: 23.68%"]


def test_the_briefing_marks_references_on_the_retail_chart(con):
    b = briefing.build(con, dt.date(2024, 6, 30), with_charts=False)
    retail = next(s for s in b.areas if s.area == "retail")
    fig = briefing.area_figure(b, retail).to_plotly_json()
    shapes = reference_shapes(fig)
    # Shares of target: 0.2368 / 0.20 = 118.4 %; 0.2281 / 0.10 = 228.1 %, drawn at the chart's 150 % edge. Rows are
    # drawn bottom-up: agri YoY (listed second) is row 0, county growth row 1.
    growth = shapes["reference:xinjiang_online_retail_growth_2023"]
    agri = shapes["reference:xinjiang_agri_online_retail_growth_2023"]
    assert (growth["x0"], growth["y0"], growth["y1"], growth["line"]["dash"]) == (pytest.approx(118.4), 0.55, 1.45, "dash")
    assert (agri["x0"], agri["y0"], agri["y1"]) == (150.0, -0.45, 0.45)
    training = next(s for s in b.areas if s.area == "training")
    assert reference_shapes(briefing.area_figure(b, training).to_plotly_json()) == {}


def test_scorecard_json_carries_each_kpis_references(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "empty.duckdb"), "scorecard", "--as-of", "2024-06-30", "--json"]) == 0
    by_id = {k["id"]: k for k in json.loads(capsys.readouterr().out)}
    assert [(r["id"], r["value"], r["year"]) for r in by_id["online_retail_growth"]["references"]] == [
        ("xinjiang_online_retail_growth_2023", 0.2368, 2023)]
    assert by_id["online_retail_growth"]["references"][0]["source"].startswith("新疆维吾尔自治区商务厅")
    assert by_id["training_people"]["references"] == []


def test_retail_page_and_kpi_detail_draw_the_lines(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KPI_DB", str(tmp_path / "retail.duckdb"))
    from metrics.load import ingest
    from metrics.platform import store

    from .ledgers import csv_bytes

    # Two months of retail are enough for the charts to be drawn (growth is no data, the lines still show).
    con = store.connect(tmp_path / "retail.duckdb")
    assert ingest.ingest_files(con, [("r.csv", csv_bytes("月份,全县网络零售额,农产品网络零售额\n2023-01,100,40\n"
                                                         "2023-02,110,44\n"))], "online_retail").committed
    con.close()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.session_state["as_of"] = dt.date(2023, 2, 28)
    at.run()
    at.switch_page("pages/retail.py").run()
    assert not at.exception, [e.value for e in at.exception]
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    with_lines = [set(reference_shapes(spec)) for spec in specs]
    both = {"reference:xinjiang_online_retail_growth_2023", "reference:xinjiang_agri_online_retail_growth_2023"}
    assert both in with_lines  # the trailing-12-month growth chart
    # The KPI detail below shows the first retail KPI (county growth) with its own series only.
    assert {"reference:xinjiang_online_retail_growth_2023"} in with_lines
