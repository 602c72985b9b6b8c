"""培训与转化 Training: person-times and people against target and pace, sessions by topic, township and mode,
and conversions by type."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboard_ui import kpi_card, state, ui
from metrics.kpi import views
from metrics.kpi.formatting import format_value
from metrics.outputs import charts

frame = state.current()
ui.page_header(state.t("page_training"))
results = kpi_card.area_results("training")
kpi_card.kpi_cards(results)

monthly = state.view(views.training_monthly, frame.version, frame.as_of, frame.township)
targets = {r.id: r for r in results}
if monthly.empty:
    st.info(state.t("no_data_yet"))
else:
    st.subheader(state.t("training_cumulative"))
    pace = state.history("training_person_times", frame.as_of, frame.version)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=monthly["month"], y=monthly["person_times"], name=state.t("training_person_times_month"),
                         marker_color="#9ecae1"))
    fig.add_trace(go.Scatter(x=monthly["month"], y=monthly["person_times_total"], name=state.t("training_cumulative_person_times"),
                             mode="lines+markers", line=dict(color="#0072B2", width=3)))
    fig.add_trace(go.Scatter(x=monthly["month"], y=monthly["people_total"], name=state.t("training_cumulative_people"),
                             mode="lines+markers", line=dict(color="#009E73", width=3)))
    if not frame.township:  # targets and pace are county-wide
        fig.add_trace(go.Scatter(x=[p["date"] for p in pace], y=[p["expected"] for p in pace], mode="lines",
                                 name=state.t("training_pace_person_times"),
                                 line=dict(color="#555", dash="dot")))
        fig.add_hline(y=targets["training_person_times"].target, line_dash="dash", line_color="#0072B2",
                      annotation_text=(state.t("training_target")) + format_value("training_person_times", targets["training_person_times"].target, frame.lang))
        fig.add_hline(y=targets["training_people"].target, line_dash="dash", line_color="#009E73",
                      annotation_text=(state.t("training_target")) + format_value("training_people", targets["training_people"].target, frame.lang))
    ui.chart(ui.layout(fig, state.t("month"), state.t("training_person_times_people"), 420, dates=True), key="training_total")

    tabs = st.tabs([state.t("training_topic"), state.t("training_township"), state.t("training_mode")])
    for tab, dimension in zip(tabs, ["topic", "township", "mode"]):
        with tab:
            data = state.view(views.sessions_by, frame.version, frame.as_of, dimension, frame.township)
            # Sessions run in tens and person-times in hundreds: each gets its own panel, the categories (long
            # township and topic names) once, on the left, where they can be read on a phone.
            names = data["category"].astype(str).map(lambda n: charts.wrap(n, 14))
            fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06)
            fig.add_trace(go.Bar(y=names, x=data["person_times"], name=state.t("training_person_times"),
                                 marker_color="#0072B2", orientation="h"), row=1, col=1)
            fig.add_trace(go.Bar(y=names, x=data["sessions"], name=state.t("training_sessions_legend"),
                                 marker_color="#E69F00", orientation="h"), row=1, col=2)
            fig.update_xaxes(title_text=state.t("training_sessions"), row=1, col=2)
            fig.update_yaxes(autorange="reversed")
            ui.chart(ui.layout(fig, state.t("training_person_times"), "", charts.bar_height(names)),
                     key=f"by_{dimension}")

st.subheader(state.t("training_conversions"))
conversions = state.view(views.conversions_by_type, frame.version, frame.as_of)
if conversions.empty:
    st.info(state.t("no_data_yet"))
else:
    kinds = conversions["type"].astype(str).map(lambda n: charts.wrap(n, 14))
    fig = go.Figure([go.Bar(y=kinds, x=conversions["conversions"], name=state.t("training_records"), marker_color="#999999", orientation="h"),
                     go.Bar(y=kinds, x=conversions["counted"], name=state.t("training_counted"), marker_color="#009E73", orientation="h")])
    fig.update_yaxes(autorange="reversed")
    ui.chart(ui.layout(fig, state.t("training_people"), state.t("training_type"), charts.bar_height(kinds, 2)),
             key="conversions")
    st.caption(state.t("training_conversion_rule"))

st.header(state.t("kpi_detail"))
kpi_card.kpi_detail(area="training")
