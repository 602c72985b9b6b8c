"""服务体系 Service system: stations, pickup and group-buying coverage by township, digital upgrades per enterprise,
the livestream base, logistics subsidies."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboard_ui import state, ui
from metrics import charts, views

frame = state.current()
en = frame.lang == "en"
ui.page_header(state.t("page_service"))
ui.kpi_cards(ui.area_results("service"))

st.subheader("服务站点与自提点" if not en else "Stations and pickup points")
stations = state.view(views.stations_by_township, frame.version, frame.township)
if stations.empty:
    st.info(state.t("no_data_yet"))
else:
    by_town = stations.groupby("township")[["stations", "operating", "pickup_points"]].sum().reset_index()
    fig = go.Figure([go.Bar(y=by_town["township"], x=by_town["operating"], name="运营中站点" if not en else "operating", marker_color="#0072B2", orientation="h"),
                     go.Bar(y=by_town["township"], x=by_town["pickup_points"], name="其中自提点" if not en else "of which pickup", marker_color="#009E73", orientation="h")])
    fig.update_yaxes(autorange="reversed")
    ui.chart(ui.layout(fig, "站点数（个）" if not en else "stations", state.t("township"), charts.bar_height(by_town["township"], 2)),
             key="stations")

st.subheader("社区团购覆盖" if not en else "Group-buying coverage")
coverage = state.view(views.coverage_by_township, frame.version, frame.as_of, frame.township)
if not coverage.empty:
    coverage["share"] = coverage["covered"] / coverage["places"] * 100
    # Horizontal: township names stay level and whole on a phone; "covered/places" beside each bar at full size.
    fig = go.Figure([go.Bar(y=coverage[coverage["type"] == kind]["township"], x=coverage[coverage["type"] == kind]["share"],
                            name=kind if not en else {"社区": "communities", "村": "villages"}[kind], orientation="h",
                            text=coverage[coverage["type"] == kind].apply(lambda r: f"{r['covered']}/{r['places']}", axis=1),
                            textposition="outside", cliponaxis=False, constraintext="none")
                     for kind in ("社区", "村")])
    fig.add_vline(x=100, line_dash="dash", line_color="#444")
    fig.update_xaxes(range=[0, 130], tickvals=[0, 25, 50, 75, 100], ticksuffix="%")
    fig.update_yaxes(autorange="reversed")
    ui.chart(ui.layout(fig, "覆盖率（%）" if not en else "coverage (%)",
                       state.t("township"), charts.bar_height(coverage["township"].unique(), 2)), key="coverage")
    st.caption("虚线：社区覆盖目标 100%；条旁数字为已覆盖 / 总数。" if not en else
               "Dashed line: the community target, 100%. Beside each bar: covered / all.")

st.subheader("商贸企业数字化升级" if not en else "Digital upgrades by enterprise")
upgrades = state.view(views.digital_upgrades, frame.version, frame.as_of)
if upgrades.empty:
    st.info(state.t("no_data_yet"))
else:
    ui.table(upgrades)

st.subheader("县级新媒体直播基地" if not en else "County livestream base")
ui.table(state.view(views.assets, frame.version, frame.as_of), "assets")

st.subheader("物流补贴" if not en else "Logistics subsidies")
logistics = state.view(views.logistics_monthly, frame.version, frame.as_of)
if logistics.empty:
    st.info(state.t("no_data_yet"))
else:
    cols = st.columns(3)
    cols[0].metric("补贴单数" if not en else "orders", f"{int(logistics['orders'].sum()):,}")
    cols[1].metric("补贴金额" if not en else "subsidy", f"{logistics['amount_yuan'].sum():,.0f} 元" if not en else f"{logistics['amount_yuan'].sum():,.0f} yuan")
    cols[2].metric("单均补贴" if not en else "per order", f"{logistics['amount_yuan'].sum() / logistics['orders'].sum():.2f} " + ("元" if not en else "yuan"))
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=logistics["month"], y=logistics["orders"], name="单数" if not en else "orders", marker_color="#56B4E9"))
    fig.add_trace(go.Scatter(x=logistics["month"], y=logistics["amount_yuan"], name="金额（元）" if not en else "amount (yuan)",
                             line=dict(color="#D55E00", width=3)), secondary_y=True)
    fig.update_yaxes(title_text="金额（元）" if not en else "amount (yuan)", secondary_y=True)
    ui.chart(ui.layout(fig, state.t("month"), "补贴单数（单）" if not en else "orders", dates=True), key="logistics")
    by_enterprise = state.view(views.logistics_by, frame.version, frame.as_of, "enterprise")
    fig = go.Figure(go.Bar(x=by_enterprise["orders"], y=by_enterprise["category"].map(lambda n: charts.wrap(str(n), 20)),
                           orientation="h", marker_color="#0072B2"))
    ui.chart(ui.layout(fig, "补贴单数（单）" if not en else "orders", "企业" if not en else "enterprise",
                       140 + 34 * len(by_enterprise)), key="logistics_ent")
    st.caption("物流补贴台账没有乡镇字段，按企业统计。" if not en else "The subsidy ledger has no township column; shown by enterprise.")

st.header(state.t("kpi_detail"))
ui.kpi_detail(area="service")
