"""A KPI as the pages show it: its card (value, target, status badge, progress against pace, a button to its
detail), the overview's bullet chart, and the detail: history against target and pace, and the rows behind it.

The figures every viewer draws are made once and shared (ui.shared); a status is always shown with its word, never by
colour alone.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go
import streamlit as st

from metrics.core.registry import KPI_BY_ID
from metrics.kpi import views
from metrics.kpi.formatting import format_date, format_target, format_value
from metrics.outputs import charts

from . import state
from .tables import table
from .ui import STATUS_COLORS, badge, chart, layout, shared, status_word


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
    return shared(charts.bullet_chart(_results, lang))


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
    return shared(layout(fig, state.t("month"), unit, dates=True))


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
            rows = state.view(views.kpi_rows_shown, frame.version, kpi_id, frame.as_of)
            if total > len(rows):
                st.caption(state.t("rows_shown_first", shown=len(rows), n=total))
            table(rows, KPI_BY_ID[kpi_id].datasets[0], height=320)
