"""地区汇总 Region: county snapshots side by side, each against its own plan; league tables, status counts, budget
execution, a drill into one county (issue 19). The data comes from metrics.outputs.region through dashboard_ui."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard_ui import cards, region_state, state, ui
from metrics.core.registry import KPIS
from metrics.kpi.formatting import format_target, format_value
from metrics.kpi.status import STATUSES, status_name
from metrics.outputs import charts
from metrics.outputs.region import RegionError
from metrics.platform.auth import can

CHART_COUNTIES = 40
DATE_FORMAT = "YYYY-MM-DD"  # every date field of the dashboard (ISO: read the same in Chinese and English)
frame = state.current()
st.title(state.t("page_region"))
folder = region_state.region_dir()
user = st.session_state.get("_user")
admin = user is not None and can(user, "manage_users")  # file names and paths are the administrator's business
try:
    # The field opens at the date the counties are ranked at by default (the earliest of their latest data dates),
    # in the dashboard's date format: never an empty field showing "yyyy/mm/dd".
    with st.spinner(state.t("region_reading")):  # a first read scores every snapshot in capped children
        default = region_state.region(frame.lang).as_of
    picked = st.date_input(state.t("region_ranking_date"), value=default, key="region_as_of", format=DATE_FORMAT)
    with st.spinner(state.t("region_reading")):
        view = region_state.region(frame.lang, None if picked == default else picked)
except RegionError as exc:  # an unusable region.toml: said, not a traceback
    st.error(exc.message(frame.lang))
    st.stop()
st.caption(ui.say("region_folder_note", folder=str(folder)) if admin else state.t("region_scoring_note"))
if any(c.demo for c in view.readable):
    st.warning(state.t("region_demo_note"),
               icon=":material/science:")
# Everything below that comes from a snapshot, its file name or its configuration (county names, reasons, notes) is
# someone else's text: shown with st.code / st.text, never as markdown (issue 25: a name like ![x](http://host/)
# made every viewer's browser fetch it). File names and the folder are for administrators only.
if view.unreadable:
    st.error(state.t("region_unreadable_heading" if admin else "region_unreadable_heading_reader"),
             icon=":material/block:")
    st.code("\n".join(state.t("region_snapshot_problem", name=c.name, file=c.snapshot.name,
                               problem=c.problem(frame.lang)) if admin
                      else state.t("region_snapshot_problem_reader", name=c.name) for c in view.unreadable),
            language=None, wrap_lines=True)
duplicates = sorted({c.duplicate_note for c in view.counties if c.duplicate_note})
if duplicates and admin:
    st.warning(state.t("region_duplicates_heading"), icon=":material/content_copy:")
    st.code("\n".join(duplicates), language=None, wrap_lines=True)
notes = [state.t("region_config_note", name=c.name, note=c.config_note) for c in view.readable if c.config_note]
if notes:
    st.code("\n".join(notes), language=None, wrap_lines=True)
if not view.readable:
    from metrics import actions

    if user is not None and can(user, "load") and st.button(state.t("region_make_demo"),
                                                            key="region_demo"):
        with st.spinner(state.t("region_writing")):
            actions.write_region_demo(user, folder)
        st.rerun()
    st.info(state.t("region_no_snapshots"))
    st.stop()

word = {s: status_name(s, frame.lang) for s in STATUSES}
st.subheader(state.t("region_status_count_per_county"))
counts = view.status_counts()
if len(counts) <= CHART_COUNTIES:  # a bar per county stays readable; beyond that the sortable table says it
    labels = [charts.short(name) for name in counts["county"]]  # the table below gives every name whole
    fig = go.Figure([go.Bar(y=labels, x=counts[s], name=word[s], orientation="h",
                            marker_color=charts.STATUS_COLORS[s]) for s in STATUSES])
    fig.update_layout(barmode="stack")
    st.plotly_chart(ui.layout(fig, state.t("region_kpis"), state.t("region_county_column"), height=120 + 32 * len(counts)),
                    key="region_status")
cards.table(counts.rename(columns={"county": state.t("region_county_column"), **word}), "region_counts")

st.subheader(state.t("region_budget_execution_per_county"))
money = view.budget()
cards.table(pd.DataFrame({
    state.t("region_county_column"): money["county"], state.t("region_plan"): money["plan_wan"],
    state.t("region_spent"): money["spent_wan"].round(1),
    state.t("region_execution"): money["execution"].map(lambda x: "—" if pd.isna(x) else f"{x * 100:.1f}%")}),
    "region_budget")

st.subheader(state.t("region_league_table_per_kpi"))
names = {k.id: k.name(frame.lang) for k in KPIS}
kpi_id = st.selectbox(state.t("choose_kpi"), list(names), format_func=names.get, key=state.lang_key("region_kpi"))
league = view.league(kpi_id)
st.caption(view.as_of_note(frame.lang))
if view.warnings(frame.lang):
    st.code("\n".join(view.warnings(frame.lang)), language=None, wrap_lines=True)
cards.table(pd.DataFrame({
    state.t("region_rank"): league["rank"].map(lambda r: "—" if pd.isna(r) else int(r)),
    state.t("region_county_column"): league["county"],
    state.t("region_value"): [format_value(kpi_id, v if not pd.isna(v) else None, frame.lang) for v in league["value"]],
    state.t("region_own_target"): [format_target(kpi_id, t, m if not pd.isna(m) else None, frame.lang)
                              for t, m in zip(league["target"], league["target_max"])],
    state.t("region_share_target"): league["progress"].map(lambda p: "—" if pd.isna(p) else f"{p * 100:.0f}%"),
    state.t("status_column"): league["status"].map(word),
    state.t("region_ranked"): league["as_of"],
    state.t("region_own_data_ends"): league["latest"]}), "region_league", title_columns=2)

st.subheader(state.t("region_one_county"))
choice = st.selectbox(state.t("region_county"), [c.name for c in view.readable], key="region_county")
county = view.county(choice)
st.text(state.t("region_county_caption_admin", name=county.name, as_of=county.as_of, file=county.snapshot.name)
        if admin else state.t("region_county_caption", name=county.name, as_of=county.as_of))
st.plotly_chart(charts.bullet_chart(county.results, frame.lang), key="region_drill")
cards.table(pd.DataFrame({
    state.t("kpi"): [r.name for r in county.results],
    state.t("region_value"): [format_value(r.id, r.value, frame.lang) for r in county.results],
    state.t("region_own_target"): [format_target(r.id, r.target, r.target_max, frame.lang) for r in county.results],
    state.t("status_column"): [word[r.status] for r in county.results],
    state.t("region_gap"): [r.gap for r in county.results]}), "region_drill")
