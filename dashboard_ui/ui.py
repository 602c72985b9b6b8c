"""The pieces every page is framed with: user text made inert in markdown, the status badge, the page header, the
chart layout and the one way a chart is drawn, and the frame's own CSS and script (files in dashboard_ui/static/).

Tables are in dashboard_ui.tables, KPI cards and details in dashboard_ui.kpi_card. Status colours come from
metrics.outputs.charts (Okabe-Ito, colour-blind safe); a status is always shown with its word as well, never by
colour alone.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from metrics.core.registry import area_name
from metrics.kpi.formatting import format_date, format_month
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
    is_shared = getattr(fig, "_kpi_shared", False)
    st.plotly_chart(fig if is_shared else charts.finish(fig), key=key, config=CHART_CONFIG, **kwargs)


def shared(fig: go.Figure) -> go.Figure:
    """A figure every viewer will draw: finished now, once, and from then on only read (see chart)."""
    charts.finish(fig)
    fig._kpi_shared = True  # plotly keeps attributes starting with "_" (a copy does not carry it: finished again)
    return fig


def per_version(build):
    """A page's figure built once for every viewer who asks with the same arguments in the same language, then only
    read (see chart). Building and finishing a Plotly figure costs 10-40 ms of validation, most of a warm page run
    (培训与转化 built five per run: 140 ms). `build`'s arguments must name everything the figure depends on — the
    data version, the as-of date, the township — since the cache cannot see what it reads; they are hashed by
    Streamlit (strings, dates, None). Use: `figure = ui.per_version(build)(frame.version, frame.as_of, ...)`."""
    name = f"{build.__code__.co_filename}:{build.__qualname__}"  # a page's functions live in an exec'd script

    def figure(*args) -> go.Figure:
        return _per_version_figure(name, state.lang(), args, build)
    return figure


# One cache for every page's figures, told apart by `name`: Streamlit keys a cache by the decorated function's
# source, so a decorator defining its own cached function would give every page the same one.
@st.cache_resource(show_spinner=False, max_entries=512)
def _per_version_figure(name: str, lang: str, args: tuple, _build) -> go.Figure:
    return shared(_build(*args))


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
    words = {"DROP_TEXT": "ui_drop_files_here", "BROWSE_TEXT": "ui_browse_files"}
    css = static("uploader.css", "style")
    for placeholder, key in words.items():
        css = css.replace(placeholder, json.dumps(state.t(key), ensure_ascii=False))
    st.markdown(css, unsafe_allow_html=True)


STATIC = Path(__file__).resolve().parent / "static"


@functools.cache
def static(name: str, tag: str) -> str:
    """A file of dashboard_ui/static/ inside its HTML tag (style or script), read once per process: our own constant
    CSS and script, never ledger text.

    - uploader.css: the drop zone's words (DROP_TEXT, BROWSE_TEXT, replaced by the caller) in the Chinese UI;
    - keys.js: keys for people who cannot or will not use the mouse. Meeting mode: a presentation clicker sends
      → / PageDown / space (next) and ← / PageUp (previous); Esc leaves. A date typed into a date field applies on
      Enter (the widget alone applies it only when the field loses focus);
    - frame.css: Plotly's toolbar hidden on a touch screen (it covered the legend, no hover to hide it); Streamlit's
      "Running… Stop" corner hidden (English in the Chinese UI, and a Stop leaves a page half drawn, issue 24).
    """
    return f"<{tag}>\n{(STATIC / name).read_text(encoding='utf-8')}</{tag}>"


def frame_extras() -> None:
    """What every page gets from the frame: the keys script and the touch-screen CSS (both our own constants)."""
    st.html(static("frame.css", "style") + static("keys.js", "script"), unsafe_allow_javascript=True)
