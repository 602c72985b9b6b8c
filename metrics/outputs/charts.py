"""Plotly figures shared by the pages, the meeting slides and the briefing export (no streamlit here).

Status colours: the Okabe-Ito palette, safe for the common kinds of colour blindness; a status is always shown
with its word too.

Every figure leaves through `finish` (pages, slides and the briefing alike): it escapes ledger text for Plotly,
gives every axis room for its labels, starts value axes at zero, keeps count axes on whole numbers and makes
axes of codes (years, plan line numbers) categories. `tests/chart_check.py` checks the drawn result.
"""

from __future__ import annotations

import math
import re

import numpy as np
import plotly.graph_objects as go

from metrics.core.i18n import t
from metrics.core.spreadsheet import display_width
from metrics.core.words import in_row
from metrics.kpi.formatting import format_target, format_value
from metrics.kpi.status import status_name

STATUS_COLORS = {
    "achieved": "#009E73", "on_track": "#0072B2", "at_risk": "#E69F00", "behind": "#D55E00",
    "missed": "#CC79A7", "no_data": "#999999",
}
FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
# Twelve distinguishable colours for many series (months, talents): Okabe-Ito then Tol's muted; a 13th series
# repeats nothing because `series_colors` varies the dash as well.
SERIES_COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#332288", "#999933",
                 "#882255", "#44AA99", "#AA4499", "#555555"]
_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+);)")  # an & that does not already start an entity
_TOKEN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+|\s+")
TRACE_TEXT_FIELDS = ("x", "y", "text", "hovertext", "name", "labels", "customdata", "ids")


def word(status: str, lang: str) -> str:
    return status_name(status, lang)


# ------------------------------------------------------------------------------------------- ledger text

def escape(text):
    """Ledger text as Plotly shows it: Plotly reads <a>, <span style>, <b> and entities in every label, hover and
    legend, so a ledger's `<`, `>` and `&` are written as entities and shown as typed, never as markup.

    The one tag kept is a line break `<br>` (it is how `wrap` breaks a long name; a ledger's own <br> only breaks a
    line: no link, style or size can get through). Escaping twice is harmless: `&` is not re-escaped in `&lt;`."""
    if isinstance(text, str):
        return _ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;").replace("&lt;br&gt;", "<br>")
    return text


def _escaped(values):
    if isinstance(values, str):
        return escape(values)
    if isinstance(values, (tuple, list, np.ndarray)):
        array = np.asarray(values, dtype=object)
        if any(isinstance(v, str) for v in array.flat):
            return np.vectorize(escape, otypes=[object])(array)
    return values


# Chinese line breaking (kinsoku): the full-width comma, enumeration comma, full stop, closing brackets and
# quotes, and their ASCII twins close a phrase and are never the first character of a line (code points: the
# library holds no Chinese text outside the catalogues).
NO_LINE_START = frozenset(chr(c) for c in (0x3001, 0xFF0C, 0x3002, 0xFF1B, 0xFF1A, 0xFF01, 0xFF1F, 0xFF09, 0x300B,
                                           0x300D, 0x300F, 0x3011, 0x3015, 0x201D, 0x2019, 0xFF05, 0x2026)) | set(",.;:!?)]}")


def short(text: str, width: int = 24) -> str:
    """One line of at most `width` columns (a Chinese character is two), ending in "…" where it was cut, escaped: for
    an axis label that must not push the chart aside (a county's name comes from its own configuration)."""
    text = str(text)
    if display_width(text) > width:
        while text and display_width(text + "…") > width:
            text = text[:-1]
        text = text.rstrip() + "…"
    return escape(text)


def wrap(text: str, width: int = 24) -> str:
    """Break a label into lines of at most `width` columns (a Chinese character is two), at spaces when there are
    any, so long KPI and plan-line names are shown whole on a narrow chart. Returns Plotly's <br>-joined lines,
    each escaped (`escape`): the result goes into a figure as it is."""
    lines, line = [], ""
    for token in _TOKEN.findall(text):  # a Chinese character, a run of other letters, or a space
        if line and not token.isspace() and display_width(line + token) > width:
            if token[0] in NO_LINE_START:  # never the first of a line: the line takes it, one past its width
                line += token
                continue
            lines.append(line.rstrip())
            line = token
        elif line or not token.isspace():
            line += token
    lines.append(line.rstrip())
    return "<br>".join(escape(part) for part in lines)


# ------------------------------------------------------------------------------------------- the finish

def _is_text(v) -> bool:
    return isinstance(v, str)


def _numbers(values) -> list[float]:
    out = []
    if values is None:
        return out
    for v in np.asarray(values, dtype=object).flat:
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and not math.isnan(float(v)):
            out.append(float(v))
    return out


def _axis_key(ref: str | None, letter: str) -> str:
    """A trace's axis reference ('y2') as the layout key ('yaxis2')."""
    ref = ref or letter
    return f"{letter}axis{ref[1:]}"


def finish(fig: go.Figure, free_axes: tuple[str, ...] = ()) -> go.Figure:
    """The rules every chart follows (see the module docstring). `free_axes`: layout keys of value axes that may
    start away from zero (none today; say why at the call)."""
    values: dict[str, list[float]] = {}
    categorical: set[str] = set()
    percent: set[str] = set()
    for trace in fig.data:
        for field in TRACE_TEXT_FIELDS:
            if field in trace and trace[field] is not None:
                trace[field] = _escaped(trace[field])
        horizontal = getattr(trace, "orientation", None) == "h"
        for letter in ("x", "y"):
            if letter not in trace:
                continue
            key = _axis_key(trace[f"{letter}axis"] if f"{letter}axis" in trace else None, letter)
            data = trace[letter]
            if data is not None and len(data) and all(_is_text(v) for v in np.asarray(data, dtype=object).flat
                                                      if v is not None):
                categorical.add(key)
            is_value = (letter == "x") == horizontal if trace.type == "bar" else letter == "y"
            if is_value and trace.type in ("bar", "scatter"):
                values.setdefault(key, []).extend(_numbers(data))
    axes = {key for key in fig.layout if key.startswith(("xaxis", "yaxis"))} | set(values) | categorical
    for key in axes:
        axis = fig.layout[key]
        if axis.ticksuffix == "%" or (axis.title.text or "").endswith(("%）", "%)")):
            percent.add(key)
        update = dict(automargin=True, title_standoff=8)
        if key in categorical:
            update["type"] = "category"
        elif key not in free_axes and axis.type not in ("date", "category", "log"):
            update["rangemode"] = "tozero"
            numbers = values.get(key, [])
            if numbers and key not in percent and all(float(v).is_integer() for v in numbers) and not axis.tickformat:
                # Counts: whole-number ticks only; a short axis gets one tick per unit, never 0.5 or "1, 1".
                update["tickformat"] = ",d"
                if max(numbers, default=0) <= 10:
                    update["dtick"] = 1 if max(numbers, default=0) <= 5 else 2
        fig.layout[key].update(update)
    return fig


def bar_height(labels, bars_per_label: int = 1, font_size: int = 14) -> int:
    """Height in px of a horizontal bar chart whose category labels may be wrapped (`wrap`): room for every line of
    every label plus the legend and the value axis, so no label is squeezed into its neighbour."""
    labels = [str(label) for label in labels]
    # Categories are evenly spaced: every row needs room for the tallest label.
    tallest = max((label.count("<br>") + 1 for label in labels), default=1)
    return int(130 + len(labels) * max(tallest * font_size * 1.45 + 8, 12 + 12 * bars_per_label))


def series_colors(n: int) -> list[tuple[str, str]]:
    """(colour, dash) for n series: no two series look the same even past twelve."""
    dashes = ["solid", "dash", "dot"]
    return [(SERIES_COLORS[i % len(SERIES_COLORS)], dashes[(i // len(SERIES_COLORS)) % len(dashes)])
            for i in range(n)]


# ------------------------------------------------------------------------------------------- bullet chart

def bullet_chart(results, lang: str = "zh", font_size: int = 14, label_width: int = 22,
                 two_lines: bool = False) -> go.Figure:
    """Each KPI as a bar of its share of target, coloured by status, with the pace marker and the 100 % line.

    The name, status word and "value / target" stand beside the bar as its axis label (wrapped to `label_width`
    columns), never on it: the pace tick and the 100 % line cross the bar, and no text may sit under them.
    `two_lines` puts the status word and the figures on one line (a slide with many KPIs in a fixed height)."""
    results = list(reversed(results))  # plotly draws the first bar at the bottom
    status_end = " " if two_lines else "<br>"
    labels = [f"{wrap(r.name, label_width)}<br><b>{word(r.status, lang)}</b>{status_end}"
              + wrap(f"{format_value(r.id, r.value, lang)} / {format_target(r.id, r.target, r.target_max, lang)}",
                     label_width - (display_width(word(r.status, lang)) + 1 if two_lines else 0)) for r in results]
    positions = list(range(len(results)))
    shares = [min(150.0, (r.progress or 0) * 100) for r in results]
    # The figure is declared whole, as plain dicts validated once, rather than built up by add_trace, add_vline and
    # update_* calls (each parses its property paths and validates again): the same figure (tests/test_charts.py
    # compares the JSON) in 4 ms instead of 28; the overview draws seven, and redraws them at each as-of date.
    data = [dict(type="bar", x=shares, y=positions, orientation="h", width=0.6,
                 marker=dict(color=[STATUS_COLORS[r.status] for r in results]), name=t("chart_value", lang),
                 customdata=[f"{r.name} · {word(r.status, lang)} · {format_value(r.id, r.value, lang)} / "
                             f"{format_target(r.id, r.target, r.target_max, lang)}" for r in results],
                 hovertemplate="%{customdata}<extra></extra>")]
    paced = [(min(150.0, r.expected / r.target * 100), i) for i, r in enumerate(results)
             if r.expected is not None and r.target]
    if paced:
        data.append(dict(type="scatter", x=[p for p, _ in paced], y=[i for _, i in paced], mode="markers",
                         marker=dict(symbol="line-ns", size=font_size * 2.2, line=dict(width=3, color="#222")),
                         name=t("chart_pace", lang), hovertemplate="%{x:.0f}%<extra></extra>"))
    tallest = max(label.count("<br>") + 1 for label in labels) if labels else 1
    layout = dict(
        shapes=[dict(type="line", x0=100, x1=100, xref="x", y0=0, y1=1, yref="y domain",
                     line=dict(dash="dash", color="#444"))],  # the 100 % line
        yaxis=dict(tickmode="array", tickvals=positions, ticktext=labels, range=[-0.6, len(results) - 0.4],
                   automargin=True, ticklabelstandoff=6, fixedrange=True),
        xaxis=dict(range=[0, 152], ticksuffix="%", tickvals=[0, 50, 100, 150], gridcolor="#e5e5e5", automargin=True,
                   fixedrange=True, title=dict(text=t("chart_share", lang))),
        height=int(110 + len(results) * (font_size * 1.45 * tallest + 16)),
        margin=dict(l=10, r=16, t=40, b=10), font=dict(family=FONT, size=font_size), bargap=0.35,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), plot_bgcolor="white")
    return go.Figure(dict(data=data, layout=layout))


# ------------------------------------------------------------------------------ reference lines (issue 19)

REFERENCE_COLOR = "#6F6F6F"  # grey: a reference is context, not a status


def reference_text(ref, lang: str = "zh", scale: float = 100.0) -> str:
    """The line's label: what, which year, how much (the source is in the hover and in the scorecard JSON)."""
    value = f"{ref.value * scale:.2f}%" if scale == 100.0 else f"{ref.value:,g}"
    return t("label_value", lang, label=ref.label(lang), value=value)


def _reference_legend(fig: go.Figure, ref, label: str, x: list, y: list) -> None:
    """A reference's label as a legend entry (a dashed line sample), not an annotation: two references a point apart
    (23.68 % and 22.81 %) or a reference beside the target line printed their labels over each other, and on a phone
    ran out of the chart; the legend lays its entries out. The entry's one point lies on the reference's own line and
    at an x the chart already has (Plotly lists no entry for a trace without points, and a None point turns a date
    axis into categories)."""
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=label, legendgroup=f"reference:{ref.id}",
                             line=dict(color=REFERENCE_COLOR, dash="dash", width=2), hoverinfo="skip",
                             showlegend=True))


def add_reference_lines(fig: go.Figure, references, lang: str = "zh", scale: float = 100.0) -> go.Figure:
    """Each reference as a dashed horizontal line at its value (x scale; 100 for percentages), labelled in the legend."""
    first_x = next((trace.x[0] for trace in fig.data if trace.x is not None and len(trace.x)), None)
    for ref in references:
        fig.add_hline(y=ref.value * scale, line_dash="dash", line_color=REFERENCE_COLOR, line_width=1.5,
                      name=f"reference:{ref.id}")
        at = ([first_x], [ref.value * scale]) if first_x is not None else ([], [])
        _reference_legend(fig, ref, reference_text(ref, lang, scale), *at)
    return fig


def add_reference_marks(fig: go.Figure, results, references, lang: str = "zh") -> go.Figure:
    """On a bullet chart (bars are shares of target): a dashed tick at each reference's share of target, labelled in
    the legend."""
    rows = list(reversed(results))  # the bullet chart draws the first KPI at the bottom, as row 0
    for index, result in enumerate(rows):
        for ref in (r for r in references if r.kpi_id == result.id):
            if not result.target:
                continue
            share = min(150.0, ref.value / result.target * 100)
            fig.add_shape(type="line", x0=share, x1=share, y0=index - 0.45, y1=index + 0.45, xref="x", yref="y",
                          line=dict(color=REFERENCE_COLOR, dash="dash", width=2), name=f"reference:{ref.id}")
            _reference_legend(fig, ref, reference_text(ref, lang), [share], [index])
    return fig


# ------------------------------------------------------------------------------------ budget lines (issue 28)

def budget_lines_figure(lines, lang: str = "zh", font_size: int = 14, label_width: int = 28) -> go.Figure:
    """Plan and paid per plan line (万元), a line paid over its plan in the warning colour, the plan's first line on
    top: the public site's chart (metrics/outputs/publish_html.py), drawn as the budget page and the briefing draw
    theirs. `lines`: metrics.kpi.budget.budget_lines."""
    ordered = lines[::-1]  # plotly draws the first category at the bottom
    names = [wrap(f"{row.line_id} {in_row(row, 'name', lang)}", label_width)
             for row in ordered.itertuples()]
    fig = go.Figure([go.Bar(y=names, x=ordered["plan_wan"], name=t("briefing_plan", lang), orientation="h",
                            marker_color="#bbbbbb"),
                     go.Bar(y=names, x=ordered["spent_wan"], name=t("briefing_spent", lang), orientation="h",
                            marker_color=["#D55E00" if o else "#0072B2" for o in ordered["over_plan"]])])
    fig.update_layout(height=bar_height(names, 2, font_size), margin=dict(l=10, r=16, t=40, b=10),
                      font=dict(family=FONT, size=font_size), xaxis_title=t("briefing_10k_yuan", lang),
                      plot_bgcolor="white", legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return finish(fig)
