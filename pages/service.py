"""服务体系 Service system: stations, pickup and group-buying coverage by township, digital upgrades per enterprise,
the livestream base, logistics subsidies."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboard_ui import kpi_card, state, tables, ui
from metrics.kpi import views
from metrics.outputs import charts

frame = state.current()
ui.page_header(state.t("page_service"))
kpi_card.kpi_cards(kpi_card.area_results("service"))


# The page's figures are built once per data version, as-of date, township and language for every viewer
# (ui.per_version): building them was most of a warm run.
def stations_figure(version: str, township: str | None) -> go.Figure:
    stations = state.view(views.stations_by_township, version, township)
    by_town = stations.groupby("township")[["stations", "operating", "pickup_points"]].sum().reset_index()
    fig = go.Figure([go.Bar(y=by_town["township"], x=by_town["operating"], name=state.t("service_operating"),
                            marker_color="#0072B2", orientation="h"),
                     go.Bar(y=by_town["township"], x=by_town["pickup_points"], name=state.t("service_which_pickup"),
                            marker_color="#009E73", orientation="h")])
    fig.update_yaxes(autorange="reversed")
    return ui.layout(fig, state.t("service_stations"), state.t("township"), charts.bar_height(by_town["township"], 2))


def coverage_figure(version: str, as_of, township: str | None) -> go.Figure:
    # The ledger's place types (its values: data) and their names in the viewer's language.
    place_kinds = {"社区": state.t("service_communities"), "村": state.t("service_villages")}
    coverage = state.view(views.coverage_by_township, version, as_of, township)
    coverage["share"] = coverage["covered"] / coverage["places"] * 100
    # Horizontal: township names stay level and whole on a phone; "covered/places" beside each bar at full size.
    fig = go.Figure([go.Bar(y=coverage[coverage["type"] == kind]["township"],
                            x=coverage[coverage["type"] == kind]["share"], name=name, orientation="h",
                            text=coverage[coverage["type"] == kind].apply(lambda r: f"{r['covered']}/{r['places']}",
                                                                          axis=1),
                            textposition="outside", cliponaxis=False, constraintext="none")
                     for kind, name in place_kinds.items()])
    fig.add_vline(x=100, line_dash="dash", line_color="#444")
    fig.update_xaxes(range=[0, 130], tickvals=[0, 25, 50, 75, 100], ticksuffix="%")
    fig.update_yaxes(autorange="reversed")
    return ui.layout(fig, state.t("service_coverage"), state.t("township"),
                     charts.bar_height(coverage["township"].unique(), 2))


def logistics_figure(version: str, as_of) -> go.Figure:
    logistics = state.view(views.logistics_monthly, version, as_of)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=logistics["month"], y=logistics["orders"], name=state.t("service_orders_axis"),
                         marker_color="#56B4E9"))
    fig.add_trace(go.Scatter(x=logistics["month"], y=logistics["amount_yuan"], name=state.t("service_amount_yuan"),
                             line=dict(color="#D55E00", width=3)), secondary_y=True)
    fig.update_yaxes(title_text=state.t("service_amount_yuan"), secondary_y=True)
    return ui.layout(fig, state.t("month"), state.t("service_order_count"), dates=True)


def enterprises_figure(version: str, as_of) -> go.Figure:
    by_enterprise = state.view(views.logistics_by, version, as_of, "enterprise")
    fig = go.Figure(go.Bar(x=by_enterprise["orders"],
                           y=by_enterprise["category"].map(lambda n: charts.wrap(str(n), 20)),
                           orientation="h", marker_color="#0072B2"))
    return ui.layout(fig, state.t("service_order_count"), state.t("service_enterprise"), 140 + 34 * len(by_enterprise))


st.subheader(state.t("service_stations_pickup_points"))
if state.view(views.stations_by_township, frame.version, frame.township).empty:
    st.info(state.t("no_data_yet"))
else:
    ui.chart(ui.per_version(stations_figure)(frame.version, frame.township), key="stations")

st.subheader(state.t("service_group_buying_coverage"))
if not state.view(views.coverage_by_township, frame.version, frame.as_of, frame.township).empty:
    ui.chart(ui.per_version(coverage_figure)(frame.version, frame.as_of, frame.township), key="coverage")
    st.caption(state.t("service_coverage_note"))

st.subheader(state.t("service_digital_upgrades"))
upgrades = state.view(views.digital_upgrades, frame.version, frame.as_of)
if upgrades.empty:
    st.info(state.t("no_data_yet"))
else:
    tables.table(upgrades)

st.subheader(state.t("service_county_livestream_base"))
tables.table(state.view(views.assets, frame.version, frame.as_of), "assets")

st.subheader(state.t("service_logistics_subsidies"))
logistics = state.view(views.logistics_monthly, frame.version, frame.as_of)
if logistics.empty:
    st.info(state.t("no_data_yet"))
else:
    cols = st.columns(3)
    cols[0].metric(state.t("service_orders"), f"{int(logistics['orders'].sum()):,}")
    cols[1].metric(state.t("service_subsidy"), state.t("service_yuan", sum=logistics['amount_yuan'].sum()))
    cols[2].metric(state.t("service_per_order"),
                   f"{logistics['amount_yuan'].sum() / logistics['orders'].sum():.2f} " + state.t("service_yuan_axis"))
    ui.chart(ui.per_version(logistics_figure)(frame.version, frame.as_of), key="logistics")
    ui.chart(ui.per_version(enterprises_figure)(frame.version, frame.as_of), key="logistics_ent")
    st.caption(state.t("service_no_township_note"))

st.header(state.t("kpi_detail"))
kpi_card.kpi_detail(area="service")
