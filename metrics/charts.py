"""Plotly figures shared by the pages, the meeting slides and the briefing export (no streamlit here).

Status colours: the Okabe-Ito palette, safe for the common kinds of colour blindness; a status is always shown
with its word too.
"""

from __future__ import annotations

import plotly.graph_objects as go

from .formatting import format_target, format_value
from .status import STATUSES

STATUS_COLORS = {
    "achieved": "#009E73", "on_track": "#0072B2", "at_risk": "#E69F00", "behind": "#D55E00",
    "missed": "#CC79A7", "no_data": "#999999",
}
FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
TEXT = {"pace": ("按进度应达", "expected by pace"), "value": ("当前值", "value"),
        "share": ("完成目标的百分比（%）", "share of target (%)")}


def word(status: str, lang: str) -> str:
    return STATUSES[status][1 if lang == "en" else 0]


def _t(key: str, lang: str) -> str:
    return TEXT[key][1 if lang == "en" else 0]


def bullet_chart(results, lang: str = "zh", font_size: int = 14) -> go.Figure:
    """Each KPI as a bar of its share of target, coloured by status, with the pace marker and the 100 % line."""
    results = list(reversed(results))  # plotly draws the first bar at the bottom
    names = [f"{r.name} · {word(r.status, lang)}" for r in results]
    shares = [min(150.0, (r.progress or 0) * 100) for r in results]
    labels = [f"{format_value(r.id, r.value, lang)} / {format_target(r.id, r.target, r.target_max, lang)}"
              for r in results]
    # Short bars carry their label outside, so a zero still reads "0 场 / ≥ 1 场".
    positions = ["inside" if share > 45 else "outside" for share in shares]
    fig = go.Figure(go.Bar(x=shares, y=names, orientation="h", text=labels, textposition=positions, cliponaxis=False,
                           marker_color=[STATUS_COLORS[r.status] for r in results], name=_t("value", lang),
                           hovertemplate="%{y}<br>%{text}<extra></extra>"))
    paced = [(r.expected / r.target * 100, n) for r, n in zip(results, names) if r.expected is not None and r.target]
    if paced:
        fig.add_trace(go.Scatter(x=[p for p, _ in paced], y=[n for _, n in paced], mode="markers",
                                 marker=dict(symbol="line-ns", size=22, line=dict(width=3, color="#222")),
                                 name=_t("pace", lang), hovertemplate="%{x:.0f}%<extra></extra>"))
    fig.add_vline(x=100, line_dash="dash", line_color="#444")
    fig.update_xaxes(range=[0, 152], ticksuffix="%")
    fig.update_layout(height=90 + 48 * len(results), margin=dict(l=10, r=10, t=40, b=10),
                      font=dict(family=FONT, size=font_size), xaxis_title=_t("share", lang),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), plot_bgcolor="white")
    fig.update_xaxes(gridcolor="#e5e5e5")
    return fig


# ------------------------------------------------------------------------------ reference lines (issue 19)

REFERENCE_COLOR = "#6F6F6F"  # grey: a reference is context, not a status


def reference_text(ref, lang: str = "zh", scale: float = 100.0) -> str:
    """The line's label: what, which year, how much (the source is in the hover and in the scorecard JSON)."""
    value = f"{ref.value * scale:.2f}%" if scale == 100.0 else f"{ref.value:,g}"
    return f"{ref.label(lang)}：{value}" if lang != "en" else f"{ref.label(lang)}: {value}"


def add_reference_lines(fig: go.Figure, references, lang: str = "zh", scale: float = 100.0) -> go.Figure:
    """Each reference as a labelled dashed horizontal line at its value (x scale; 100 for percentages)."""
    for ref in references:
        fig.add_hline(y=ref.value * scale, line_dash="dash", line_color=REFERENCE_COLOR, line_width=1.5,
                      name=f"reference:{ref.id}", annotation_text=reference_text(ref, lang, scale),
                      annotation_position="bottom left", annotation_font_color=REFERENCE_COLOR)
    return fig


def add_reference_marks(fig: go.Figure, results, references, lang: str = "zh") -> go.Figure:
    """On a bullet chart (bars are shares of target): a labelled dashed tick at each reference's share of target."""
    rows = list(reversed(results))  # the bullet chart draws the first KPI at the bottom, as row 0
    for index, result in enumerate(rows):
        for ref in (r for r in references if r.kpi_id == result.id):
            if not result.target:
                continue
            share = min(150.0, ref.value / result.target * 100)
            fig.add_shape(type="line", x0=share, x1=share, y0=index - 0.45, y1=index + 0.45, xref="x", yref="y",
                          line=dict(color=REFERENCE_COLOR, dash="dash", width=2), name=f"reference:{ref.id}")
            fig.add_annotation(x=share, y=index + 0.45, text=reference_text(ref, lang), showarrow=False,
                               yanchor="bottom", font=dict(color=REFERENCE_COLOR, size=11))
    return fig
