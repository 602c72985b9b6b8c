"""宣传推广 Publicity: articles per year against 30, mainstream media reports, reads."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard_ui import state, ui
from metrics import views

frame = state.current()
en = frame.lang == "en"
ui.page_header(state.t("page_publicity"))
ui.kpi_cards(ui.area_results("publicity"), columns=2)

by_year = state.view(views.publicity_by_year, frame.version, frame.as_of)
if by_year.empty:
    st.info(state.t("no_data_yet"))
else:
    st.subheader("各年度发布量" if not en else "Items per year")
    fig = go.Figure([go.Bar(x=by_year[by_year["channel"] == ch]["year"].astype(str), y=by_year[by_year["channel"] == ch]["items"], name=ch)
                     for ch in by_year["channel"].unique()])
    target = state.config().targets["wechat_articles"].min
    fig.add_hline(y=target, line_dash="dash", line_color="#444",
                  annotation_text=f"公众号每年目标 {target:.0f} 篇" if not en else f"yearly target {target:.0f} articles")
    ui.chart(ui.layout(fig, "年度" if not en else "year", "篇（次）" if not en else "items"), key="pub_year")
    reads = by_year.groupby("year")["reads"].sum().reset_index()
    fig = go.Figure(go.Bar(x=reads["year"].astype(str), y=reads["reads"], marker_color="#56B4E9"))
    ui.chart(ui.layout(fig, "年度" if not en else "year", "阅读量（次）" if not en else "reads", 300), key="reads")

st.subheader("中央及自治区主流媒体报道" if not en else "Mainstream media reports")
ui.table(state.view(views.media_reports, frame.version, frame.as_of), "publicity")

st.header(state.t("kpi_detail"))
ui.kpi_detail(area="publicity")
