"""metrics.outputs.charts.finish and the chart check's rules on tiny hand-made inputs (no browser)."""

from __future__ import annotations

import plotly.graph_objects as go

from metrics.core.i18n import LANGUAGES
from metrics.outputs import charts

from .chart_check import problems
from .language_check import chinese_in_english, english_in_chinese


def box(text, x0, y0, x1, y1, kind="text", size=14):
    return {"text": text, "kind": kind, "size": size, "x0": x0, "y0": y0, "x1": x1, "y1": y1}


def chart(texts, axes=()):
    return [{"index": 0, "title": "", "box": {"x0": 0, "y0": 0, "x1": 400, "y1": 300}, "texts": texts,
             "axes": list(axes)}]


def test_the_chart_check_names_each_defect():
    # A KPI name drawn at x = -141 px: left of the chart's box (issue 15: clipped y-axis names).
    assert "outside the chart" in problems(chart([box("电商培训人次", -141, 10, 20, 30)]), "p")[0]
    # "23.8%" under the pace marker's label: two boxes sharing 10 x 10 px.
    assert "overlap" in problems(chart([box("23.8%", 100, 100, 140, 120), box("pace", 130, 110, 170, 130)]), "p")[0]
    # Boxes that only touch (within 1.5 px) do not overlap.
    assert problems(chart([box("a", 0, 0, 50, 20), box("b", 49, 0, 90, 20)]), "p") == []
    # Count ticks 0, 0, 1, 1, 2 (a fractional step printed as whole numbers).
    ticks = [box(t, 10 + 30 * i, 280, 20 + 30 * i, 295, "tick:y") for i, t in enumerate(["0", "0", "1", "1", "2"])]
    assert "repeats tick labels ['0', '1']" in problems(chart(ticks), "p")[0]
    # An amount axis from 2,332: not from zero.
    axis = {"name": "yaxis2", "type": "linear", "range": [2332.0, 5075.9], "title": "金额（元）", "zero_exempt": False}
    assert "not from zero" in problems(chart([], [axis]), "p")[0]
    assert problems(chart([], [{**axis, "range": [-5.0, 30.0]}]), "p") == []  # growth may go below zero
    assert problems(chart([], [{**axis, "type": "date"}]), "p") == []
    # A label Plotly shrank to 6 px inside a short bar.
    assert "too small" in problems(chart([box("10/10", 10, 10, 30, 16, size=6)]), "p")[0]


def test_turned_tick_labels_are_compared_as_turned_boxes():
    # Two labels turned 30 degrees, side by side along the axis: their screen rectangles overlap, the labels don't.
    a = {**box("布尔津镇", 0, 0, 60, 40, "tick:x"), "angle": 30, "w": 60, "h": 16, "cx": 30, "cy": 20}
    b = {**box("冲乎尔镇", 30, 0, 90, 40, "tick:x"), "angle": 30, "w": 60, "h": 16, "cx": 60, "cy": 20}
    assert problems(chart([a, b]), "p") == []


def test_finish_escapes_ledger_text_and_keeps_line_breaks():
    fig = charts.finish(go.Figure(go.Bar(x=['<a href="http://x">点我</a>', "A & B"], y=[1, 2],
                                         name='<span style="font-size:60px">已达标</span>')))
    assert list(fig.data[0].x) == ['&lt;a href="http://x"&gt;点我&lt;/a&gt;', "A &amp; B"]
    assert fig.data[0].name == '&lt;span style="font-size:60px"&gt;已达标&lt;/span&gt;'
    assert charts.escape(charts.escape("<b>&")) == "&lt;b&gt;&amp;"  # twice is the same as once
    assert charts.wrap("6.1 构建农村电商宣传矩阵", 12) == "6.1 构建农村<br>电商宣传矩阵"  # 12 columns: 6 characters


def test_finish_makes_axes_tell_the_truth():
    # Sessions 0..2 per township: whole-number ticks one apart from zero (never 0.5 or "0, 0, 1, 1, 2").
    sessions = charts.finish(go.Figure(go.Bar(x=["布尔津镇", "冲乎尔镇"], y=[0, 2])))
    assert sessions.layout.yaxis.tickformat == ",d" and sessions.layout.yaxis.dtick == 1
    assert sessions.layout.yaxis.rangemode == "tozero" and sessions.layout.xaxis.type == "category"
    # Amounts (not whole numbers) start at zero but keep decimal ticks.
    amounts = charts.finish(go.Figure(go.Scatter(x=[1, 2], y=[2332.5, 5075.9])))
    assert amounts.layout.yaxis.rangemode == "tozero" and amounts.layout.yaxis.tickformat is None
    # Years and plan line numbers written as text are categories, not the numbers 2021.5 or 1.1.
    years = charts.finish(go.Figure(go.Bar(x=["2022", "2023"], y=[3, 4])))
    assert years.layout.xaxis.type == "category"
    # A horizontal bar's value axis is x.
    lines = charts.finish(go.Figure(go.Bar(y=["1.1", "1.2"], x=[10.5, 3.0], orientation="h")))
    assert lines.layout.xaxis.rangemode == "tozero" and lines.layout.yaxis.type == "category"


def test_the_bullet_chart_puts_no_text_on_its_bars():
    """The pace tick and the 100 % line cross the bars: value labels stand beside the bar, as its axis label."""
    from types import SimpleNamespace

    result = SimpleNamespace(id="online_retail_growth", name="全县网络零售额增长率", status="achieved",
                             progress=1.19, value=0.238, target=0.2, target_max=None, expected=0.2)
    fig = charts.bullet_chart([result], "zh")
    assert fig.data[0].text is None
    assert "23.8%" in fig.layout.yaxis.ticktext[0] and "已达标" in fig.layout.yaxis.ticktext[0]


def test_the_language_check():
    ledger = ["布尔津镇"]
    assert chinese_in_english("Plan (万元)", ledger) == ["Plan (万元)"]
    assert chinese_in_english("Stations in 布尔津镇", ledger) == []
    assert chinese_in_english("中文  English", ledger) == []  # the language switch
    assert english_in_chinese("全选 Select all", ledger) == ["Select all  ←  全选 Select all"]
    assert english_in_chinese("下载 CSV（Excel 可直接打开）", ledger) == []


def test_english_counts_agree_with_their_number():
    from metrics.kpi.formatting import format_target, format_value

    assert format_value("startup_contests", 1, "en") == "1 contest"
    assert format_value("startup_contests", 2, "en") == "2 contests"
    assert format_value("training_people", 1, "en") == "1 person"
    assert format_target("startup_contests", 1, None, "en") == "≥ 1 contest"
    assert format_target("industry_brands", 2, 3, "en") == "2–3 brands"


def _bullet_built_up(results, lang="zh", font_size=14, label_width=22):
    """The bullet chart as it was built before (add_trace, add_vline, update_*): the reference for the figure the
    faster declaration must equal."""
    from metrics.outputs.charts import FONT, STATUS_COLORS, format_target, format_value, t, word, wrap

    results = list(reversed(results))
    labels = [f"{wrap(r.name, label_width)}<br><b>{word(r.status, lang)}</b><br>"
              + wrap(f"{format_value(r.id, r.value, lang)} / {format_target(r.id, r.target, r.target_max, lang)}",
                     label_width) for r in results]
    positions = list(range(len(results)))
    fig = go.Figure(go.Bar(x=[min(150.0, (r.progress or 0) * 100) for r in results], y=positions, orientation="h",
                           width=0.6, marker_color=[STATUS_COLORS[r.status] for r in results],
                           name=t("chart_value", lang),
                           customdata=[f"{r.name} · {word(r.status, lang)} · {format_value(r.id, r.value, lang)} / "
                                       f"{format_target(r.id, r.target, r.target_max, lang)}" for r in results],
                           hovertemplate="%{customdata}<extra></extra>"))
    paced = [(min(150.0, r.expected / r.target * 100), i) for i, r in enumerate(results)
             if r.expected is not None and r.target]
    if paced:
        fig.add_trace(go.Scatter(x=[p for p, _ in paced], y=[i for _, i in paced], mode="markers",
                                 marker=dict(symbol="line-ns", size=font_size * 2.2, line=dict(width=3, color="#222")),
                                 name=t("chart_pace", lang), hovertemplate="%{x:.0f}%<extra></extra>"))
    fig.add_vline(x=100, line_dash="dash", line_color="#444")
    tallest = max(label.count("<br>") + 1 for label in labels) if labels else 1
    fig.update_yaxes(tickmode="array", tickvals=positions, ticktext=labels, range=[-0.6, len(results) - 0.4],
                     automargin=True, ticklabelstandoff=6)
    fig.update_xaxes(range=[0, 152], ticksuffix="%", tickvals=[0, 50, 100, 150], gridcolor="#e5e5e5",
                     automargin=True, fixedrange=True)
    fig.update_yaxes(fixedrange=True)
    fig.update_layout(height=int(110 + len(results) * (font_size * 1.45 * tallest + 16)),
                      margin=dict(l=10, r=16, t=40, b=10), font=dict(family=FONT, size=font_size),
                      xaxis_title=t("chart_share", lang), bargap=0.35,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), plot_bgcolor="white")
    return fig


def test_the_bullet_chart_declared_whole_is_the_figure_it_was(demo_db):
    # issue 17: the bullet chart is declared as one dict (4 ms) instead of being built up call by call (28 ms); a
    # viewer must see exactly the same figure, in both languages, with and without a pace marker.
    import datetime as dt
    import json

    from metrics.kpi.scorecard import scorecard
    from metrics.platform import store

    con = store.connect(demo_db, read_only=True)
    try:
        results = scorecard(con, dt.date(2024, 6, 30))
    finally:
        con.close()
    for lang in LANGUAGES:
        for chosen in (results[:3], results[3:5], [r for r in results if r.expected is None][:2] or results[:1]):
            ours, theirs = (json.loads(f.to_json()) for f in (charts.bullet_chart(chosen, lang),
                                                              _bullet_built_up(chosen, lang)))
            assert ours == theirs


def test_no_wrapped_line_begins_with_closing_punctuation():
    """Issue 24: the schedule showed "M10 完成商务部" over "、自治区商务厅…". At every width from 6 to 30 columns, no
    line of a wrapped plan task, KPI name or budget line begins with 、，。） (they end the line before instead)."""
    import csv

    from metrics.core.config import default_config
    from metrics.core.registry import KPIS
    from metrics.demo import DEMO_DIR

    assert charts.wrap("M10 完成商务部、自治区商务厅整改工作", 14).split("<br>")[1][0] != "、"
    names = [k.name("zh") for k in KPIS] + [line.zh for line in default_config().budget_lines]
    for path in DEMO_DIR.glob("*.csv"):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:  # the demo has a clerk's GBK export too
            text = raw.decode("gb18030")
        names += [value for row in csv.reader(text.splitlines()) for value in row
                  if any("\u4e00" <= c <= "\u9fff" for c in value)]
    names = sorted(set(names))  # each distinct text once (the demo repeats townships and topics thousands of times)
    assert len(names) > 50
    for name in names:
        for width in range(6, 31):
            for line in charts.wrap(name, width).split("<br>")[1:]:
                assert line[:1] not in charts.NO_LINE_START, (name, width, line)


def test_a_long_outside_name_is_one_short_escaped_axis_label():
    """A county name from a snapshot's configuration (here a hostile one) labels the region chart: one line of at
    most 24 columns, cut with …, escaped, so it neither pushes the bars aside nor carries markup."""
    from metrics.outputs.charts import short

    label = short('county![x](http://198.51.100.7/x.png)<img src="x">')
    assert label.endswith("…") and "<img" not in label and len(label.replace("&lt;", "<")) <= 25
    assert short("布尔津县") == "布尔津县"  # 8 columns: whole
    assert short("禾木哈纳斯蒙古族乡禾木哈纳斯") == "禾木哈纳斯蒙古族乡禾木…"  # 14 characters = 28 columns: cut to 24
