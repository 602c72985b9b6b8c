"""指标说明 KPI definitions: every KPI's definition, unit, target, deadline, plan clause and data source."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard_ui import state, ui
from metrics.datasets import DATASETS
from metrics.formatting import format_date, format_target
from metrics.registry import KPIS, area_name

frame = state.current()
en = frame.lang == "en"
ui.page_header(state.t("page_definitions"))
cfg = state.config()
st.caption((f"状态规则：达到目标为已达标；过了截止日期仍未达到为未达标；累计类指标不低于按进度应达值为进度正常，"
            f"不低于其 {cfg.status_threshold:.0%} 为存在风险，否则为进度滞后；比率类指标不低于目标的 "
            f"{cfg.status_threshold:.0%} 为存在风险。") if not en else
           (f"Status: achieved at the target; missed once the deadline has passed; a count on or above its pace is on "
            f"track, at {cfg.status_threshold:.0%} of pace at risk, below that behind; a rate at {cfg.status_threshold:.0%} "
            f"of its target is at risk."))
rows = []
for kpi in KPIS:
    target = cfg.targets[kpi.id]
    rows.append({
        "id": kpi.id,
        state.t("kpi"): kpi.name(frame.lang),
        state.t("area"): area_name(kpi.area, frame.lang),
        state.t("kind"): state.t("kind_count" if kpi.kind == "count" else "kind_rate"),
        state.t("unit"): "%" if kpi.is_fraction else kpi.unit(frame.lang),
        state.t("target"): format_target(kpi.id, target.min, target.max, frame.lang),
        state.t("deadline"): format_date(target.deadline, frame.lang) if target.deadline else ("每年 12月31日" if not en else "Dec 31 each year"),
        state.t("clause"): target.clause,
        state.t("definition"): kpi.description(frame.lang),
        state.t("source"): "、".join(DATASETS[d].label(frame.lang) for d in kpi.datasets),
    })
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=820)
