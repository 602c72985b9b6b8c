"""验收材料 Acceptance pack: at the chosen as-of date, a preview of what the acceptance files say (everyone), and the
three files themselves (editors): the Word report, the 绩效自评表 and the evidence pack.

The figures are those of the other pages (metrics.acceptance reads the scorecard and the budget views); building
the files goes through metrics.actions, which checks the role itself.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard_ui import state, ui
from metrics import actions
from metrics.acceptance import PackTooLarge, completion, file_names, index_frame, met, stage_frames
from metrics.auth import PermissionDenied, can
from metrics.config import EVALUATION_LEVELS, LEVEL2_EN, ConfigError
from metrics.formatting import format_date, format_target, format_value

frame = state.current()
user = st.session_state.get("_user")
en = frame.lang == "en"
L = state.L
ui.page_header(state.t("page_acceptance"))
st.caption(L(f"按实施方案“审核验收”要求，生成截至 {format_date(frame.as_of)} 的验收报告、绩效自评表和佐证材料包。"
             "阶段验收选该阶段的日期，整体验收选项目结束日期（左侧“统计日期”）。",
             f"The acceptance report, performance self-evaluation and evidence pack as of {frame.as_of}, as the plan's "
             "acceptance section asks. For a stage acceptance pick that stage's date, for the final one the project's end "
             "(the as-of date on the left)."))

try:
    data = state.acceptance_preview(frame.as_of, frame.lang, frame.version)
except ConfigError as exc:
    st.error(L("配置文件有误：", "Configuration problems: ") + "；".join(exc.problems))
    st.stop()
except PackTooLarge as exc:
    st.error(exc.message(frame.lang))
    st.stop()

# ------------------------------------------------------------------------------------------ generate
names = file_names(frame.as_of, frame.lang)
with st.container(border=True):
    if not can(user, "acceptance"):
        st.info(L("查看者可以预览下列内容。生成和下载验收文件需要「编辑」或「管理员」角色，请在左侧登录。",
                  "Viewers see the preview below. Generating the files needs the editor or admin role: sign in on "
                  "the left."))
    key = f"acceptance_files|{frame.as_of}|{frame.lang}|{frame.version}"
    if st.button(L("生成验收材料", "Generate the acceptance files"), type="primary", icon=":material/description:",
                 disabled=not can(user, "acceptance")):
        bar = st.progress(0.0, text=L("正在生成…", "Building…"))

        def step(fraction: float, message: str) -> None:
            bar.progress(min(1.0, fraction), text=(L("正在生成：", "Building: ") + message) if message else None)
        try:
            full = state.acceptance_data(frame.as_of, frame.lang, step)
            st.session_state[key] = actions.acceptance_files(user, full, step)
        except (PermissionDenied, PackTooLarge) as exc:
            st.error(exc.message(frame.lang))
        bar.empty()
    files = st.session_state.get(key)
    if files:
        mimes = {"report": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "self_eval": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "pack": "application/zip"}
        labels = {"report": L("下载验收报告（Word）", "Download the report (Word)"),
                  "self_eval": L("下载绩效自评表（Excel）", "Download the self-evaluation (Excel)"),
                  "pack": L("下载佐证材料包（zip）", "Download the evidence pack (zip)")}
        cols = st.columns(3)
        for col, kind in zip(cols, ("report", "self_eval", "pack")):
            col.download_button(labels[kind], files[names[kind]], file_name=names[kind], mime=mimes[kind],
                                key=f"download_{kind}", icon=":material/download:")

# ------------------------------------------------------------------------------------------- preview
if data.demo:
    st.warning(L("当前为演示数据：生成的文件会标注“演示数据”，不得用于验收。",
                 "Demo data: the files are marked as such and are not for acceptance."))
missing = [r for r in data.results if not data.evidence[r.id].files]
if missing and len(missing) == len(data.results):
    st.warning(L("尚无任何佐证材料：在“数据导入 → 导入记录”中为各台账的导入上传佐证（PDF、JPG、PNG）。",
                 "No evidence is attached yet: attach it (PDF, JPG, PNG) to the ledgers' loads on Data import → "
                 "Load history."), icon=":material/attach_file:")
elif missing:
    st.warning(L(f"{len(missing)} 项指标尚无佐证材料（在“数据导入 → 导入记录”中为对应台账的导入上传佐证）：",
               f"{len(missing)} indicators have no evidence attached (attach it to their loads on Data import → "
               "Load history): ") + ("、" if not en else ", ").join(r.name for r in missing), icon=":material/attach_file:")
if not data.early.empty:
    vouchers = ", ".join(map(str, data.early["voucher"]))
    st.error(L(f"{len(data.early)} 笔阶段拨付或尾款在对应验收之前支付（凭证 {vouchers}），见“资金与阶段验收”。",
               f"{len(data.early)} stage or final payments were made before their acceptance (vouchers {vouchers}); "
               "see Funds and stages."), icon=":material/warning:")

tabs = st.tabs([L("三、建设成效", "Results"), L("绩效自评", "Self-evaluation"), L("资金与阶段验收", "Funds and stages"),
                L("佐证材料目录", "Evidence index")])
with tabs[0]:
    st.dataframe(pd.DataFrame([{
        L("指标", "Indicator"): r.name, L("目标值", "Target"): format_target(r.id, r.target, r.target_max, frame.lang),
        L("完成值", "Achieved"): format_value(r.id, r.value, frame.lang), L("完成率", "Completion"): completion(r),
        L("是否达标", "Met"): met(r, frame.lang), L("佐证材料编号", "Evidence no."): data.evidence[r.id].citation(frame.lang),
    } for r in data.results]), hide_index=True, width="stretch")
with tabs[1]:
    rows, budget_row = data.scores()
    table = pd.DataFrame([{
        L("一级指标", "Level 1"): (EVALUATION_LEVELS[row.level1][0] if en and row.level1 else row.level1)
        or L("预算执行率", "Budget execution"),
        L("二级指标", "Level 2"): LEVEL2_EN.get(row.level2, row.level2) if en else row.level2,
        L("三级指标", "Indicator"): row.result.name, L("实际完成值", "Actual"): format_value(row.result.id, row.result.value,
                                                                                       frame.lang),
        L("分值", "Points"): row.points, L("得分", "Score"): row.score} for row in [*rows, budget_row]])
    st.dataframe(table, hide_index=True, width="stretch")
    total = round(sum(r.score for r in rows) + budget_row.score, 2)
    st.metric(L("总分", "Total score"), f"{total:.2f}")
    st.caption(L("评分规则：已达标得满分；未达标按完成率（完成值 ÷ 目标值）乘以分值计分，最高不超过分值；暂无数据得 0 分。",
                 "Scoring: full points when achieved; otherwise points x completion rate, at most the points; "
                 "no data scores 0."))
with tabs[2]:
    stages, early = stage_frames(data)
    ui.table(stages)
    if not early.empty:
        st.markdown(L("**验收前支付的款项**", "**Paid before acceptance**"))
        ui.table(early)
with tabs[3]:
    index, _ = index_frame(data)
    ui.table(index)
