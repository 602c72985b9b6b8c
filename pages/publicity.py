"""宣传推广 Publicity: articles per year against 30, mainstream media reports, reads."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard_ui import kpi_card, state, tables, ui
from metrics.kpi import views

frame = state.current()
ui.page_header(state.t("page_publicity"))
kpi_card.kpi_cards(kpi_card.area_results("publicity"), columns=2)

by_year = state.view(views.publicity_by_year, frame.version, frame.as_of)
if by_year.empty:
    st.info(state.t("no_data_yet"))
else:
    st.subheader(state.t("publicity_items_per_year"))
    fig = go.Figure([go.Bar(x=by_year[by_year["channel"] == ch]["year"].astype(str), y=by_year[by_year["channel"] == ch]["items"], name=ch)
                     for ch in by_year["channel"].unique()])
    target = state.config().targets["wechat_articles"].min
    fig.add_hline(y=target, line_dash="dash", line_color="#444",
                  annotation_text=state.t("publicity_yearly_target", target=target))
    ui.chart(ui.layout(fig, state.t("publicity_year"), state.t("publicity_items")), key="pub_year")
    reads = by_year.groupby("year")["reads"].sum().reset_index()
    fig = go.Figure(go.Bar(x=reads["year"].astype(str), y=reads["reads"], marker_color="#56B4E9"))
    ui.chart(ui.layout(fig, state.t("publicity_year"), state.t("publicity_reads"), 300), key="reads")

st.subheader(state.t("publicity_mainstream_media_reports"))
tables.table(state.view(views.media_reports, frame.version, frame.as_of), "publicity")

st.header(state.t("kpi_detail"))
kpi_card.kpi_detail(area="publicity")
