"""Shared UI pieces: status colours, KPI cards, the target/pace charts, labelled tables.

Status colours come from metrics.outputs.charts (Okabe-Ito, colour-blind safe); a status is always shown with its word as
well, never by colour alone.
"""

from __future__ import annotations

import datetime as dt
import html
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics.core.datasets import DATASETS
from metrics.core.registry import KPI_BY_ID, area_name
from metrics.kpi import views
from metrics.kpi.formatting import format_date, format_month, format_target, format_value
from metrics.outputs import charts

from . import state

STATUS_COLORS = charts.STATUS_COLORS
FONT = charts.FONT


_MARKDOWN_PUNCTUATION = "\\`*_{}[]()<>#+-.!|~$:"


def plain(text) -> str:
    """User text (a file name, a ledger value) made inert inside st.markdown/st.success/st.caption: every markdown
    character backslash-escaped, so `![t](http://host/p).png` is shown as written and loads nothing."""
    return "".join("\\" + c if c in _MARKDOWN_PUNCTUATION else c for c in str(text))


def say(key: str, /, **values) -> str:
    """A catalogue message (trusted words, which may use markdown) carrying values from outside (a county or plan
    name, a ledger value, a file or snapshot name, a person's name, a network answer): each text value made plain
    text. Every such message shown by st.markdown, a caption, a heading or an alert goes through here or `plain`:
    `![n](http://host/p)` in a county's name would otherwise make every viewer's browser fetch it."""
    return state.t(key, **{name: plain(value) if isinstance(value, str) else value for name, value in values.items()})


def status_word(status: str) -> str:
    return charts.word(status, state.lang())


def badge(status: str, suffix: str = "") -> str:
    """An HTML badge built only from our own status vocabulary (no ledger text goes through HTML)."""
    color = STATUS_COLORS[status]
    return (f'<span style="background:{color};color:white;padding:2px 8px;border-radius:10px;'
            f'font-size:0.85em;white-space:nowrap;line-height:2.2">{html.escape(status_word(status) + suffix)}</span>')


def page_header(title: str) -> None:
    frame = state.current()
    st.title(title)
    st.caption(state.t("ui_as_of_caption", date=format_date(frame.as_of, frame.lang)))


def layout(fig: go.Figure, x_title: str, y_title: str, height: int = 380, dates: bool = False) -> go.Figure:
    """Common chart layout; every chart gets axis titles with units. `dates`: the x axis is a time axis."""
    # A time axis needs no title ("2024年1月" says it), and on a phone its turned labels would run into one.
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), font=dict(family=FONT, size=14),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
                      xaxis_title=None if dates else x_title, yaxis_title=y_title, separators=".,")
    if dates:  # level labels, few enough to stand side by side on a phone (turned ones ran out of the chart)
        fig.update_xaxes(nticks=4, tickangle=0)
    # A page's own format (the schedule's years) is kept. English keeps Plotly's own adaptive dates.
    if dates and state.lang() != "en":
        fig.update_xaxes(tickformat=fig.layout.xaxis.tickformat or state.t("ui_chart_month_format"),
                         hoverformat=state.t("ui_chart_day_format"))
    return fig


# Plotly's toolbar: no logo; hidden on touch screens by the frame's CSS (it covered the legends on a phone).
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}


def chart(fig: go.Figure, key: str, **kwargs) -> None:
    """Every chart of the dashboard goes through here: metrics.outputs.charts.finish (escaped ledger text, axes that tell
    the truth, room for labels), then Streamlit. A figure shared by every viewer (bullet_chart, history_chart) was
    finished once when it was made: finishing it here would change it from several viewers' threads at once, and
    Plotly's batch update raised in one of two viewers arriving together."""
    shared = getattr(fig, "_kpi_shared", False)
    st.plotly_chart(fig if shared else charts.finish(fig), key=key, config=CHART_CONFIG, **kwargs)


def _shared(fig: go.Figure) -> go.Figure:
    """A figure every viewer will draw: finished now, once, and from then on only read (see chart)."""
    charts.finish(fig)
    fig._kpi_shared = True  # plotly keeps attributes starting with "_" (a copy does not carry it: finished again)
    return fig


def progress_bar(result) -> str:
    """Share of target in the status colour, with a black tick at the share expected by pace (HTML from our
    own numbers only)."""
    share = min(1.0, max(0.0, result.progress or 0))
    color = STATUS_COLORS[result.status]
    marker = ""
    if result.expected is not None and result.target:
        pace = min(1.0, result.expected / result.target)
        marker = (f'<div title="{html.escape(state.t("pace_marker"))}" style="position:absolute;left:calc({pace:.4f}*100% - 1px);'
                  'top:-3px;width:3px;height:16px;background:#222"></div>')
    return (f'<div style="position:relative;height:10px;background:#e6e6e6;border-radius:5px;margin:4px 0 8px 0">'
            f'<div style="width:{share * 100:.1f}%;height:10px;background:{color};border-radius:5px"></div>{marker}</div>')


def column_labels() -> dict[str, str]:
    """The computed columns' names (the views' own columns, not a ledger's) in the viewer's language."""
    t = state.t
    return {
        "month": t("month"), "sessions": t("column_sessions"), "person_times": t("column_person_times"),
        "new_people": t("column_new_people"), "person_times_total": t("column_person_times_total"),
        "people_total": t("column_people_total"), "category": t("column_category"),
        "conversions": t("column_conversions"), "counted": t("column_counted"),
        "first_session": t("column_first_session"), "total_12m": t("column_total_12m"),
        "agri_12m": t("column_agri_12m"), "growth_vs_baseline": t("column_growth_vs_baseline"),
        "agri_yoy": t("column_agri_yoy"), "followers": t("column_followers"),
        "all_platforms": t("column_all_platforms"), "counts": t("column_counts"), "talents": t("column_talents"),
        "completed": t("column_completed"), "launched": t("column_launched"),
        "participant_count": t("column_participant_count"), "stations": t("column_stations"),
        "operating": t("column_operating"), "pickup_points": t("column_pickup_points"), "places": t("column_places"),
        "covered": t("column_covered"), "all_three": t("column_all_three"), "accepted": t("column_accepted"),
        "orders": t("column_orders"), "amount_yuan": t("column_amount_yuan"), "per_order": t("column_per_order"),
        "year": t("column_year"), "items": t("column_items"), "reads": t("column_reads"), "state": t("column_state"),
        "participant": t("column_participant"), "events": t("column_events"), "first_event": t("column_first_event"),
        "home": t("column_home"), "line_id": t("column_line_id"), "plan_wan": t("column_plan_wan"),
        "spent_wan": t("column_spent_wan"), "execution": t("column_execution"),
        "expected_wan": t("column_expected_wan"), "over_plan": t("column_over_plan"), "name_zh": t("column_item"),
        "name_en": t("column_item"), "group_zh": t("column_group"), "group_en": t("column_group"),
        "group_id": t("column_group_id"),
    }


def labelled(frame: pd.DataFrame, dataset: str | None = None) -> pd.DataFrame:
    """Column names as users know them: the data contract's Chinese headers, or English in the English UI."""
    en = state.lang() == "en"
    names = {}
    if dataset:
        for col in DATASETS[dataset].columns:
            names[col.stored_as] = col.label_en if en else col.zh
    for key, label in column_labels().items():
        names.setdefault(key, label)
    for ds in DATASETS.values():  # any other ledger column: its label in the first dataset that has it
        for col in ds.columns:
            names.setdefault(col.stored_as, col.label_en if en else col.zh)
    return frame.rename(columns={c: names.get(c, c) for c in frame.columns})


# Computed columns that hold a fraction (0.971 = 97.1 %): shown as percentages in every table.
RATE_COLUMNS = {"execution", "growth_vs_baseline", "agri_yoy", "share", "rate", "conversion_rate", "coverage"}


def _cell(value) -> str:
    """A cell as a person reads it: nothing missing shows as "—" (never None/NaN/NaT), a date without its midnight."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (float, np.floating)):  # in a column with gaps, which is shown as text
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    return value


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as every table shows it: dates as dates, rates as percentages, missing values as "—".

    Numeric columns without gaps stay numbers (they sort and align as numbers); a column with a gap becomes text."""
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if column in RATE_COLUMNS and pd.api.types.is_numeric_dtype(values):
            frame[column] = values.map(lambda v: "—" if pd.isna(v) else f"{v * 100:.1f}%")
        elif pd.api.types.is_datetime64_any_dtype(values) or values.isna().any() or values.dtype == object:
            frame[column] = values.map(_cell).astype(object)  # (an empty date column would keep its dtype)
    return frame


def _plain_dates(frame: pd.DataFrame) -> pd.DataFrame:  # the name explore.py uses
    return readable(frame)


def table(frame: pd.DataFrame, dataset: str | None = None, height: int | str = "auto", cards: str | None = None,
          title_columns: int = 1) -> None:
    """A labelled, readable table; with `cards` (a key), shown as cards on a phone (dashboard_ui.cards)."""
    if cards:
        from . import cards as phone

        phone.table(labelled(readable(frame), dataset), cards, title_columns, height=height,
                    column_config=_narrow_hashes(frame))
        return
    st.dataframe(labelled(readable(frame), dataset), hide_index=True, width="stretch", height=height,
                 column_config=_narrow_hashes(frame))


def _narrow_hashes(frame: pd.DataFrame) -> dict:
    """A 64-character fingerprint would push the useful columns off a phone's screen: shown narrow, whole on hover."""
    return {col: st.column_config.TextColumn(width="small") for col in frame.columns
            if "hash" in str(col) or "sha" in str(col)}


# ------------------------------------------------------------------------------------------- KPI cards

def kpi_card(result, key_prefix: str = "card") -> None:
    lang = state.lang()
    with st.container(border=True):
        st.markdown(f"**{html.escape(result.name)}** &nbsp; {badge(result.status)}", unsafe_allow_html=True)
        # English units are long ("person-times"): the number alone in the big figure, the unit in the caption.
        st.metric(result.name, format_value(result.id, result.value, lang, with_unit=lang != "en"),
                  label_visibility="collapsed")
        st.caption(f"{state.t('target')} {format_target(result.id, result.target, result.target_max, lang)}"
                   f" · {result.gap}")
        if result.progress is not None:
            st.markdown(progress_bar(result), unsafe_allow_html=True)
        st.button(state.t("kpi_detail"), key=f"{key_prefix}_{result.id}", type="tertiary", icon=":material/table_view:",
                  on_click=st.session_state.update,
                  kwargs={state.lang_key("detail_select"): result.id, "_detail_dialog": result.id})


def kpi_cards(results, columns: int = 3, key_prefix: str = "card") -> None:
    for start in range(0, len(results), columns):
        cols = st.columns(columns)
        for col, result in zip(cols, results[start:start + columns]):
            with col:
                kpi_card(result, key_prefix)
    opened = st.session_state.pop("_detail_dialog", None)
    by_id = {r.id: r for r in results}
    if opened in by_id:  # the card's 指标明细 opens over the cards, where the person is looking
        st.dialog(f"{state.t('kpi_detail')} · {by_id[opened].name}", width="large")(detail_body)(by_id[opened], "dialog")


def area_results(area: str):
    frame = state.current()
    return [r for r in state.scorecard(frame.as_of, frame.lang, frame.version) if r.area == area]


def bullet_chart(results) -> go.Figure:
    """Each KPI as a bar of its share of target, coloured by status, with the pace marker (metrics.outputs.charts).

    Building a Plotly figure costs 40-60 ms (its validation), seven of them most of a warm overview run; the
    figure depends only on the results and the language, so every viewer shares one (st.plotly_chart only reads it).
    """
    return _bullet_figure(repr(results), results, state.lang())


# Keyed by the results' repr (every field; 0.2 ms) rather than by Streamlit hashing the objects (13 ms a chart).
@st.cache_resource(show_spinner=False, max_entries=128)
def _bullet_figure(key: str, _results, lang: str) -> go.Figure:
    return _shared(charts.bullet_chart(_results, lang))


def history_chart(result, points: list[dict]) -> go.Figure:
    """The KPI month by month against its target line and (for counts) the pace line (one figure for all viewers,
    as bullet_chart)."""
    return _history_figure(repr((result, points)), result, points, state.lang())


@st.cache_resource(show_spinner=False, max_entries=256)
def _history_figure(key: str, _result, _points: list[dict], lang: str) -> go.Figure:
    result, points = _result, _points  # the key stands for them; the words below are `lang`'s
    kpi = KPI_BY_ID[result.id]
    scale = 100 if kpi.is_fraction else 1
    dates = [p["date"] for p in points]
    values = [None if p["value"] is None else p["value"] * scale for p in points]
    fig = go.Figure(go.Scatter(x=dates, y=values, mode="lines+markers", name=state.t("value"),
                               line=dict(color=STATUS_COLORS[result.status], width=3)))
    if result.kind == "count":
        fig.add_trace(go.Scatter(x=dates, y=[p["expected"] * scale for p in points], mode="lines",
                                 name=state.t("pace_marker"), line=dict(color="#555", dash="dot")))
    fig.add_trace(go.Scatter(x=dates, y=[p["target"] * scale for p in points], mode="lines",
                             name=state.t("target_line"), line=dict(color="#222", dash="dash")))
    charts.add_reference_lines(fig, state.config().references_for(result.id), lang, scale)  # issue 19
    unit = "%" if kpi.is_fraction else kpi.unit(lang)
    # The unit alone: the KPI's name stands above the chart, and a long name turned on its side ran off a phone.
    return _shared(layout(fig, state.t("month"), unit, dates=True))


@st.fragment
def kpi_detail(area: str | None = None) -> None:
    """History against target and pace, and the ledger rows behind the figure (as-of applied).

    The KPI shown is the one whose card was clicked (kept under the widget key `detail_select_<lang>`). A fragment:
    choosing another KPI here reruns this part only, not the page's other charts."""
    frame = state.current()
    results = [r for r in state.scorecard(frame.as_of, frame.lang, frame.version) if area in (None, r.area)]
    by_id = {r.id: r for r in results}
    ids = [r.id for r in results]
    key = state.lang_key("detail_select")
    if st.session_state.get(key) not in ids:
        st.session_state[key] = ids[0]
    kpi_id = st.selectbox(state.t("choose_kpi"), ids, format_func=lambda i: by_id[i].name, key=key)
    detail_body(by_id[kpi_id])


def detail_body(result, where: str = "page") -> None:
    """One KPI: value, target, forecast, status, its history against target and pace, and the rows behind it."""
    frame = state.current()
    kpi_id = result.id
    cols = st.columns(3)
    cols[0].metric(state.t("value"), format_value(kpi_id, result.value, frame.lang))
    cols[1].metric(state.t("target"), format_target(kpi_id, result.target, result.target_max, frame.lang))
    cols[2].metric(state.t("forecast"), format_value(kpi_id, result.forecast, frame.lang))
    # The gap says "已达标" for an achieved KPI: not twice beside the badge.
    gap = "" if result.gap.strip() == status_word(result.status) else f"{html.escape(result.gap)} &nbsp;·&nbsp; "
    st.markdown(f"{badge(result.status)} &nbsp; {gap}"
                f"{html.escape(state.t('deadline'))} {html.escape(format_date(result.deadline, frame.lang))}",
                unsafe_allow_html=True)
    points = state.history(kpi_id, frame.as_of, frame.version)
    chart(history_chart(result, points), key=f"history_{where}_{kpi_id}")
    total = state.view(views.kpi_rows_count, frame.version, kpi_id, frame.as_of)
    # The rows are fetched and sent only when the expander is opened: every viewer's run paid for 1,000 rows made
    # readable and sent into a closed expander, a sixth of a warm overview run on the server (issue 26).
    with st.expander(state.t("rows_behind", n=total), key=f"rows_behind_{where}_{kpi_id}", on_change="rerun") as rows_box:
        if rows_box.open:
            rows, total = state.view(views.kpi_rows_shown, frame.version, kpi_id, frame.as_of)
            if total > len(rows):
                st.caption(state.t("rows_shown_first", shown=len(rows), n=total))
            table(rows, KPI_BY_ID[kpi_id].datasets[0], height=320)


def area_title(area: str) -> str:
    return area_name(area, state.lang())


def month_label(day: dt.date) -> str:
    return format_month(day, state.lang())


def localise_file_uploader() -> None:
    """st.file_uploader has no setting for its drop-zone text ("Drag and drop files here", "Browse files"):
    in the Chinese UI, our own CSS replaces those words (no ledger text involved). Only the browse button: a chosen
    file's remove "×" (inside stFileChips) keeps its icon, so a wrong file can be removed."""
    if state.lang() == "en":  # Streamlit's own words are English already
        return
    st.markdown(UPLOADER_CSS.replace("DROP_TEXT", json.dumps(state.t("ui_drop_files_here"), ensure_ascii=False))
                .replace("BROWSE_TEXT", json.dumps(state.t("ui_browse_files"), ensure_ascii=False)),
                unsafe_allow_html=True)


UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] > div > span:first-child { visibility: hidden; position: relative; }
[data-testid="stFileUploaderDropzoneInstructions"] > div > span:first-child::after {
    content: DROP_TEXT; visibility: visible; position: absolute; left: 0; top: 0; white-space: nowrap; }
[data-testid="stFileUploaderDropzone"] button:not([data-testid="stFileChips"] button) > * { display: none !important; }
[data-testid="stFileUploaderDropzone"] button:not([data-testid="stFileChips"] button)::after {
    content: BROWSE_TEXT; font-size: 0.9rem; }
</style>"""


# Our own constant script (no ledger text): keys for people who cannot or will not use the mouse.
# - Meeting mode: a presentation clicker sends → / PageDown / space (next) and ← / PageUp (previous); Esc leaves.
# - A date typed into a date field applies on Enter (the widget alone applies it only when the field loses focus).
KEYS_SCRIPT = """<script>
(() => {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  if (doc.__kpiKeys) return;
  doc.__kpiKeys = true;
  const press = (key) => {
    const target = doc.querySelector('.st-key-' + key + ' button, .st-key-' + key + ' a');
    if (target) { target.click(); return true; }
    return false;
  };
  // Enter in a date field applies the typed date. Streamlit 1.6x's field is three contenteditable segments (year,
  // month, day) that apply on a press outside the field (a plain blur() does not), and their own key handling
  // swallows Enter: so, in the capture phase, Enter presses outside on the page's main area, then blurs.
  doc.addEventListener('keydown', (ev) => {
    const t = ev.target;
    if (ev.key !== 'Enter' || !t || !t.closest || !t.closest('[data-testid="stDateInput"]')) return;
    const outside = doc.querySelector('[data-testid="stMain"]') || doc.body;
    const view = doc.defaultView;
    for (const kind of ['pointerdown', 'mousedown', 'pointerup', 'mouseup', 'click']) {
      const Kind = kind.startsWith('pointer') ? view.PointerEvent : view.MouseEvent;
      outside.dispatchEvent(new Kind(kind, {bubbles: true, cancelable: true, view: view}));
    }
    t.blur();
  }, true);
  doc.addEventListener('keydown', (ev) => {
    const t = ev.target;
    if (t && (['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) || t.isContentEditable)) return;
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    let done = false;
    if (['ArrowRight', 'PageDown', ' '].includes(ev.key)) done = press('meeting_next');
    else if (['ArrowLeft', 'PageUp'].includes(ev.key)) done = press('meeting_prev');
    else if (ev.key === 'Escape') done = press('meeting_exit');
    if (done) { ev.preventDefault(); ev.stopPropagation(); }
  }, true);
  // Space on a focused button would also click it when released: the keydown above already moved the slide.
  doc.addEventListener('keyup', (ev) => {
    if (ev.key === ' ' && doc.querySelector('.st-key-meeting_next')) { ev.preventDefault(); ev.stopPropagation(); }
  }, true);
})();
</script>"""

# Plotly's toolbar appears over the legend on a touch screen (no hover to hide it): hidden there.
# Streamlit's "Running… Stop" corner: English in the Chinese UI, and a Stop leaves a page half drawn (issue 24).
FRAME_CSS = """<style>
@media (hover: none) { .modebar-container { display: none !important; } }
[data-testid="stStatusWidget"] { display: none !important; }
</style>"""


def frame_extras() -> None:
    """What every page gets from the frame: the keys script and the touch-screen CSS (both our own constants)."""
    st.html(FRAME_CSS + KEYS_SCRIPT, unsafe_allow_javascript=True)
