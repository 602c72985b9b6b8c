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


# The page's figures are built once per data version, as-of date, township and language for every viewer
# (ui.per_version): building them was most of a warm run.
def cumulative_figure(version: str, as_of, township: str | None) -> go.Figure:
    monthly = state.view(views.training_monthly, version, as_of, township)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=monthly["month"], y=monthly["person_times"], name=state.t("training_person_times_month"),
                         marker_color="#9ecae1"))
    fig.add_trace(go.Scatter(x=monthly["month"], y=monthly["person_times_total"],
                             name=state.t("training_cumulative_person_times"),
                             mode="lines+markers", line=dict(color="#0072B2", width=3)))
    fig.add_trace(go.Scatter(x=monthly["month"], y=monthly["people_total"], name=state.t("training_cumulative_people"),
                             mode="lines+markers", line=dict(color="#009E73", width=3)))
    if not township:  # targets and pace are county-wide
        lang = state.lang()
        targets = {r.id: r for r in state.scorecard(as_of, lang, version)}
        pace = state.history("training_person_times", as_of, version)
        fig.add_trace(go.Scatter(x=[p["date"] for p in pace], y=[p["expected"] for p in pace], mode="lines",
                                 name=state.t("training_pace_person_times"),
                                 line=dict(color="#555", dash="dot")))
        for kpi_id, color in (("training_person_times", "#0072B2"), ("training_people", "#009E73")):
            target = targets[kpi_id].target
            fig.add_hline(y=target, line_dash="dash", line_color=color,
                          annotation_text=state.t("training_target") + format_value(kpi_id, target, lang))
    return ui.layout(fig, state.t("month"), state.t("training_person_times_people"), 420, dates=True)


def sessions_figure(version: str, as_of, dimension: str, township: str | None) -> go.Figure:
    data = state.view(views.sessions_by, version, as_of, dimension, township)
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
    return ui.layout(fig, state.t("training_person_times"), "", charts.bar_height(names))


def conversions_figure(version: str, as_of) -> go.Figure:
    conversions = state.view(views.conversions_by_type, version, as_of)
    kinds = conversions["type"].astype(str).map(lambda n: charts.wrap(n, 14))
    fig = go.Figure([go.Bar(y=kinds, x=conversions["conversions"], name=state.t("training_records"),
                            marker_color="#999999", orientation="h"),
                     go.Bar(y=kinds, x=conversions["counted"], name=state.t("training_counted"),
                            marker_color="#009E73", orientation="h")])
    fig.update_yaxes(autorange="reversed")
    return ui.layout(fig, state.t("training_people"), state.t("training_type"), charts.bar_height(kinds, 2))


monthly = state.view(views.training_monthly, frame.version, frame.as_of, frame.township)
if monthly.empty:
    st.info(state.t("no_data_yet"))
else:
    st.subheader(state.t("training_cumulative"))
    ui.chart(ui.per_version(cumulative_figure)(frame.version, frame.as_of, frame.township), key="training_total")
    tabs = st.tabs([state.t("training_topic"), state.t("training_township"), state.t("training_mode")])
    for tab, dimension in zip(tabs, ["topic", "township", "mode"]):
        with tab:
            ui.chart(ui.per_version(sessions_figure)(frame.version, frame.as_of, dimension, frame.township),
                     key=f"by_{dimension}")

st.subheader(state.t("training_conversions"))
if state.view(views.conversions_by_type, frame.version, frame.as_of).empty:
    st.info(state.t("no_data_yet"))
else:
    ui.chart(ui.per_version(conversions_figure)(frame.version, frame.as_of), key="conversions")
    st.caption(state.t("training_conversion_rule"))

st.header(state.t("kpi_detail"))
kpi_card.kpi_detail(area="training")
