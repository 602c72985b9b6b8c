"""资金使用 Budget: plan against spent per line and group, spending over time against the pace line, by stage,
lines over plan flagged."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard_ui import kpi_card, state, tables, ui
from metrics.core.words import column
from metrics.kpi import views
from metrics.kpi.budget import STAGES, budget_groups, stage_name
from metrics.kpi.formatting import format_wan
from metrics.outputs import charts

frame = state.current()
ui.page_header(state.t("page_budget"))
results = kpi_card.area_results("budget")
kpi_card.kpi_cards(results, columns=2)
cfg = state.config()

lines = state.view(views.budget_lines, frame.version, frame.as_of)
spent_total = lines["spent_wan"].sum()
budget_kpi = results[0]
cols = st.columns(3)
cols[0].metric(state.t("budget_plan_total"), format_wan(cfg.budget_wan, frame.lang))
cols[1].metric(state.t("budget_spent"), format_wan(spent_total, frame.lang))
cols[2].metric(state.t("budget_expected_by_pace"),
               format_wan((budget_kpi.expected or 0) * cfg.budget_wan, frame.lang))
st.caption(state.t("budget_numbering_note"))

over = lines[lines["over_plan"]]
for _, row in over.iterrows():
    st.error(ui.say("budget_over_plan", line=row["line_id"], name=row[column("name", frame.lang)],
                     spent=row["spent_wan"], over=row["spent_wan"] - row["plan_wan"]), icon=":material/warning:")

st.subheader(state.t("budget_per_line"))
# Horizontal bars: the plan's item names are long; the first line stays on top.
# Whole names, wrapped (a cut "1.1 Service station ca" says nothing); the plan's line number leads each.
names = (lines["line_id"] + " " + lines[column("name", frame.lang)]).map(lambda n: charts.wrap(n, 20))[::-1]
ordered = lines[::-1]
fig = go.Figure([go.Bar(y=names, x=ordered["plan_wan"], name=state.t("budget_plan"), marker_color="#bbbbbb", orientation="h"),
                 go.Bar(y=names, x=ordered["spent_wan"], name=state.t("budget_spent_legend"), orientation="h",
                        marker_color=["#D55E00" if o else "#0072B2" for o in ordered["over_plan"]])])
ui.chart(ui.layout(fig, state.t("unit_wan_yuan"), state.t("budget_budget_line"), charts.bar_height(names, 2)), key="budget_lines")
st.caption(state.t("budget_orange_over_plan"))

table = lines[["line_id", column("name", frame.lang), "plan_wan", "spent_wan",
               "execution", "expected_wan", "over_plan"]].copy()
table["plan_wan"] = table["plan_wan"].map(lambda v: state.t("budget_blank_in_plan") if v != v else f"{v:g}")
tables.table(table, cards="budget_lines", title_columns=2)

st.subheader(state.t("budget_by_group"))
groups = budget_groups(lines, cfg)
tables.table(groups[["group_id", column("group", frame.lang), "plan_wan", "spent_wan", "execution", "over_plan"]], cards="budget_groups", title_columns=2)

st.subheader(state.t("budget_cumulative_against_pace"))
monthly = state.view(views.spending_by_month, frame.version, frame.as_of)
fig = go.Figure([go.Scatter(x=monthly["month_end"], y=monthly["spent_wan"], name=state.t("budget_spent_cumulative_legend"), mode="lines+markers",
                            line=dict(color="#0072B2", width=3)),
                 go.Scatter(x=monthly["month_end"], y=monthly["pace_wan"], name=state.t("pace_marker"), mode="lines",
                            line=dict(color="#555", dash="dot"))])
fig.add_hline(y=cfg.budget_wan, line_dash="dash", line_color="#222", annotation_text=format_wan(cfg.budget_wan, frame.lang))
ui.chart(ui.layout(fig, state.t("month"), state.t("unit_wan_yuan"), dates=True), key="budget_pace")

st.subheader(state.t("budget_by_stage"))
stage_names = [*STAGES, "未注明"]
# Plan lines are categories named as on the plan chart above (never numeric positions 1.1, 1.2 under ticks 2, 3).
fig = go.Figure([go.Bar(y=names, x=ordered[f"stage_{s}"], name=stage_name(s, frame.lang), orientation="h")
                 for s in stage_names])
fig.update_layout(barmode="stack")
ui.chart(ui.layout(fig, state.t("unit_wan_yuan"), state.t("budget_budget_line"), charts.bar_height(names)),
         key="budget_stage")

st.subheader(state.t("budget_stages_against_acceptance"))
stages, early = state.view(views.stage_acceptance, frame.version, frame.as_of)
tables.table(stages.assign(stage=[stage_name(s, frame.lang) for s in stages["stage"]])[
    ["stage", "payments", "paid_wan", "accepted_on", "early_wan"]].rename(columns={
        "stage": state.t("budget_stage"), "payments": state.t("budget_payments"),
        "paid_wan": state.t("budget_paid_wan"),
        "accepted_on": state.t("budget_accepted_by_as_of"),
        "early_wan": state.t("budget_paid_early_wan")}), cards="budget_stages")
for row in early.itertuples():
    st.error(ui.say("budget_paid_before_acceptance", voucher=str(row.voucher),
                     stage=stage_name(row.stage, frame.lang), amount=row.amount, date=row.date,
                     accepted=row.needs_acceptance_on or state.t("budget_not_yet_accepted")), icon=":material/gpp_maybe:")
st.caption(state.t("budget_disbursement_rule"))
