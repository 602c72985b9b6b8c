"""网络零售 Online retail: monthly totals and agricultural retail, trailing-12-month growth against the 20 % and
10 % targets, with the baseline year shown."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard_ui import state, ui
from metrics import charts, views
from metrics.formatting import format_wan

frame = state.current()
en = frame.lang == "en"
ui.page_header(state.t("page_retail"))
results = ui.area_results("retail")
ui.kpi_cards(results, columns=2)
cfg = state.config()

monthly = state.view(views.retail_monthly, frame.version, frame.as_of)
missing = state.view(views.missing_retail_months, frame.version, frame.as_of)
if missing:
    months = "、".join(ui.month_label(m) for m in missing[:12])
    st.warning(f"缺少 {len(missing)} 个月的网络零售数据：{months}。缺月时增长率显示为暂无数据。" if not en else
                f"{len(missing)} months of retail data are missing: {months}. Growth shows no data until they are loaded.")
if monthly.empty:
    st.info(state.t("no_data_yet"))
else:
    baseline = monthly.attrs.get("baseline_total")
    st.metric(f"基准年（{cfg.retail_baseline_year}年）全县网络零售额" if not en else f"Baseline year {cfg.retail_baseline_year}",
              format_wan(baseline, frame.lang) if baseline else "—")
    st.subheader("月度网络零售额" if not en else "Monthly online retail")
    fig = go.Figure([go.Bar(x=monthly["month"], y=monthly["total"], name="全县" if not en else "county total", marker_color="#56B4E9"),
                     go.Bar(x=monthly["month"], y=monthly["agri"], name="农产品" if not en else "agricultural", marker_color="#009E73")])
    year = cfg.retail_baseline_year
    fig.add_vrect(x0=pd.Timestamp(year, 1, 1), x1=pd.Timestamp(year, 12, 31), fillcolor="#ddd", opacity=0.3, line_width=0,
                  annotation_text="基准年" if not en else "baseline year")
    ui.chart(ui.layout(fig, state.t("month"), "万元" if not en else "10k yuan", dates=True), key="retail_monthly")

    st.subheader("近12个月增长率" if not en else "Trailing 12-month growth")
    growth = monthly.dropna(subset=["growth_vs_baseline"]) if "growth_vs_baseline" in monthly else monthly.iloc[0:0]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=monthly["month"], y=monthly["growth_vs_baseline"] * 100, mode="lines+markers",
                             name="全县较基准年" if not en else "county vs baseline", line=dict(color="#0072B2", width=3)))
    fig.add_trace(go.Scatter(x=monthly["month"], y=monthly["agri_yoy"] * 100, mode="lines+markers",
                             name="农产品同比" if not en else "agricultural YoY", line=dict(color="#009E73", width=3)))
    targets = {r.id: r.target for r in results}
    fig.add_hline(y=targets["online_retail_growth"] * 100, line_dash="dash", line_color="#0072B2",
                  annotation_text=("全县目标 " if not en else "county target ") + f"{targets['online_retail_growth']:.0%}")
    fig.add_hline(y=targets["agri_online_retail_yoy"] * 100, line_dash="dash", line_color="#009E73",
                  annotation_text=("农产品目标 " if not en else "agri target ") + f"{targets['agri_online_retail_yoy']:.0%}")
    charts.add_reference_lines(fig, cfg.references, frame.lang)  # the region's figures beside the county's
    ui.chart(ui.layout(fig, state.t("month"), "增长率（%）" if not en else "growth (%)", dates=True), key="retail_growth")
    st.caption("全县：近12个月合计 ÷ 基准年全年 − 1；农产品：近12个月 ÷ 前12个月 − 1。" if not en else
               "County: trailing 12 months ÷ baseline year − 1. Agricultural: trailing 12 months ÷ the 12 before − 1.")

st.header(state.t("kpi_detail"))
ui.kpi_detail(area="retail")
