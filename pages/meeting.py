"""会议模式 Meeting mode: full-screen slides for the projector, readable from the back of the room, and the
one-click briefing export (PPTX and PDF)."""

from __future__ import annotations

import datetime as dt
import html

import streamlit as st

from dashboard_ui import state, ui
from metrics import charts
from metrics.formatting import format_date, format_target, format_value
from metrics.registry import AREAS

frame = state.current()
en = frame.lang == "en"
L = state.L
cfg = state.config()
results = state.scorecard(frame.as_of, frame.lang, frame.version)
slides = ["title", "scorecard", *AREAS]

# Projector view: no sidebar, no toolbar, large type. (Our own CSS only; no ledger text goes through HTML here.)
st.markdown("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stToolbar"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; max-width: 100%; }
.slide h1 { font-size: 3.2rem; } .slide p, .slide li { font-size: 1.7rem; line-height: 1.6; }
</style>""", unsafe_allow_html=True)

if "slide" not in st.session_state:
    st.session_state["slide"] = 0


def move(step: int) -> None:
    st.session_state["slide"] = (st.session_state["slide"] + step) % len(slides)


controls = st.columns([1, 1, 2, 2, 2])
controls[0].button("◀ " + L("上一页", "Previous"), key="prev", on_click=move, args=(-1,))
controls[1].button(L("下一页", "Next") + " ▶", key="next", on_click=move, args=(1,))
compare = controls[2].date_input(L("对比日期", "Compare with"), value=frame.as_of - dt.timedelta(days=91),
                                 max_value=frame.as_of, key="meeting_compare", format="YYYY-MM-DD")
auto = controls[3].toggle(L("自动翻页（30 秒）", "Auto-advance (30 s)"), key="auto_advance")
with controls[4]:
    if st.button(L("生成简报", "Make the briefing"), key="make_briefing"):
        from metrics import briefing_jobs

        # Data read and the database closed before rendering; one render at a time; cached per data version.
        with st.spinner(L("正在生成简报（图表渲染约需十秒）…", "Rendering the briefing…")):
            try:
                st.session_state["briefing"] = briefing_jobs.make(state.db_path(), frame.as_of,
                                                                  compare, frame.lang)
            except (briefing_jobs.RendererBusy, briefing_jobs.RenderFailed) as exc:
                st.warning(exc.message(frame.lang))
    made = st.session_state.get("briefing")
    if made:
        stamp = frame.as_of.isoformat()
        st.download_button("PPTX", made["pptx"], file_name=f"推进会简报_{stamp}.pptx", key="dl_pptx")
        st.download_button("PDF", made["pdf"], file_name=f"推进会简报_{stamp}.pdf", key="dl_pdf")

earlier = {r.id: r for r in state.scorecard(compare, frame.lang, frame.version)} if compare else {}


def change(r) -> str:
    e = earlier.get(r.id)
    if not e or (e.value == r.value and e.status == r.status):
        return ""
    return f"{format_value(r.id, e.value, frame.lang)} → {format_value(r.id, r.value, frame.lang)}"


@st.fragment(run_every=30 if auto else None)
def show_slide() -> None:
    if auto and st.session_state.get("_shown_once"):
        move(1)
    st.session_state["_shown_once"] = True
    slide = slides[st.session_state["slide"]]
    st.caption(f"{st.session_state['slide'] + 1} / {len(slides)}" + (" · 演示数据" if frame.demo else ""))
    if slide == "title":
        st.markdown(f'<div class="slide"><h1>{html.escape(cfg.project_en if en else cfg.project_zh)}</h1>'
                    f"<p>{html.escape(L('推进会', 'Coordination meeting'))} · {html.escape(state.t('as_of'))} "
                    f"{html.escape(format_date(frame.as_of, frame.lang))}</p>"
                    f"<p>{html.escape(state.t('freshness'))} {html.escape(format_date(state.latest_data_date(frame.version), frame.lang))}</p>"
                    + (f"<p>{html.escape(L('演示数据：非真实数据', '演示数据 Demo data'))}</p>" if frame.demo else "")
                    + "</div>", unsafe_allow_html=True)
        return
    if slide == "scorecard":
        st.header(L("考核指标一览", "Scorecard"))
        counts = " &nbsp; ".join(ui.badge(s, f" {sum(r.status == s for r in results)}") for s in charts.STATUS_COLORS)
        st.markdown(f'<div style="font-size:1.6rem">{counts}</div>', unsafe_allow_html=True)
        rows = [{state.t("kpi"): r.name, state.t("value"): format_value(r.id, r.value, frame.lang),
                 state.t("target"): format_target(r.id, r.target, r.target_max, frame.lang),
                 state.t("status"): ui.status_word(r.status), state.t("gap"): r.gap,
                 **({L("变化", "Change"): change(r)} if compare else {})} for r in results]
        st.dataframe(rows, hide_index=True, width="stretch", height=38 * (len(rows) + 1))
        return
    area_results = [r for r in results if r.area == slide]
    st.header(ui.area_title(slide))
    left, right = st.columns([3, 2])
    with left:
        fig = charts.bullet_chart(area_results, frame.lang, font_size=22)
        fig.update_layout(height=max(460, 140 + 90 * len(area_results)))
        # theme=None: Streamlit's theme would shrink the fonts back to screen size.
        st.plotly_chart(fig, key=f"slide_{slide}", theme=None)
    with right:
        attention = [r for r in area_results if r.status in ("at_risk", "behind", "missed")]
        lines = "".join(f"<li>{html.escape(r.name)}：{ui.badge(r.status)} {html.escape(r.gap)}"
                        + (f"<br><small>{html.escape(change(r))}</small>" if change(r) else "") + "</li>"
                        for r in attention)
        title = L("需关注", "Needs attention") if attention else L("本领域指标均正常", "All achieved or on track")
        st.markdown(f'<div class="slide"><p><b>{html.escape(title)}</b></p><ul>{lines}</ul></div>', unsafe_allow_html=True)


show_slide()
