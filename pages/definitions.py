"""指标说明 KPI definitions: every KPI's definition, unit, target, deadline, plan clause and data source."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard_ui import state, ui
from metrics.core.datasets import DATASETS
from metrics.core.registry import KPIS, area_name
from metrics.kpi.formatting import format_date, format_target

frame = state.current()
ui.page_header(state.t("page_definitions"))
cfg = state.config()
st.caption(state.t("definitions_status_rule", status_threshold=cfg.status_threshold))
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
        state.t("deadline"): format_date(target.deadline, frame.lang) if target.deadline else (state.t("definitions_each_year_end")),
        state.t("clause"): target.clause,
        state.t("definition"): kpi.description(frame.lang),
        state.t("source"): state.t("list_separator").join(DATASETS[d].label(frame.lang) for d in kpi.datasets),
    })
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=820)
