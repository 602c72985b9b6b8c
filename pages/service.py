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
# The ledger's place types (its values: data) and their names in the viewer's language.
PLACE_KINDS = {"社区": state.t("service_communities"), "村": state.t("service_villages")}
ui.page_header(state.t("page_service"))
kpi_card.kpi_cards(kpi_card.area_results("service"))

st.subheader(state.t("service_stations_pickup_points"))
stations = state.view(views.stations_by_township, frame.version, frame.township)
if stations.empty:
    st.info(state.t("no_data_yet"))
else:
    by_town = stations.groupby("township")[["stations", "operating", "pickup_points"]].sum().reset_index()
    fig = go.Figure([go.Bar(y=by_town["township"], x=by_town["operating"], name=state.t("service_operating"), marker_color="#0072B2", orientation="h"),
                     go.Bar(y=by_town["township"], x=by_town["pickup_points"], name=state.t("service_which_pickup"), marker_color="#009E73", orientation="h")])
    fig.update_yaxes(autorange="reversed")
    ui.chart(ui.layout(fig, state.t("service_stations"), state.t("township"), charts.bar_height(by_town["township"], 2)),
             key="stations")

st.subheader(state.t("service_group_buying_coverage"))
coverage = state.view(views.coverage_by_township, frame.version, frame.as_of, frame.township)
if not coverage.empty:
    coverage["share"] = coverage["covered"] / coverage["places"] * 100
    # Horizontal: township names stay level and whole on a phone; "covered/places" beside each bar at full size.
    fig = go.Figure([go.Bar(y=coverage[coverage["type"] == kind]["township"], x=coverage[coverage["type"] == kind]["share"],
                            name=PLACE_KINDS[kind], orientation="h",
                            text=coverage[coverage["type"] == kind].apply(lambda r: f"{r['covered']}/{r['places']}", axis=1),
                            textposition="outside", cliponaxis=False, constraintext="none")
                     for kind in PLACE_KINDS])
    fig.add_vline(x=100, line_dash="dash", line_color="#444")
    fig.update_xaxes(range=[0, 130], tickvals=[0, 25, 50, 75, 100], ticksuffix="%")
    fig.update_yaxes(autorange="reversed")
    ui.chart(ui.layout(fig, state.t("service_coverage"),
                       state.t("township"), charts.bar_height(coverage["township"].unique(), 2)), key="coverage")
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
    cols[2].metric(state.t("service_per_order"), f"{logistics['amount_yuan'].sum() / logistics['orders'].sum():.2f} " + (state.t("service_yuan_axis")))
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=logistics["month"], y=logistics["orders"], name=state.t("service_orders_axis"), marker_color="#56B4E9"))
    fig.add_trace(go.Scatter(x=logistics["month"], y=logistics["amount_yuan"], name=state.t("service_amount_yuan"),
                             line=dict(color="#D55E00", width=3)), secondary_y=True)
    fig.update_yaxes(title_text=state.t("service_amount_yuan"), secondary_y=True)
    ui.chart(ui.layout(fig, state.t("month"), state.t("service_order_count"), dates=True), key="logistics")
    by_enterprise = state.view(views.logistics_by, frame.version, frame.as_of, "enterprise")
    fig = go.Figure(go.Bar(x=by_enterprise["orders"], y=by_enterprise["category"].map(lambda n: charts.wrap(str(n), 20)),
                           orientation="h", marker_color="#0072B2"))
    ui.chart(ui.layout(fig, state.t("service_order_count"), state.t("service_enterprise"),
                       140 + 34 * len(by_enterprise)), key="logistics_ent")
    st.caption(state.t("service_no_township_note"))

st.header(state.t("kpi_detail"))
kpi_card.kpi_detail(area="service")
