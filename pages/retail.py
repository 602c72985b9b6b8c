"""网络零售 Online retail: monthly totals and agricultural retail, trailing-12-month growth against the 20 % and
10 % targets, with the baseline year shown."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard_ui import kpi_card, state, ui
from metrics.kpi import views
from metrics.kpi.formatting import format_wan
from metrics.outputs import charts

frame = state.current()
ui.page_header(state.t("page_retail"))
results = kpi_card.area_results("retail")
kpi_card.kpi_cards(results, columns=2)
cfg = state.config()

monthly = state.view(views.retail_monthly, frame.version, frame.as_of)
missing = state.view(views.missing_retail_months, frame.version, frame.as_of)
if missing:
    months = state.t("list_separator").join(ui.month_label(m) for m in missing[:12])
    st.warning(state.t("retail_missing_months", n=len(missing), months=months))
if monthly.empty:
    st.info(state.t("no_data_yet"))
else:
    baseline = monthly.attrs.get("baseline_total")
    st.metric(state.t("retail_baseline_year", year=cfg.retail_baseline_year),
              format_wan(baseline, frame.lang) if baseline else "—")
    st.subheader(state.t("retail_monthly_online_retail"))
    fig = go.Figure([go.Bar(x=monthly["month"], y=monthly["total"], name=state.t("retail_county_total"), marker_color="#56B4E9"),
                     go.Bar(x=monthly["month"], y=monthly["agri"], name=state.t("retail_agricultural"), marker_color="#009E73")])
    year = cfg.retail_baseline_year
    fig.add_vrect(x0=pd.Timestamp(year, 1, 1), x1=pd.Timestamp(year, 12, 31), fillcolor="#ddd", opacity=0.3, line_width=0,
                  annotation_text=state.t("retail_baseline_year_axis"))
    ui.chart(ui.layout(fig, state.t("month"), state.t("unit_wan_yuan"), dates=True), key="retail_monthly")

    st.subheader(state.t("retail_trailing_growth"))
    growth = monthly.dropna(subset=["growth_vs_baseline"]) if "growth_vs_baseline" in monthly else monthly.iloc[0:0]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=monthly["month"], y=monthly["growth_vs_baseline"] * 100, mode="lines+markers",
                             name=state.t("retail_county_vs_baseline"), line=dict(color="#0072B2", width=3)))
    fig.add_trace(go.Scatter(x=monthly["month"], y=monthly["agri_yoy"] * 100, mode="lines+markers",
                             name=state.t("retail_agricultural_yoy"), line=dict(color="#009E73", width=3)))
    targets = {r.id: r.target for r in results}
    fig.add_hline(y=targets["online_retail_growth"] * 100, line_dash="dash", line_color="#0072B2",
                  annotation_text=(state.t("retail_county_target")) + f"{targets['online_retail_growth']:.0%}")
    fig.add_hline(y=targets["agri_online_retail_yoy"] * 100, line_dash="dash", line_color="#009E73",
                  annotation_text=(state.t("retail_agri_target")) + f"{targets['agri_online_retail_yoy']:.0%}")
    charts.add_reference_lines(fig, cfg.references, frame.lang)  # the region's figures beside the county's
    ui.chart(ui.layout(fig, state.t("month"), state.t("retail_growth"), dates=True), key="retail_growth")
    st.caption(state.t("retail_growth_rule"))

st.header(state.t("kpi_detail"))
kpi_card.kpi_detail(area="retail")
