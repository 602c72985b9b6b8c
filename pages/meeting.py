"""会议模式 Meeting mode: full-screen slides for the projector, readable from the back of the room, driven by a
clicker (→ / ← / PageDown / PageUp / space; Esc leaves), and the one-click briefing export (PPTX and PDF)."""

from __future__ import annotations

import datetime as dt
import html
import time

import streamlit as st

from dashboard_ui import kpi_card, state, ui
from metrics.core.registry import AREAS
from metrics.kpi.formatting import format_change, format_date, format_target, format_value
from metrics.outputs import charts
from metrics.outputs.briefing_formats import FORMATS

frame = state.current()
cfg = state.config()
results = state.scorecard(frame.as_of, frame.lang, frame.version)
SCORECARD_ROWS = 11  # rows per scorecard slide: 11 rows of large type fit a 1080p projector with the controls
scorecard_parts = [results[i:i + SCORECARD_ROWS] for i in range(0, len(results), SCORECARD_ROWS)]
slides = ["title", *[f"scorecard:{i}" for i in range(len(scorecard_parts))], *AREAS]
AUTO_SECONDS = 30

# Projector view: no sidebar, no toolbar, large type. (Our own CSS only; no ledger text goes through HTML here.)
st.markdown("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stToolbar"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1rem; max-width: 100%; }
.slide h1 { font-size: 3.2rem; } .slide p, .slide li { font-size: 1.7rem; line-height: 1.6; }
table.scorecard { border-collapse: collapse; width: 100%; font-size: 1.45rem; }
table.scorecard th, table.scorecard td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; }
table.scorecard th { background: #eef3f8; }
@media (min-width: 641px) { .st-key-slide_phone { display: none !important; } }
@media (max-width: 640px) { .st-key-slide_projector { display: none !important; } }
@media (max-width: 640px) { table.scorecard { font-size: 0.95rem; } .slide p, .slide li { font-size: 1.1rem; } }
@media (max-width: 640px) {
  table.scorecard, table.scorecard tbody, table.scorecard tr, table.scorecard td { display: block; width: auto; }
  table.scorecard tr:first-child { display: none; }
  table.scorecard tr { border-bottom: 1px solid #ddd; padding: 0.4rem 0; }
  table.scorecard td { border: none; padding: 0.05rem 0.3rem; overflow-wrap: anywhere; }
  table.scorecard td:first-child { font-weight: 600; } table.scorecard td:empty { display: none; }
  table.scorecard td + td::before { content: attr(data-label); color: #666; }
}
</style>""", unsafe_allow_html=True)

if "slide" not in st.session_state:
    st.session_state["slide"] = 0


def move(step: int) -> None:
    st.session_state["slide"] = (st.session_state["slide"] + step) % len(slides)
    st.session_state["_slide_since"] = time.monotonic()


def restart_timer() -> None:
    """Turning auto-advance on starts a full interval on the slide shown (it used to skip one at once)."""
    st.session_state["_slide_since"] = time.monotonic()


def set_as_of() -> None:
    """The sidebar is hidden here: the meeting's own date picker sets the frame's as-of date (before the rerun)."""
    st.session_state["as_of"] = st.session_state["meeting_as_of"]


controls = st.columns([1.1, 1.1, 1.6, 1.6, 1.6, 1.6, 1.4], vertical_alignment="bottom")
controls[0].button("◀ " + state.t("meeting_previous"), key="meeting_prev", on_click=move, args=(-1,),
                   help=state.t("meeting_previous_keys"))
controls[1].button(state.t("meeting_next") + " ▶", key="meeting_next", on_click=move, args=(1,),
                   help=state.t("meeting_next_keys"))
controls[2].date_input(state.t("as_of"), value=frame.as_of, key="meeting_as_of", format="YYYY-MM-DD",
                       min_value=dt.date(2020, 1, 1), on_change=set_as_of)
compare = controls[3].date_input(state.t("compare_date"), value=frame.as_of - dt.timedelta(days=91),
                                 max_value=frame.as_of, key="meeting_compare", format="YYYY-MM-DD")
auto = controls[4].toggle(state.t("meeting_auto_advance", seconds=AUTO_SECONDS), key="auto_advance",
                          on_change=restart_timer)
with controls[5]:
    if st.button(state.t("meeting_make_briefing"), key="make_briefing"):
        from metrics.outputs import briefing_jobs

        # Data read and the database closed before rendering; one render at a time; cached per data version.
        with st.spinner(state.t("meeting_rendering")):
            try:
                st.session_state["briefing"] = briefing_jobs.make(state.db_path(), frame.as_of,
                                                                  compare, frame.lang)
            except (briefing_jobs.RendererBusy, briefing_jobs.RenderFailed) as exc:
                st.warning(exc.message(frame.lang))
    made = st.session_state.get("briefing")
    if made:
        stamp = frame.as_of.isoformat()
        name = state.t("meeting_briefing")
        for fmt in FORMATS.values():  # one button per format of the table
            st.download_button(fmt.label, made[fmt.name], file_name=f"{name}_{stamp}{fmt.suffix}", mime=fmt.mime,
                               key=f"dl_{fmt.name}")
with controls[6].container(key="meeting_exit"):
    st.page_link("pages/overview.py", label=state.t("meeting_leave"), icon=":material/close:",
                 help=state.t("meeting_leave_key"))

earlier = {r.id: r for r in state.scorecard(compare, frame.lang, frame.version)} if compare else {}


def change(r) -> str:
    return format_change(r.id, earlier.get(r.id), r, frame.lang)


def scorecard_slide(part: int) -> None:
    title = state.t("meeting_scorecard") + (f" ({part + 1}/{len(scorecard_parts)})" if len(scorecard_parts) > 1 else "")
    st.header(title)
    if part == 0:
        counts = " &nbsp; ".join(ui.badge(s, f" {sum(r.status == s for r in results)}") for s in charts.STATUS_COLORS)
        st.markdown(f'<div style="font-size:1.4rem">{counts}</div>', unsafe_allow_html=True)
    head = [state.t("kpi"), state.t("value"), state.t("target"), state.t("status"), state.t("gap")]
    if compare:
        head.append(state.t("meeting_change"))
    # On a phone the table becomes cards (the CSS above): each cell says its column's name (data-label), since six
    # columns of English words could not fit 390 px and the gap and change columns were cut off.
    sep = state.t("meeting_label_separator")
    rows = "".join(
        "<tr>" + "".join(f'<td data-label="{html.escape(h + sep)}">{cell}</td>' for h, cell in zip(head, [
            html.escape(r.name), html.escape(format_value(r.id, r.value, frame.lang)),
            html.escape(format_target(r.id, r.target, r.target_max, frame.lang)), ui.badge(r.status),
            html.escape(r.gap), *([html.escape(change(r))] if compare else [])])) + "</tr>"
        for r in scorecard_parts[part])
    st.markdown(f'<table class="scorecard phone-cards"><tr>{"".join(f"<th>{html.escape(h)}</th>" for h in head)}</tr>'
                f"{rows}</table>", unsafe_allow_html=True)


@st.fragment(run_every=AUTO_SECONDS if auto else None)
def show_slide() -> None:
    now = time.monotonic()
    since = st.session_state.setdefault("_slide_since", now)
    if auto and now - since >= AUTO_SECONDS - 1:
        move(1)
    slide = slides[st.session_state["slide"]]
    st.caption(f"{st.session_state['slide'] + 1} / {len(slides)}" + (" · " + state.t("meeting_demo_data") if frame.demo else "")
               + " · " + state.t("meeting_keys"))
    if slide == "title":
        st.markdown(f'<div class="slide"><h1>{html.escape(cfg.project_name(frame.lang))}</h1>'
                    f"<p>{html.escape(state.t('meeting_coordination_meeting'))} · {html.escape(state.t('as_of'))} "
                    f"{html.escape(format_date(frame.as_of, frame.lang))}</p>"
                    f"<p>{html.escape(state.t('freshness'))} {html.escape(format_date(state.latest_data_date(frame.version), frame.lang))}</p>"
                    + (f"<p>{html.escape(state.t('meeting_demo_note'))}</p>" if frame.demo else "")
                    + "</div>", unsafe_allow_html=True)
        return
    if slide.startswith("scorecard:"):
        scorecard_slide(int(slide.split(":")[1]))
        return
    area_results = [r for r in results if r.area == slide]
    st.header(ui.area_title(slide))
    left, right = st.columns([3, 2])
    with left:
        # Projected, the chart's labels are 18 px; a leader following on a phone (390 px) gets the overview's chart
        # instead, whose labels leave the bars room: at 18 px the axis title ran out of that narrow plot and two
        # KPIs' labels overlapped. The page cannot know the width (Streamlit's st.context has no viewport), so both
        # are sent and the CSS above shows the one that fits, at the width where Streamlit stacks the columns.
        with st.container(key="slide_projector"):
            fig = charts.bullet_chart(area_results, frame.lang, font_size=18, label_width=24)
            # theme=None: Streamlit's theme would shrink the fonts back to screen size.
            ui.chart(fig, key=f"slide_{slide}", theme=None)
        with st.container(key="slide_phone"):
            ui.chart(kpi_card.bullet_chart(area_results), key=f"slide_{slide}_phone")
    with right:
        attention = [r for r in area_results if r.status in ("at_risk", "behind", "missed")]
        sep = state.t("meeting_label_separator")
        lines = "".join(f"<li>{html.escape(r.name)}{sep}{ui.badge(r.status)} {html.escape(r.gap)}"
                        + (f"<br><small>{html.escape(change(r))}</small>" if change(r) else "") + "</li>"
                        for r in attention)
        title = state.t("meeting_needs_attention") if attention else state.t("meeting_all_on_track")
        st.markdown(f'<div class="slide"><p><b>{html.escape(title)}</b></p><ul>{lines}</ul></div>', unsafe_allow_html=True)


show_slide()
