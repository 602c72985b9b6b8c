"""总览 Overview: all 22 KPIs at a glance, grouped by area; counts per status; budget; what changed."""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd
import streamlit as st

from dashboard_ui import cards, kpi_card, state, ui
from metrics.core.registry import AREAS
from metrics.kpi.formatting import format_date, format_value, format_wan
from metrics.kpi.status import STATUSES

frame = state.current()
results = state.scorecard(frame.as_of, frame.lang, frame.version)
by_status = {s: [r for r in results if r.status == s] for s in STATUSES}
cfg = state.config()

st.subheader(ui.plain(cfg.project_name(frame.lang)))  # configuration: plain text
attention = len(by_status["at_risk"]) + len(by_status["behind"]) + len(by_status["missed"])
st.markdown("**" + state.t("overview_caption", date=format_date(frame.as_of, frame.lang), total=len(results),
                           achieved=len(by_status["achieved"]), attention=attention) + "**")

# Counts per status in one line of badges (wraps on a phone instead of stacking six tall metrics).
st.markdown(" &nbsp; ".join(ui.badge(status, f" {len(by_status[status])}") for status in STATUSES),
            unsafe_allow_html=True)

budget = next(r for r in results if r.id == "budget_execution_rate")
left, right = st.columns([1, 2])
with left:
    st.metric(state.t("budget_metric"), format_value(budget.id, budget.value, frame.lang),
              help=state.t("budget_metric_help", spent=format_wan(budget.detail.get("spent_wan"), frame.lang),
                           plan=format_wan(cfg.budget_wan, frame.lang)))
    st.caption(state.t("budget_metric_help", spent=format_wan(budget.detail.get("spent_wan"), frame.lang),
                       plan=format_wan(cfg.budget_wan, frame.lang)))
with right:
    st.metric(state.t("freshness"), format_date(state.latest_data_date(frame.version), frame.lang))

# One bullet chart per area: share of target, pace marker, status colour and word.
for area in AREAS:
    area_results = [r for r in results if r.area == area]
    st.markdown(f"#### {html.escape(ui.area_title(area))}")
    ui.chart(kpi_card.bullet_chart(area_results), key=f"bullet_{area}")

# What changed since an earlier date.
st.header(state.t("changes_title"))
default_compare = frame.as_of - dt.timedelta(days=91)
compare = st.date_input(state.t("compare_date"), value=default_compare, max_value=frame.as_of, key="compare_date",
                        format="YYYY-MM-DD")
earlier = {r.id: r for r in state.scorecard(compare, frame.lang, frame.version, with_forecast=False)}
rows = []
for r in results:
    e = earlier[r.id]
    if e.value != r.value or e.status != r.status:
        # Three columns (KPI, then, now), each "value · status": the whole table fits a phone.
        rows.append({
            state.t("kpi"): r.name,
            f"{format_date(compare, frame.lang)}": f"{format_value(r.id, e.value, frame.lang)} · {ui.status_word(e.status)}",
            f"{format_date(frame.as_of, frame.lang)}": f"{format_value(r.id, r.value, frame.lang)} · {ui.status_word(r.status)}",
        })
if rows:  # on a phone, one card per KPI: the current value is never cut off
    cards.table(pd.DataFrame(rows), "changes")
else:
    st.info(state.t("no_changes", date=format_date(compare, frame.lang)))

st.header(state.t("kpi_detail"))
kpi_card.kpi_detail()
