"""品牌与推介 Brands, hit products and promotion events, with their participants."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard_ui import kpi_card, state, tables, ui
from metrics.kpi import views
from metrics.outputs import charts

frame = state.current()
ui.page_header(state.t("page_brands"))
kpi_card.kpi_cards(kpi_card.area_results("brands"))

brands = state.view(views.brands, frame.version, frame.as_of)
st.subheader(state.t("brands_brands"))
if brands.empty:
    st.info(state.t("no_data_yet"))
else:
    summary = brands.groupby("kind")["completed"].agg(["sum", "count"]).reset_index()
    fig = go.Figure([go.Bar(x=summary["kind"], y=summary["sum"], name=state.t("brands_completed"), marker_color="#009E73"),
                     go.Bar(x=summary["kind"], y=summary["count"] - summary["sum"], name=state.t("brands_progress"), marker_color="#999999")])
    fig.update_layout(barmode="stack")
    ui.chart(ui.layout(fig, state.t("brands_kind"), state.t("brands_brand_count"), 320), key="brands_kind")
    tables.table(brands, "brands")

st.subheader(state.t("brands_hit_products"))
products = state.view(views.products, frame.version, frame.as_of)
if not products.empty:
    tables.table(products, "products")

st.subheader(state.t("brands_promotion_other_events"))
events = state.view(views.events, frame.version, frame.as_of)
if events.empty:
    st.info(state.t("no_data_yet"))
else:
    promo = events[events["type"] == "推介活动"]
    if not promo.empty:
        fig = go.Figure([go.Bar(y=promo["name"].astype(str).map(lambda n: charts.wrap(n, 20)), x=promo["deal_amount"],
                                name=state.t("brands_deals"), marker_color="#0072B2", orientation="h",
                                text=promo["participant_count"].map(
                                    lambda n: state.t("brands_participant" if n == 1 else "brands_participants", n=n)),
                                textposition="auto", insidetextanchor="start")])
        fig.update_yaxes(autorange="reversed")
        ui.chart(ui.layout(fig, state.t("brands_deals_10k_yuan"), state.t("brands_event"),
                           charts.bar_height(promo["name"].astype(str).map(lambda n: charts.wrap(n, 20)))), key="promo")
    tables.table(events, "events")

st.header(state.t("kpi_detail"))
kpi_card.kpi_detail(area="brands")
