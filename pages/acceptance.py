"""验收材料 Acceptance pack: at the chosen as-of date, a preview of what the acceptance files say (everyone), and the
three files themselves (editors): the Word report, the 绩效自评表 and the evidence pack.

The figures are those of the other pages (metrics.outputs.acceptance reads the scorecard and the budget views); building
the files goes through metrics.actions, which checks the role itself.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard_ui import cards, publication_panel, state, tables, ui
from metrics import actions
from metrics.core.config import ConfigError, level_name
from metrics.kpi.formatting import format_date, format_target, format_value
from metrics.outputs.acceptance import PackTooLarge, file_names
from metrics.outputs.evidence import index_frame, stage_frames
from metrics.outputs.pack_dates import dates_sentence
from metrics.outputs.words import completion, met
from metrics.platform.auth import PermissionDenied, can

frame = state.current()
user = st.session_state.get("_user")
ui.page_header(state.t("page_acceptance"))
default_date, _ = state.acceptance_default_date(frame.version)
# The pack's own date (kpis.md "Acceptance"): by default the latest KPI deadline the data reaches, not the sidebar's
# as-of date (which opens at the latest data date, after the project's end).
chosen = st.date_input(state.t("acceptance_page_pack_date"), value=default_date, key="acceptance_pack_date",
                       help=state.t("acceptance_page_pack_date_help"), format="YYYY-MM-DD")
pack_as_of = None if chosen == default_date else chosen  # None: the default, with its reason
st.caption(state.t("acceptance_page_intro", date=format_date(chosen, frame.lang)))

try:
    data = state.acceptance_preview(pack_as_of, frame.lang, frame.version)
except ConfigError as exc:
    st.error(state.t("acceptance_page_configuration_problems") + state.t("problem_separator").join(exc.problems))
    st.stop()
except PackTooLarge as exc:
    st.error(exc.message(frame.lang))
    st.stop()

# ------------------------------------------------------------------------------------------ generate
st.info(dates_sentence(data.dates, frame.lang), icon=":material/event:")
counts = pd.Series(list(data.dates.kpi_dates.values())).value_counts().sort_index()
st.caption(state.t("acceptance_page_dates_used", dates=state.t("list_separator").join(
    state.t("acceptance_page_date_count", date=format_date(day, frame.lang), n=int(n)) for day, n in counts.items())))
names = file_names(data.as_of, frame.lang)
with st.container(border=True):
    if not can(user, "acceptance"):
        st.info(state.t("acceptance_page_viewer_note"))
    key = f"acceptance_files|{data.as_of}|{frame.lang}|{frame.version}"
    if st.button(state.t("acceptance_page_generate"), type="primary", icon=":material/description:",
                 disabled=not can(user, "acceptance")):
        bar = st.progress(0.0, text=state.t("acceptance_page_building"))

        def step(fraction: float, message: str) -> None:
            bar.progress(min(1.0, fraction), text=(state.t("acceptance_page_building_step") + message) if message else None)
        try:
            full = state.acceptance_data(pack_as_of, frame.lang, step)
            st.session_state[key] = actions.acceptance_files(user, full, step)
        except (PermissionDenied, PackTooLarge) as exc:
            st.error(exc.message(frame.lang))
        bar.empty()
    files = st.session_state.get(key)
    if files:
        mimes = {"report": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "self_eval": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "pack": "application/zip"}
        labels = {"report": state.t("acceptance_page_download_report"),
                  "self_eval": state.t("acceptance_page_download_self_evaluation"),
                  "pack": state.t("acceptance_page_download_evidence_pack")}
        cols = st.columns(3)
        for col, kind in zip(cols, ("report", "self_eval", "pack")):
            col.download_button(labels[kind], files[names[kind]], file_name=names[kind], mime=mimes[kind],
                                key=f"download_{kind}", icon=":material/download:")

# ------------------------------------------------------------------------------------------- preview
if data.demo:
    st.warning(state.t("acceptance_page_demo_note"))
missing = [r for r in data.results if not data.evidence[r.id].files]
if missing and len(missing) == len(data.results):
    st.warning(state.t("acceptance_page_no_evidence_yet"), icon=":material/attach_file:")
elif missing:
    st.warning(state.t("acceptance_page_missing_evidence", n=len(missing)) + ui.plain(state.t("list_separator").join(r.name for r in missing)), icon=":material/attach_file:")
if not data.early.empty:
    vouchers = ", ".join(map(str, data.early["voucher"]))
    st.error(ui.say("acceptance_page_paid_early", n=len(data.early), vouchers=vouchers), icon=":material/warning:")

tabs = st.tabs([state.t("acceptance_page_results"), state.t("acceptance_page_self_evaluation"), state.t("acceptance_page_funds_stages"),
                state.t("acceptance_page_evidence_index")])
with tabs[0]:
    # On a phone one card per indicator (dashboard_ui.cards): the six columns ran 2.5 screens wide at 390 px.
    cards.table(pd.DataFrame([{
        state.t("acceptance_page_indicator"): r.name, state.t("acceptance_page_target"): format_target(r.id, r.target, r.target_max, frame.lang),
        state.t("acceptance_page_achieved"): format_value(r.id, r.value, frame.lang), state.t("acceptance_page_completion"): completion(r),
        state.t("acceptance_page_met"): met(r, frame.lang), state.t("acceptance_page_evidence"): data.evidence[r.id].citation(frame.lang),
    } for r in data.results]), "acceptance_results")
with tabs[1]:
    # The 绩效自评表 sheet by sheet; an editor writes 实际完成情况 and 偏差原因分析及改进措施 in the county's words
    # (stored with who and when through metrics.actions, kept when the pack is made again).
    labels = [state.t("selfeval_sheet_year", year=s.year) if s.year else state.t("selfeval_sheet_project")
              for s in data.sheets]
    chosen_sheet = st.selectbox(state.t("acceptance_page_sheet"), range(len(data.sheets)),
                                index=len(data.sheets) - 1, format_func=lambda i: labels[i], key="selfeval_sheet")
    sheet = data.sheets[chosen_sheet]
    editor = can(user, "acceptance")
    table = pd.DataFrame([{
        state.t("acceptance_page_level_1"): level_name(r.level1, frame.lang),
        state.t("acceptance_page_level_2"): level_name(r.level2, frame.lang),
        state.t("acceptance_page_level_3"): r.level3, state.t("acceptance_page_actual"): r.actual_text,
        state.t("acceptance_page_points"): r.points, state.t("acceptance_page_score"): r.score,
        state.t("acceptance_deviation"): r.deviation} for r in sheet.indicators])
    deviation_column = state.t("acceptance_deviation")
    edited = st.data_editor(table, hide_index=True, width="stretch", disabled=[c for c in table.columns
                                                                               if c != deviation_column or not editor],
                            key=f"selfeval_rows_{sheet.key}")
    goal = st.text_area(state.t("selfeval_goal_actual_head"), sheet.goal_actual, disabled=not editor,
                        key=f"selfeval_goal_{sheet.key}")
    if sheet.edited:
        st.caption(state.t("acceptance_page_edited_by", items=state.t("list_separator").join(
            state.t("acceptance_page_edit_item", row=key, who=who, when=when)
            for key, (_, who, when) in sheet.edited.items())))
    if editor and st.button(state.t("acceptance_page_save_words"), icon=":material/save:"):
        changes = [(r.key, text) for r, text in zip(sheet.indicators, edited[deviation_column]) if text != r.deviation]
        if goal != sheet.goal_actual:
            changes.append(("goal", goal))
        try:
            with state.connection() as con:
                for row_key, text in changes:
                    actions.edit_self_evaluation(con, user, sheet.key, row_key, text)
        except (PermissionDenied, actions.ActionRefused) as exc:
            st.error(exc.message(frame.lang))
        else:
            state.acceptance_preview.clear()
            st.success(state.t("acceptance_page_words_saved", n=len(changes)))
            st.rerun()
    st.metric(state.t("acceptance_page_total_score"), f"{sheet.total:.2f}")
    st.caption(state.t("selfeval_scoring_note"))
with tabs[2]:
    stages, early = stage_frames(data)
    tables.table(stages, cards="acceptance_stages")
    if not early.empty:
        st.markdown(state.t("acceptance_page_paid_before_acceptance"))
        tables.table(early, cards="acceptance_early")
with tabs[3]:
    index, _ = index_frame(data)
    tables.table(index, cards="acceptance_index")

publication_panel.draw(user)  # 政务公开 (issue 28): editors prepare, another admin approves
