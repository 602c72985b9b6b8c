"""数据导入 Data import: upload, check, preview, commit or cancel; templates; load history with undo and evidence;
data quality; user roles (admins).

Every change goes through metrics.actions, which checks the user's role itself: the buttons a viewer does not see
would be refused anyway.
"""

from __future__ import annotations

import functools
import hashlib

import pandas as pd
import streamlit as st

from dashboard_ui import digest_panel, state, tables, ui
from metrics import actions
from metrics.core.datasets import DATASETS
from metrics.core.errors import DashboardError
from metrics.core.registry import KPI_BY_ID
from metrics.kpi import views
from metrics.kpi.formatting import format_date, format_value
from metrics.load import ingest, understood
from metrics.load.problem_report import problem_workbook
from metrics.load.templates import template_bytes
from metrics.platform.auth import ROLES, PermissionDenied, can, display_name, local_accounts, role_name

frame = state.current()
user = st.session_state.get("_user")
st.title(state.t("page_import"))
ui.localise_file_uploader()


def dataset_name(name: str | None) -> str:
    if not name:
        return "—"
    return DATASETS[name].label(frame.lang)


def evidence_bytes(sha256: str) -> bytes:
    """One evidence file's content, read when its download button is clicked (not when the list is drawn)."""
    with state.reading() as con:
        return actions.evidence_content(con, sha256) or b""


def show_refusal(exc: DashboardError) -> None:
    st.error(ui.plain(exc.message(frame.lang)))  # the message may name a file: shown as plain text


tabs = st.tabs([state.t("import_upload"), state.t("import_load_history"), state.t("import_data_quality"),
                state.t("import_templates"), state.t("import_users_roles")])

# ------------------------------------------------------------------------------------------------ upload
with tabs[0]:
    for message in st.session_state.pop("import_flash", []):
        st.success(ui.plain(message))  # it names the uploaded files
    if not can(user, "load"):
        st.info(state.t("import_viewer_note"))
    uploads = st.file_uploader(state.t("import_choose_files"),
                               type=["xlsx", "xlsm", "xlsb", "xls", "ods", "et", "csv"], accept_multiple_files=True, key="uploads",
                               disabled=not can(user, "load"))
    options = ["*", *DATASETS]
    auto = state.t("import_auto_dataset")
    chosen = st.selectbox(state.t("dataset"), options, key=state.lang_key("import_dataset"),
                          format_func=lambda d: auto if d == "*" else state.t("dataset_choice", name=dataset_name(d), dataset=d))
    files = [(f.name, f.getvalue()) for f in uploads or []]
    batch_key = hashlib.sha256(b"".join(hashlib.sha256(c).digest() for _, c in files) + chosen.encode()).hexdigest()
    preview = st.session_state.get("import_preview")
    if preview and preview["key"] != batch_key:
        preview = st.session_state["import_preview"] = None

    if files and st.button(state.t("import_check"), key="check", type="primary"):
        try:
            with st.status(state.t("import_checking_files", n=len(files)), expanded=False) as status:
                with state.connection() as con:
                    result = actions.load_files(con, user, files, None if chosen == "*" else chosen, dry_run=True,
                                                preview_as_of=frame.as_of)
                status.update(label=state.t("import_checked"), state="complete")
            preview = st.session_state["import_preview"] = {"key": batch_key, "result": result}
        except DashboardError as exc:  # no permission, a busy database, a full disk (the check writes and rolls back)
            show_refusal(exc)

    if preview:
        result: ingest.BatchResult = preview["result"]
        errors = [p for p in result.problems if p.is_error]
        if errors:
            st.error(state.t("import_batch_refused", n=len(errors)))
        for outcome in result.outcomes:
            with st.container(border=True):
                st.markdown(f"**{ui.plain(outcome.file_name)}** · {dataset_name(outcome.dataset)}")
                if outcome.status == "refused":
                    st.caption(state.t("import_file_refused"))
                elif outcome.status == "not_loaded":
                    st.caption(ui.plain(outcome.summary(frame.lang)))  # it names the file
                else:
                    cols = st.columns(4 if outcome.removed else 3)
                    cols[0].metric(state.t("import_rows_added"), outcome.added)
                    cols[1].metric(state.t("import_rows_replaced"), outcome.replaced)
                    cols[2].metric(state.t("import_rows_unchanged"), outcome.unchanged)
                    if outcome.removed:
                        cols[3].metric(state.t("import_rows_removed"), outcome.removed)
                    # What was understood, to compare with the paper: rows, sums, dates, the form's own totals.
                    st.caption(ui.plain(understood.describe(outcome.understood, frame.lang)))
                if outcome.problems:
                    st.dataframe(pd.DataFrame([p.as_row(frame.lang) for p in outcome.problems]), hide_index=True,
                                 width="stretch", height=min(400, 40 + 35 * len(outcome.problems)))
                    content = dict(files).get(outcome.file_name, b"")
                    st.download_button(state.t("import_download_problem_workbook"),
                                       problem_workbook(outcome.file_name, content, outcome.problems, frame.lang),
                                       file_name=state.t("import_problem_report_file", name=outcome.file_name.rsplit(".", 1)[0]),
                                       key=f"report_{outcome.file_name}")
        if not errors:
            if result.kpi_changes:
                st.subheader(state.t("import_kpi_changes", date=format_date(frame.as_of, frame.lang)))
                st.dataframe(pd.DataFrame([{
                    state.t("kpi"): KPI_BY_ID[c.kpi_id].name(frame.lang),
                    state.t("import_before"): format_value(c.kpi_id, c.before, frame.lang),
                    state.t("import_after"): format_value(c.kpi_id, c.after, frame.lang),
                    state.t("import_status_change"): f"{ui.status_word(c.status_before)} → {ui.status_word(c.status_after)}",
                } for c in result.kpi_changes]), hide_index=True, width="stretch")
            nothing_new = all(o.status == "unchanged" for o in result.outcomes)
            if nothing_new:
                st.info(state.t("import_nothing_new"))
            # A corrected ledger re-uploaded whole: the stored rows it no longer holds are listed in its warnings;
            # the clerk may make the file the whole ledger (undoable like any load).
            # Offered only when every such file looks like the whole ledger (ingest.FileOutcome.looks_whole): adding
            # 3 new rows must not invite deleting 83 stored ones.
            stale = [o for o in result.outcomes if o.stale_count]
            whole = bool(stale) and all(o.looks_whole() for o in stale)
            for o in stale:
                if not o.looks_whole():
                    st.caption(state.t("import_replace_not_offered", held=o.stored_before - o.stale_count,
                                       stored=o.stored_before, share=f"{ingest.WHOLE_LEDGER_SHARE:.0%}"))
            replace = whole and st.checkbox(state.t("import_replace_whole_ledger"), key="import_replace")
            confirmed = True
            if replace:  # what would be deleted, listed, and a second confirmation
                count = sum(o.stale_count for o in stale)
                st.warning(state.t("import_replace_will_delete", count=count))
                st.dataframe(pd.DataFrame({state.t("import_dataset"): [dataset_name(o.dataset) for o in stale
                                                                        for _ in o.stale],
                                           state.t("import_replace_deleted_key"): [k for o in stale for k in o.stale]}),
                             hide_index=True, width="stretch", height=min(300, 40 + 35 * count))
                confirmed = st.checkbox(state.t("import_replace_confirm", count=count), key="import_replace_confirm")
            if replace != preview.get("replace", False):  # preview again, so the KPI table shows the removal
                with state.connection() as con:
                    result = actions.load_files(con, user, files, None if chosen == "*" else chosen, dry_run=True,
                                                preview_as_of=frame.as_of, replace=replace)
                st.session_state["import_preview"] = {"key": batch_key, "result": result, "replace": replace}
                st.rerun()
            left, right = st.columns(2)
            if left.button(state.t("import_commit"), key="commit", type="primary",
                           disabled=(nothing_new and not replace) or not confirmed):
                try:
                    with state.connection() as con:
                        done = actions.load_files(con, user, files, None if chosen == "*" else chosen,
                                                  replace=replace)
                    state.data_changed()
                    st.session_state["import_preview"] = None
                    # Shown after the rerun, which redraws every page with the new data version.
                    st.session_state["import_flash"] = ([o.summary(frame.lang) for o in done.outcomes] if done.committed
                                                        else [ingest.t("refused_batch", frame.lang)])
                    st.rerun()
                except DashboardError as exc:  # no permission, a busy database, a full disk: nothing was saved
                    show_refusal(exc)
            if right.button(state.t("import_cancel"), key="cancel"):
                st.session_state["import_preview"] = None
                st.session_state["import_flash"] = [state.t("import_cancelled")]
                st.rerun()

# ----------------------------------------------------------------------------------------- load history
with tabs[1]:
    if "undo_flash" in st.session_state:
        ok, message = st.session_state.pop("undo_flash")
        (st.success if ok else st.error)(ui.plain(message))
    with state.reading() as con:
        log = ingest.load_log(con)
        evidence = actions.evidence_list(con)
    if log.empty:
        st.info(state.t("no_data_yet"))
    else:
        shown = log.copy()
        shown["dataset"] = shown["dataset"].map(dataset_name)
        shown["status"] = shown["status"].map({"active": state.t("import_active"), "undone": state.t("import_undone")})
        shown["evidence"] = shown["load_id"].map(evidence.groupby("load_id").size()).fillna(0).astype(int)
        if not can(user, "manage_users"):  # account names tell a guesser which logins exist: viewers see names
            for who in ("loaded_by", "undone_by"):
                shown[who] = shown[who].map(display_name, na_action="ignore")  # not undone: no undone_by
        # The file's fingerprint last and short (its first 12 characters identify it): the 64 characters pushed
        # the useful columns off the screen.
        shown["sha256"] = shown["sha256"].str.slice(0, 12)
        shown = shown[[c for c in shown.columns if c != "sha256"] + ["sha256"]]
        shown = tables.readable(shown).rename(columns={
            "load_id": state.t("import_load_id"), "batch_id": state.t("import_batch"), "dataset": state.t("import_dataset"),
            "file_name": state.t("import_file"), "sha256": state.t("import_hash"), "rows_added": state.t("import_added"),
            "rows_replaced": state.t("import_replaced"), "rows_unchanged": state.t("import_unchanged"),
            "loaded_by": state.t("import_loaded_by"), "loaded_at": state.t("import_loaded_at"), "status": state.t("status_column"),
            "undone_at": state.t("import_undone_at"), "undone_by": state.t("import_undone_by"),
            "is_demo": state.t("import_demo"), "evidence": state.t("import_evidence_column")})
        st.dataframe(shown.iloc[::-1], hide_index=True, width="stretch", height=360)

        active = log[log["status"] == "active"]["load_id"].tolist()[::-1]
        st.subheader(state.t("import_undo_load"))
        if can(user, "undo") and active:
            target = st.selectbox(state.t("import_load"), active, key="undo_target")
            confirm = st.checkbox(state.t("import_confirm_undo", load=target),
                                  key="undo_confirm")
            if st.button(state.t("import_undo"), key="undo", disabled=not confirm):
                try:
                    with state.connection() as con:
                        outcome = actions.undo_load(con, user, int(target))
                    state.data_changed()
                    # Drawn again from the start: the history shows the load as undone, the box is unticked and
                    # the list of loads to undo no longer offers it.
                    st.session_state["undo_flash"] = (outcome.ok, outcome.message(frame.lang))
                    st.session_state.pop("undo_confirm", None)
                    st.session_state.pop("undo_target", None)
                    st.rerun()
                except DashboardError as exc:  # no permission, a busy database, a full disk
                    show_refusal(exc)
        elif not can(user, "undo"):
            st.caption(state.t("import_undo_needs_role"))

        st.subheader(state.t("import_evidence"))
        st.caption(state.t("import_evidence_note"))
        if can(user, "attach"):
            load_for = st.selectbox(state.t("import_attach_load"), log["load_id"].tolist()[::-1], key="evidence_load")
            attachments = st.file_uploader(state.t("import_files"), type=["pdf", "jpg", "jpeg", "png"],
                                           accept_multiple_files=True, key="evidence_files")
            if attachments and st.button(state.t("import_attach"), key="attach"):
                with state.connection() as con:
                    for f in attachments:
                        try:
                            actions.attach_evidence(con, user, int(load_for), f.name, f.getvalue())
                            st.success(state.t("import_attached_files") + ui.plain(f.name))
                        except DashboardError as exc:  # refused, no permission, a full disk
                            show_refusal(exc)
                with state.connection() as con:
                    evidence = actions.evidence_list(con)
        if evidence.empty:
            st.caption(state.t("import_no_evidence_yet"))
        for row in evidence.itertuples():
            cols = st.columns([1, 4, 2])
            cols[0].text(f"#{row.load_id}")
            # st.text: a file name is shown as written, never as markdown (an image link would load for everyone).
            added_by = row.added_by if can(user, "manage_users") else display_name(row.added_by)
            cols[1].text(f"{row.file_name} · {row.size / 1024:,.0f} KB · {added_by}")
            # Only the list's metadata is read here; a file's bytes are read when its button is clicked.
            cols[2].download_button(state.t("import_download"), functools.partial(evidence_bytes, row.sha256),
                                    file_name=row.file_name, mime=row.mime,
                                    key=f"evidence_{row.load_id}_{row.sha256[:12]}")

    digest_panel.draw(user)  # the last digests sent (issue 19)

# ----------------------------------------------------------------------------------------- data quality
with tabs[2]:
    quality = state.view(views.data_quality, frame.version, frame.as_of)
    quality["dataset"] = quality["dataset"].map(lambda d: state.t("dataset_choice", name=dataset_name(d), dataset=d))
    st.dataframe(tables.readable(quality).rename(columns={
        "dataset": state.t("import_dataset"), "rows": state.t("import_rows"), "loads": state.t("import_active_loads"),
        "last_load": state.t("import_last_load"), "last_loaded_at": state.t("import_last_loaded"),
        "latest_record": state.t("import_latest_record"), "warnings": state.t("import_warnings")}),
        hide_index=True, width="stretch")
    missing = state.view(views.missing_retail_months, frame.version, frame.as_of)
    if missing:
        st.warning(state.t("import_retail_missing") +
                   state.t("list_separator").join(ui.month_label(m) for m in missing))
    else:
        st.success(state.t("import_retail_complete"))

# -------------------------------------------------------------------------------------------- templates
with tabs[3]:
    template = st.selectbox(state.t("dataset"), list(DATASETS), key=state.lang_key("template_dataset"),
                            format_func=lambda d: state.t("dataset_choice", name=dataset_name(d), dataset=d))
    st.download_button(state.t("import_download_template"), template_bytes(template),
                       file_name=state.t("import_template_file", name=dataset_name(template), dataset=template), key="template_download")
    st.caption(state.t("import_template_note"))

# ----------------------------------------------------------------------------------------- users, roles
with tabs[4]:
    def shown_role(role: str) -> str:
        return role_name(role, frame.lang)
    st.caption(state.t("import_roles_note"))
    if not can(user, "manage_users"):
        st.info(state.t("import_only_admins_manage_users"))
    else:
        accounts = local_accounts()
        st.dataframe(pd.DataFrame([{state.t("import_account"): login, state.t("import_name"): a.get("name", login),
                                    state.t("import_role_column"): shown_role(a.get("role", "viewer"))}
                                   for login, a in accounts.items()]), hide_index=True, width="stretch")
        with state.reading() as con:
            assigned = actions.role_assignments(con, user)
        st.dataframe(assigned, hide_index=True, width="stretch")
        login = st.text_input(state.t("import_account_or_email"), key="role_login")
        role = st.selectbox(state.t("import_role"), ROLES, format_func=shown_role, key=state.lang_key("role_value"))
        if login and st.button(state.t("import_save_role"), key="role_save"):
            try:
                with state.connection() as con:
                    actions.set_role(con, user, login, role)
                st.success(ui.say("import_role_saved", login=login, role_name=shown_role(role)))
            except (actions.ActionRefused, PermissionDenied) as exc:
                show_refusal(exc)
        st.caption(state.t("import_password_note"))
