"""人才与主播 Talents and streamers: incubated talents against 50; each streamer's followers over time with the
10,000 line; who counts toward the 5 and why."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard_ui import kpi_card, state, tables, ui
from metrics.core import i18n
from metrics.core.datasets import DATASETS
from metrics.kpi import views
from metrics.kpi.scorecard import follower_threshold
from metrics.outputs import charts

frame = state.current()
ui.page_header(state.t("page_talent"))
results = kpi_card.area_results("talent")
kpi_card.kpi_cards(results)
threshold = follower_threshold(state.config())


# The page's figures are built once per data version, as-of date, choice and language for every viewer
# (ui.per_version): building them was most of a warm run.
def followers_figure(version: str, as_of, platform: str | None, threshold: int) -> go.Figure:
    series = state.view(views.follower_series, version, as_of, platform)
    # The ten talents with the most followers on one platform, so the chart stays readable.
    top = series.groupby(["talent_id", "platform"])["followers"].max().nlargest(10).index
    fig = go.Figure()
    for talent_id, plat in top:
        one = series[(series["talent_id"] == talent_id) & (series["platform"] == plat)]
        fig.add_trace(go.Scatter(x=one["date"], y=one["followers"], mode="lines",
                                 name=f"{one['name'].iloc[0]} · {plat}"))
    fig.add_hline(y=threshold, line_dash="dash", line_color="#D55E00",
                  annotation_text=state.t("talent_followers", threshold=threshold))
    fig.update_yaxes(tickformat=",d")
    return ui.layout(fig, state.t("date"), state.t("talent_followers_axis"), 440, dates=True)


def talents_figure(version: str, as_of, township: str | None) -> go.Figure:
    by = state.view(views.talents_by, version, as_of, township)
    fig = go.Figure([go.Bar(y=by[by["type"] == kind]["township"], x=by[by["type"] == kind]["talents"], name=kind,
                            orientation="h") for kind in by["type"].unique()])
    fig.update_layout(barmode="stack")
    fig.update_yaxes(categoryorder="total ascending")
    return ui.layout(fig, state.t("talent_talents"), state.t("township"), charts.bar_height(by["township"].unique()))


st.subheader(state.t("talent_followers_over_time"))
platforms = list(DATASETS["follower_snapshots"].column("platform").choices)
platform = st.selectbox(state.t("talent_platform"), ["*", *platforms], key=state.lang_key("talent_platform"),
                        format_func=lambda p: (state.t("talent_all_platforms")) if p == "*" else p)
platform = None if platform == "*" else platform
series = state.view(views.follower_series, frame.version, frame.as_of, platform)
qualification = state.view(views.kpi_rows, frame.version, "streamers_10k", frame.as_of)  # the KPI's own rows
if series.empty:
    st.info(state.t("no_data_yet"))
else:
    ui.chart(ui.per_version(followers_figure)(frame.version, frame.as_of, platform, threshold), key="followers")
    st.caption(state.t("talent_counting_rule"))

st.subheader(state.t("talent_who_counts"))
if not qualification.empty:
    # One reason per talent, over plain tuples: DataFrame.apply built a Series per row (0.8 s for the 4,200
    # talents at a region's scale, issue 17); the fixed texts are looked up once, not per row.
    counts_text, not_yet_text, no_live_text = (state.t("talent_counts"), state.t("talent_yet_incubated"),
                                               state.t("talent_cannot_sell_live"))

    def reason(counts, incubated_on, can_sell_live, followers) -> str:
        if counts:
            return counts_text
        if incubated_on is None or str(incubated_on) > str(frame.as_of):
            return not_yet_text
        if not can_sell_live:
            return no_live_text
        return i18n.t("talent_below_threshold", frame.lang, followers=followers, threshold=threshold)

    shown = qualification.copy()
    shown["reason"] = [reason(*row) for row in zip(shown["counts"], shown["incubated_on"], shown["can_sell_live"],
                                                   shown["followers"])]
    shown = shown.rename(columns={"reason": state.t("talent_why")})
    tables.table(shown, "talents", height=360)

st.subheader(state.t("talent_by_township_type"))
if not state.view(views.talents_by, frame.version, frame.as_of, frame.township).empty:
    ui.chart(ui.per_version(talents_figure)(frame.version, frame.as_of, frame.township), key="talents_by")

st.header(state.t("kpi_detail"))
kpi_card.kpi_detail(area="talent")
