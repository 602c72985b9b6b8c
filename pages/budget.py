"""资金使用 Budget: plan against spent per line and group, spending over time against the pace line, by stage,
lines over plan flagged."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard_ui import state, ui
from metrics import charts, views
from metrics.budget import STAGE_EN, STAGES, budget_groups
from metrics.formatting import format_wan

frame = state.current()
en = frame.lang == "en"
ui.page_header(state.t("page_budget"))
results = ui.area_results("budget")
ui.kpi_cards(results, columns=2)
cfg = state.config()

lines = state.view(views.budget_lines, frame.version, frame.as_of)
spent_total = lines["spent_wan"].sum()
budget_kpi = results[0]
cols = st.columns(3)
cols[0].metric("计划总额" if not en else "Budget", format_wan(cfg.budget_wan, frame.lang))
cols[1].metric("已支付" if not en else "Spent", format_wan(spent_total, frame.lang))
cols[2].metric("按进度应支" if not en else "Expected by pace",
               format_wan((budget_kpi.expected or 0) * cfg.budget_wan, frame.lang))
st.caption("资金规划序号按实施方案原样保留：方案中没有第 2 项；5.2“推动县域商贸配送数字化升级”未列金额，此处不计算其执行率。"
           if not en else "Numbering as in the plan: there is no item 2, and line 5.2 has no amount in the plan, so no "
           "execution rate is computed for it.")

over = lines[lines["over_plan"]]
for _, row in over.iterrows():
    st.error((f"{row['line_id']} {row['name_zh']}：已支付 {row['spent_wan']:.1f} 万元，超出计划 {row['spent_wan'] - row['plan_wan']:.1f} 万元"
              if not en else f"{row['line_id']} {row['name_en']}: spent {row['spent_wan']:.1f}, "
              f"{row['spent_wan'] - row['plan_wan']:.1f} over plan (10k yuan)"), icon=":material/warning:")

st.subheader("各细项计划与支出" if not en else "Plan and spending per line")
# Horizontal bars: the plan's item names are long; the first line stays on top.
# Whole names, wrapped (a cut "1.1 Service station ca" says nothing); the plan's line number leads each.
names = (lines["line_id"] + " " + lines["name_en" if en else "name_zh"]).map(lambda n: charts.wrap(n, 20))[::-1]
ordered = lines[::-1]
fig = go.Figure([go.Bar(y=names, x=ordered["plan_wan"], name="计划" if not en else "plan", marker_color="#bbbbbb", orientation="h"),
                 go.Bar(y=names, x=ordered["spent_wan"], name="已支付" if not en else "spent", orientation="h",
                        marker_color=["#D55E00" if o else "#0072B2" for o in ordered["over_plan"]])])
ui.chart(ui.layout(fig, "万元" if not en else "10k yuan", "预算细项" if not en else "budget line", charts.bar_height(names, 2)), key="budget_lines")
st.caption("橙色：超出计划。" if not en else "Orange: over plan.")

table = lines[["line_id", "name_zh" if not en else "name_en", "plan_wan", "spent_wan",
               "execution", "expected_wan", "over_plan"]].copy()
table["plan_wan"] = table["plan_wan"].map(lambda v: "（方案未列）" if v != v and not en else ("(blank in plan)" if v != v else f"{v:g}"))
ui.table(table)

st.subheader("按支持内容" if not en else "By group")
groups = budget_groups(lines, cfg)
ui.table(groups[["group_id", "group_zh" if not en else "group_en", "plan_wan", "spent_wan", "execution", "over_plan"]])

st.subheader("累计支出与进度线" if not en else "Cumulative spending against pace")
monthly = state.view(views.spending_by_month, frame.version, frame.as_of)
fig = go.Figure([go.Scatter(x=monthly["month_end"], y=monthly["spent_wan"], name="累计已支付" if not en else "spent", mode="lines+markers",
                            line=dict(color="#0072B2", width=3)),
                 go.Scatter(x=monthly["month_end"], y=monthly["pace_wan"], name=state.t("pace_marker"), mode="lines",
                            line=dict(color="#555", dash="dot"))])
fig.add_hline(y=cfg.budget_wan, line_dash="dash", line_color="#222", annotation_text=format_wan(cfg.budget_wan, frame.lang))
ui.chart(ui.layout(fig, state.t("month"), "万元" if not en else "10k yuan", dates=True), key="budget_pace")

st.subheader("按拨付阶段" if not en else "By disbursement stage")
stage_names = [*STAGES, "未注明"]
# Plan lines are categories named as on the plan chart above (never numeric positions 1.1, 1.2 under ticks 2, 3).
fig = go.Figure([go.Bar(y=names, x=ordered[f"stage_{s}"], name=s if not en else STAGE_EN[s], orientation="h")
                 for s in stage_names])
fig.update_layout(barmode="stack")
ui.chart(ui.layout(fig, "万元" if not en else "10k yuan", "预算细项" if not en else "budget line", charts.bar_height(names)),
         key="budget_stage")

st.subheader("拨付阶段与验收" if not en else "Payment stages against acceptance")
stages, early = state.view(views.stage_acceptance, frame.version, frame.as_of)
ui.table(stages.assign(stage=stages["stage_en" if en else "stage"])[
    ["stage", "payments", "paid_wan", "accepted_on", "early_wan"]].rename(columns={
        "stage": "拨付阶段" if not en else "Stage", "payments": "笔数" if not en else "Payments",
        "paid_wan": "已支付（万元）" if not en else "Paid (10k yuan)",
        "accepted_on": "已验收（截至统计日）" if not en else "Accepted (by the as-of date)",
        "early_wan": "验收前支付（万元）" if not en else "Paid before acceptance (10k yuan)"}))
for row in early.itertuples():
    st.error((f"凭证 {row.voucher}：{row.stage} {row.amount:g} 万元于 {row.date} 支付，早于该阶段验收"
              f"（{row.needs_acceptance_on or '尚未验收'}）" if not en else
              f"Voucher {row.voucher}: {STAGE_EN[row.stage]} of {row.amount:g} (10k yuan) paid on {row.date}, before the "
              f"stage's acceptance ({row.needs_acceptance_on or 'not yet accepted'})"), icon=":material/gpp_maybe:")
st.caption("阶段拨付须在阶段审核验收后支付，尾款须在整体验收合格后支付（实施方案“资金拨付”）；验收日期在本县的配置文件中设置。"
           if not en else "Stage payments follow a stage acceptance and the final payment the final acceptance (the "
           "plan's section on disbursement); acceptance dates are set in the county's configuration file.")
