"""地区汇总 Region: county snapshots side by side, each against its own plan; league tables, status counts, budget
execution, a drill into one county (issue 19). The data comes from metrics.region through dashboard_ui."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard_ui import region_state, state, ui
from metrics import charts
from metrics.formatting import format_target, format_value
from metrics.region import RegionError
from metrics.registry import KPIS
from metrics.status import STATUSES, status_name

CHART_COUNTIES = 40
frame = state.current()
en = frame.lang == "en"
L = state.L
st.title(state.t("page_region"))
folder = region_state.region_dir()
as_of = st.date_input(L("排名截至日期（留空：各县最新数据日期中最早的一个）",
                        "Ranking date (empty: the earliest of the counties' latest data dates)"),
                      value=None, key="region_as_of")
try:
    view = region_state.region(frame.lang, as_of)
except RegionError as exc:  # an unusable region.toml: said, not a traceback
    st.error(exc.message(frame.lang))
    st.stop()
st.caption(L(f"快照文件夹：{folder}（KPI_REGION_DIR）。各县按各自的实施方案目标计算，排名按完成本县目标的比例。",
             f"Snapshot folder: {folder} (KPI_REGION_DIR). Each county is scored against its own plan; ranks "
             "compare the share of each county's own target."))
if any(c.demo for c in view.readable):
    st.warning(L("演示数据：七个县的快照由系统自带的模拟台账生成，不是各县的真实数据。",
                 "演示数据 Demo data: the county snapshots are made from synthetic ledgers, not the counties' figures."),
               icon=":material/science:")
for county in view.unreadable:
    st.error(f"{county.name}（{county.snapshot.name}）：{county.problem(frame.lang)}" if not en
             else f"{county.name} ({county.snapshot.name}): {county.problem(frame.lang)}")
for county in view.readable:
    if county.config_note:
        st.info(f"{county.name}：{county.config_note}")
if not view.readable:
    from metrics import actions
    from metrics.auth import can

    user = st.session_state.get("_user")
    if user is not None and can(user, "load") and st.button(L("生成七县演示数据", "Make seven demo counties"),
                                                            key="region_demo"):
        with st.spinner(L("正在生成……", "Writing…")):
            actions.write_region_demo(user, folder)
        st.rerun()
    st.info(L("还没有可读的县级快照。把各县的数据库备份放进上面的文件夹（做法见使用说明“地区汇总”一节），"
              "或由编辑生成七县演示数据。",
              "No readable county snapshot yet. Put each county's backup (python -m metrics backup) in the folder "
              "above, or run python -m metrics region DIR --demo for seven demo counties."))
    st.stop()

word = {s: status_name(s, frame.lang) for s in STATUSES}
st.subheader(L("各县指标状态", "Status count per county"))
counts = view.status_counts()
if len(counts) <= CHART_COUNTIES:  # a bar per county stays readable; beyond that the sortable table says it
    fig = go.Figure([go.Bar(y=counts["county"], x=counts[s], name=word[s], orientation="h",
                            marker_color=charts.STATUS_COLORS[s]) for s in STATUSES])
    fig.update_layout(barmode="stack")
    st.plotly_chart(ui.layout(fig, L("指标数", "KPIs"), L("县", "county"), height=120 + 32 * len(counts)),
                    key="region_status")
st.dataframe(counts.rename(columns={"county": L("县", "county"), **word}), hide_index=True, width="stretch")

st.subheader(L("各县资金执行", "Budget execution per county"))
money = view.budget()
st.dataframe(pd.DataFrame({
    L("县", "county"): money["county"], L("计划（万元）", "plan (万元)"): money["plan_wan"],
    L("已支付（万元）", "spent (万元)"): money["spent_wan"].round(1),
    L("执行率", "execution"): money["execution"].map(lambda x: "—" if pd.isna(x) else f"{x * 100:.1f}%")}),
    hide_index=True, width="stretch")

st.subheader(L("指标排名", "League table per KPI"))
names = {k.id: k.name(frame.lang) for k in KPIS}
kpi_id = st.selectbox(state.t("choose_kpi"), list(names), format_func=names.get, key=state.lang_key("region_kpi"))
league = view.league(kpi_id)
st.caption(view.as_of_note(frame.lang))
for warning in view.warnings(frame.lang):
    st.warning(warning)
st.dataframe(pd.DataFrame({
    L("排名", "rank"): league["rank"].map(lambda r: "—" if pd.isna(r) else int(r)),
    L("县", "county"): league["county"],
    L("当前值", "value"): [format_value(kpi_id, v if not pd.isna(v) else None, frame.lang) for v in league["value"]],
    L("本县目标", "own target"): [format_target(kpi_id, t, m if not pd.isna(m) else None, frame.lang)
                              for t, m in zip(league["target"], league["target_max"])],
    L("完成目标比例", "share of target"): league["progress"].map(lambda p: "—" if pd.isna(p) else f"{p * 100:.0f}%"),
    L("状态", "status"): league["status"].map(word),
    L("排名截至", "ranked as of"): league["as_of"],
    L("本县数据截至", "own data ends"): league["latest"]}), hide_index=True, width="stretch", key="region_league")

st.subheader(L("单县详情", "One county"))
choice = st.selectbox(L("选择县", "County"), [c.name for c in view.readable], key="region_county")
county = view.county(choice)
st.markdown(html.escape(L(f"{county.name}：截至 {county.as_of}，快照 {county.snapshot.name}",
                          f"{county.name}: as of {county.as_of}, snapshot {county.snapshot.name}")))
st.plotly_chart(charts.bullet_chart(county.results, frame.lang), key="region_drill")
st.dataframe(pd.DataFrame({
    L("指标", "KPI"): [r.name for r in county.results],
    L("当前值", "value"): [format_value(r.id, r.value, frame.lang) for r in county.results],
    L("本县目标", "own target"): [format_target(r.id, r.target, r.target_max, frame.lang) for r in county.results],
    L("状态", "status"): [word[r.status] for r in county.results],
    L("差距", "gap"): [r.gap for r in county.results]}), hide_index=True, width="stretch")
