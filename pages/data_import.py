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

from dashboard_ui import digest_panel, state, ui
from metrics import actions, ingest, views
from metrics.auth import ROLES, PermissionDenied, can, display_name, local_accounts, role_name
from metrics.datasets import DATASETS
from metrics.errors import DashboardError
from metrics.formatting import format_date, format_value
from metrics.problem_report import problem_workbook
from metrics.registry import KPI_BY_ID
from metrics.templates import template_bytes

frame = state.current()
user = st.session_state.get("_user")
en = frame.lang == "en"
L = state.L
st.title(state.t("page_import"))
ui.localise_file_uploader()


def dataset_name(name: str | None) -> str:
    if not name:
        return "—"
    return DATASETS[name].label(frame.lang)


def evidence_bytes(sha256: str) -> bytes:
    """One evidence file's content, read when its download button is clicked (not when the list is drawn)."""
    with state.connection() as con:
        return actions.evidence_content(con, sha256) or b""


def show_refusal(exc: DashboardError) -> None:
    st.error(ui.plain(exc.message(frame.lang)))  # the message may name a file: shown as plain text


tabs = st.tabs([L("上传导入", "Upload"), L("导入记录", "Load history"), L("数据质量", "Data quality"),
                L("模板下载", "Templates"), L("用户与权限", "Users and roles")])

# ------------------------------------------------------------------------------------------------ upload
with tabs[0]:
    for message in st.session_state.pop("import_flash", []):
        st.success(ui.plain(message))  # it names the uploaded files
    if not can(user, "load"):
        st.info(L("查看者只能浏览数据。导入台账需要「编辑」或「管理员」角色，请在左侧登录。",
                  "Viewers can look but not load. Loading needs the editor or admin role: sign in on the left."))
    uploads = st.file_uploader(L("选择台账文件（可多选，.xlsx、.xls、.ods、.et 或 .csv）",
                                 "Ledger files (.xlsx, .xls, .ods, .et or .csv, several allowed)"),
                               type=["xlsx", "xlsm", "xlsb", "xls", "ods", "et", "csv"], accept_multiple_files=True, key="uploads",
                               disabled=not can(user, "load"))
    options = ["*", *DATASETS]
    auto = L("按表头自动识别", "recognise from the headers")
    chosen = st.selectbox(L("数据集", "Dataset"), options, key=state.lang_key("import_dataset"),
                          format_func=lambda d: auto if d == "*" else f"{dataset_name(d)}（{d}）")
    files = [(f.name, f.getvalue()) for f in uploads or []]
    batch_key = hashlib.sha256(b"".join(hashlib.sha256(c).digest() for _, c in files) + chosen.encode()).hexdigest()
    preview = st.session_state.get("import_preview")
    if preview and preview["key"] != batch_key:
        preview = st.session_state["import_preview"] = None

    if files and st.button(L("检查并预览", "Check and preview"), key="check", type="primary"):
        try:
            with st.status(L(f"正在检查 {len(files)} 个文件…", f"Checking {len(files)} files…"), expanded=False) as status:
                with state.connection() as con:
                    result = actions.load_files(con, user, files, None if chosen == "*" else chosen, dry_run=True,
                                                preview_as_of=frame.as_of)
                status.update(label=L("检查完成", "Checked"), state="complete")
            preview = st.session_state["import_preview"] = {"key": batch_key, "result": result}
        except PermissionDenied as exc:
            show_refusal(exc)

    if preview:
        result: ingest.BatchResult = preview["result"]
        errors = [p for p in result.problems if p.is_error]
        if errors:
            st.error(L(f"发现 {len(errors)} 个错误，整批文件都不会导入。请按下表修改后重新上传。",
                       f"{len(errors)} errors: nothing in this batch will be loaded. Fix them and upload again."))
        for outcome in result.outcomes:
            with st.container(border=True):
                st.markdown(f"**{ui.plain(outcome.file_name)}** · {dataset_name(outcome.dataset)}")
                if outcome.status == "refused":
                    st.caption(L("有错误，未导入", "has errors; not loaded"))
                elif outcome.status == "not_loaded":
                    st.caption(outcome.summary(frame.lang))
                else:
                    cols = st.columns(4 if outcome.removed else 3)
                    cols[0].metric(L("新增行", "added"), outcome.added)
                    cols[1].metric(L("替换行", "replaced"), outcome.replaced)
                    cols[2].metric(L("未变行", "unchanged"), outcome.unchanged)
                    if outcome.removed:
                        cols[3].metric(L("删除行（不在文件中）", "removed (not in the file)"), outcome.removed)
                if outcome.problems:
                    st.dataframe(pd.DataFrame([p.as_row(frame.lang) for p in outcome.problems]), hide_index=True,
                                 width="stretch", height=min(400, 40 + 35 * len(outcome.problems)))
                    content = dict(files).get(outcome.file_name, b"")
                    st.download_button(L("下载标注了问题单元格的 Excel", "Download the Excel with the problem cells marked"),
                                       problem_workbook(outcome.file_name, content, outcome.problems, frame.lang),
                                       file_name=f"问题报告_{outcome.file_name.rsplit('.', 1)[0]}.xlsx",
                                       key=f"report_{outcome.file_name}")
        if not errors:
            if result.kpi_changes:
                st.subheader(L(f"导入后指标的变化（统计日期 {format_date(frame.as_of, frame.lang)}）",
                               f"How the KPIs would move (as of {format_date(frame.as_of, frame.lang)})"))
                st.dataframe(pd.DataFrame([{
                    state.t("kpi"): KPI_BY_ID[c.kpi_id].name(frame.lang),
                    L("导入前", "before"): format_value(c.kpi_id, c.before, frame.lang),
                    L("导入后", "after"): format_value(c.kpi_id, c.after, frame.lang),
                    L("状态变化", "status"): f"{ui.status_word(c.status_before)} → {ui.status_word(c.status_after)}",
                } for c in result.kpi_changes]), hide_index=True, width="stretch")
            nothing_new = all(o.status == "unchanged" for o in result.outcomes)
            if nothing_new:
                st.info(L("这些文件与已入库数据完全相同，导入不会有任何变化。", "These files match the stored data: nothing would change."))
            # A corrected ledger re-uploaded whole: the stored rows it no longer holds are listed in its warnings;
            # the clerk may make the file the whole ledger (undoable like any load).
            stale = any(p.code == "w_stored_not_in_file" for p in result.problems) or any(
                o.removed for o in result.outcomes)
            replace = stale and st.checkbox(L("以本文件为准：删除库中不在文件中的行（可撤销）",
                                              "The file is the whole ledger: remove stored rows it does not hold "
                                              "(can be undone)"), key="import_replace")
            if replace != preview.get("replace", False):  # preview again, so the KPI table shows the removal
                with state.connection() as con:
                    result = actions.load_files(con, user, files, None if chosen == "*" else chosen, dry_run=True,
                                                preview_as_of=frame.as_of, replace=replace)
                st.session_state["import_preview"] = {"key": batch_key, "result": result, "replace": replace}
                st.rerun()
            left, right = st.columns(2)
            if left.button(L("确认导入", "Commit"), key="commit", type="primary", disabled=nothing_new and not replace):
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
                except PermissionDenied as exc:
                    show_refusal(exc)
            if right.button(L("取消", "Cancel"), key="cancel"):
                st.session_state["import_preview"] = None
                st.session_state["import_flash"] = [L("已取消，数据库未做任何更改。", "Cancelled; the database is unchanged.")]
                st.rerun()

# ----------------------------------------------------------------------------------------- load history
with tabs[1]:
    with state.connection() as con:
        log = ingest.load_log(con)
        evidence = actions.evidence_list(con)
    if log.empty:
        st.info(state.t("no_data_yet"))
    else:
        shown = log.copy()
        shown["dataset"] = shown["dataset"].map(dataset_name)
        shown["status"] = shown["status"].map({"active": L("有效", "active"), "undone": L("已撤销", "undone")})
        shown["evidence"] = shown["load_id"].map(evidence.groupby("load_id").size()).fillna(0).astype(int)
        if not can(user, "manage_users"):  # account names tell a guesser which logins exist: viewers see names
            for who in ("loaded_by", "undone_by"):
                shown[who] = shown[who].map(display_name)
        # The file's fingerprint last and short (its first 12 characters identify it): the 64 characters pushed
        # the useful columns off the screen.
        shown["sha256"] = shown["sha256"].str.slice(0, 12)
        shown = shown[[c for c in shown.columns if c != "sha256"] + ["sha256"]]
        shown = ui.readable(shown).rename(columns={
            "load_id": L("导入编号", "load"), "batch_id": L("批次", "batch"), "dataset": L("数据集", "dataset"),
            "file_name": L("文件", "file"), "sha256": L("文件摘要（前 12 位）", "hash (first 12)"), "rows_added": L("新增", "added"),
            "rows_replaced": L("替换", "replaced"), "rows_unchanged": L("未变", "unchanged"),
            "loaded_by": L("导入人", "by"), "loaded_at": L("导入时间", "at"), "status": L("状态", "status"),
            "undone_at": L("撤销时间", "undone at"), "undone_by": L("撤销人", "undone by"),
            "is_demo": L("演示数据", "demo"), "evidence": L("佐证材料", "evidence")})
        st.dataframe(shown.iloc[::-1], hide_index=True, width="stretch", height=360)

        active = log[log["status"] == "active"]["load_id"].tolist()[::-1]
        st.subheader(L("撤销导入", "Undo a load"))
        if can(user, "undo") and active:
            target = st.selectbox(L("导入编号", "Load"), active, key="undo_target")
            confirm = st.checkbox(L(f"我确认撤销导入 {target}，恢复到该次导入之前的状态", f"I confirm undoing load {target}"),
                                  key="undo_confirm")
            if st.button(L("撤销", "Undo"), key="undo", disabled=not confirm):
                try:
                    with state.connection() as con:
                        outcome = actions.undo_load(con, user, int(target))
                    state.data_changed()
                    (st.success if outcome.ok else st.error)(outcome.message(frame.lang))
                except PermissionDenied as exc:
                    show_refusal(exc)
        elif not can(user, "undo"):
            st.caption(L("撤销需要「编辑」或「管理员」角色。", "Undoing needs the editor or admin role."))

        st.subheader(L("佐证材料", "Evidence"))
        st.caption(L("签到表扫描件、照片、发票等（PDF、JPG、PNG），按内容摘要保存，第三方验收时可下载。",
                     "Sign-in sheet scans, photos, invoices (PDF, JPG, PNG), stored by content hash for acceptance."))
        if can(user, "attach"):
            load_for = st.selectbox(L("关联到导入", "Attach to load"), log["load_id"].tolist()[::-1], key="evidence_load")
            attachments = st.file_uploader(L("选择材料", "Files"), type=["pdf", "jpg", "jpeg", "png"],
                                           accept_multiple_files=True, key="evidence_files")
            if attachments and st.button(L("上传材料", "Attach"), key="attach"):
                with state.connection() as con:
                    for f in attachments:
                        try:
                            actions.attach_evidence(con, user, int(load_for), f.name, f.getvalue())
                            st.success(L("已保存 ", "attached ") + ui.plain(f.name))
                        except (actions.ActionRefused, PermissionDenied) as exc:
                            show_refusal(exc)
                with state.connection() as con:
                    evidence = actions.evidence_list(con)
        if evidence.empty:
            st.caption(L("尚无佐证材料", "no evidence yet"))
        for row in evidence.itertuples():
            cols = st.columns([1, 4, 2])
            cols[0].text(f"#{row.load_id}")
            # st.text: a file name is shown as written, never as markdown (an image link would load for everyone).
            added_by = row.added_by if can(user, "manage_users") else display_name(row.added_by)
            cols[1].text(f"{row.file_name} · {row.size / 1024:,.0f} KB · {added_by}")
            # Only the list's metadata is read here; a file's bytes are read when its button is clicked.
            cols[2].download_button(L("下载", "Download"), functools.partial(evidence_bytes, row.sha256),
                                    file_name=row.file_name, mime=row.mime,
                                    key=f"evidence_{row.load_id}_{row.sha256[:12]}")

    digest_panel.draw(user)  # the last digests sent (issue 19)

# ----------------------------------------------------------------------------------------- data quality
with tabs[2]:
    quality = state.view(views.data_quality, frame.version, frame.as_of)
    quality["dataset"] = quality["dataset"].map(lambda d: f"{dataset_name(d)}（{d}）")
    st.dataframe(ui.readable(quality).rename(columns={
        "dataset": L("数据集", "dataset"), "rows": L("行数", "rows"), "loads": L("有效导入次数", "active loads"),
        "last_load": L("最近导入编号", "last load"), "last_loaded_at": L("最近导入时间", "last loaded"),
        "latest_record": L("最新记录日期", "latest record"), "warnings": L("导入提醒", "warnings")}),
        hide_index=True, width="stretch")
    missing = state.view(views.missing_retail_months, frame.version, frame.as_of)
    if missing:
        st.warning(L("网络零售额缺少以下月份：", "Online retail is missing these months: ") +
                   "、".join(ui.month_label(m) for m in missing))
    else:
        st.success(L("网络零售额月度数据完整。", "Online retail has every month."))

# -------------------------------------------------------------------------------------------- templates
with tabs[3]:
    template = st.selectbox(L("数据集", "Dataset"), list(DATASETS), key=state.lang_key("template_dataset"),
                            format_func=lambda d: f"{dataset_name(d)}（{d}）")
    st.download_button(L("下载模板", "Download the template"), template_bytes(template),
                       file_name=f"{DATASETS[template].label()}_{template}_模板.xlsx", key="template_download")
    st.caption(L("模板含表头、一行示例和「填写说明」工作表。", "The template has the headers, one example row and a notes sheet."))

# ----------------------------------------------------------------------------------------- users, roles
with tabs[4]:
    def shown_role(role: str) -> str:
        return role_name(role, frame.lang)
    st.caption(L("查看者：浏览全部数据；编辑：导入、撤销、上传佐证、使用 SQL；管理员：另可管理用户角色。",
                 "Viewer: sees everything. Editor: loads, undoes, attaches evidence, runs SQL. Admin: also manages roles."))
    if not can(user, "manage_users"):
        st.info(L("只有管理员可以管理用户。", "Only admins manage users."))
    else:
        accounts = local_accounts()
        st.dataframe(pd.DataFrame([{L("账号", "account"): login, L("姓名", "name"): a.get("name", login),
                                    L("角色", "role"): shown_role(a.get("role", "viewer"))}
                                   for login, a in accounts.items()]), hide_index=True, width="stretch")
        with state.connection() as con:
            assigned = actions.role_assignments(con, user)
        st.dataframe(assigned, hide_index=True, width="stretch")
        login = st.text_input(L("账号或邮箱", "Account or e-mail"), key="role_login")
        role = st.selectbox(L("角色", "Role"), ROLES, format_func=shown_role, key=state.lang_key("role_value"))
        if login and st.button(L("保存角色", "Save role"), key="role_save"):
            try:
                with state.connection() as con:
                    actions.set_role(con, user, login, role)
                st.success(L(f"已将 {login} 设为{shown_role(role)}", f"{login} is now {shown_role(role)}"))
            except (actions.ActionRefused, PermissionDenied) as exc:
                show_refusal(exc)
        st.caption(L("本地账号的密码用命令设置：python -m metrics user-add 账号 --role editor",
                     "Local account passwords are set with: python -m metrics user-add LOGIN --role editor"))
