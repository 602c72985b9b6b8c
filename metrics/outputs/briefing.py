"""The meeting briefing (推进会简报): one content model, written as PPTX (python-pptx: real text and tables,
charts as images) and as PDF (the same content as HTML, printed by headless Chromium, which embeds the CJK font).

Static charts are rendered by kaleido on the machine's Chromium; Debian's fonts-noto-cjk supplies the Chinese.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go

from metrics.core.config import CountyConfig, default_config
from metrics.core.i18n import t
from metrics.core.registry import AREAS, area_name
from metrics.core.words import in_row
from metrics.kpi import budget, views
from metrics.kpi.formatting import format_change, format_date, format_target, format_value
from metrics.kpi.scorecard import KpiResult, latest_data_date, scorecard
from metrics.outputs import charts
from metrics.outputs.briefing_pptx import AREA_CHART, BUDGET_CHART
from metrics.outputs.briefing_pptx import to_pptx as to_pptx  # the PowerPoint writer, re-exported
from metrics.platform import store

ATTENTION = ("at_risk", "behind", "missed")
CHART_PT = 14  # the charts' smallest label, in pt on the slide (charts are drawn at 1 px per pt of their box)
RENDER_SCALE = 3  # pixels per pt in the pictures: sharp on a 1920 px projector and in print


@dataclass
class AreaSection:
    area: str
    title: str
    results: list[KpiResult]
    chart_png: bytes = b""

    @property
    def attention(self) -> list[KpiResult]:
        return [r for r in self.results if r.status in ATTENTION]


@dataclass
class Briefing:
    lang: str
    title: str
    as_of: dt.date
    compare: dt.date | None
    freshness: dt.date
    demo: bool
    results: list[KpiResult]
    earlier: dict[str, KpiResult]
    areas: list[AreaSection]
    budget_lines: pd.DataFrame
    milestones: pd.DataFrame
    budget_png: bytes = b""
    references: tuple = ()  # the configuration's reference series, marked on the area charts
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    @property
    def behind(self) -> list[KpiResult]:
        return [r for r in self.results if r.status in ATTENTION]

    def change(self, result: KpiResult) -> str:
        """What changed since the comparison date, in words ('' when nothing did)."""
        return format_change(result.id, self.earlier.get(result.id), result, self.lang)


def build(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, compare: dt.date | None = None,
          lang: str = "zh", config: CountyConfig | None = None, with_charts: bool = True) -> Briefing:
    config = config or default_config()
    as_of = as_of or latest_data_date(con)
    results = scorecard(con, as_of, config, lang)
    earlier = {r.id: r for r in scorecard(con, compare, config, lang, with_forecast=False)} if compare else {}
    areas = [AreaSection(a, area_name(a, lang), [r for r in results if r.area == a]) for a in AREAS]
    briefing = Briefing(
        lang=lang, title=config.project_name(lang), as_of=as_of, compare=compare,
        freshness=latest_data_date(con), demo=store.demo_loaded(con), results=results, earlier=earlier, areas=areas,
        budget_lines=budget.budget_lines(con, as_of, config), milestones=views.milestones(con, as_of),
        references=config.references)
    if with_charts:
        render_charts(briefing)
    return briefing


def _budget_figure(b: Briefing) -> go.Figure:
    """Plan and spending per budget line, labelled by the line's number: the table beside it (slide) or below it
    (PDF) names the lines, so the bars keep the chart's width."""
    lines = b.budget_lines[::-1]
    names = lines["line_id"].astype(str)
    fig = go.Figure([go.Bar(y=names, x=lines["plan_wan"], name=t("briefing_plan", b.lang), orientation="h",
                            marker_color="#bbbbbb"),
                     go.Bar(y=names, x=lines["spent_wan"], name=t("briefing_spent", b.lang), orientation="h",
                            marker_color=["#D55E00" if o else "#0072B2" for o in lines["over_plan"]])])
    fig.update_layout(height=int(BUDGET_CHART.h), margin=dict(l=10, r=10, t=40, b=10),
                      font=dict(family=charts.FONT, size=CHART_PT), yaxis=dict(type="category"), xaxis_title=t("briefing_10k_yuan", b.lang),
                      plot_bgcolor="white",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return charts.finish(fig)


def chart_figures(b: Briefing) -> list[tuple[AreaSection | None, go.Figure, int, int]]:
    """The briefing's charts as (area section or None for the budget, figure, width px, height px): what
    render_charts draws, and what the tests check for clipped, overlapping or misleading labels. Each is drawn at
    the size in pt of its box on the slide (1 px = 1 pt), so its labels keep their size there."""
    figures = []
    for section in b.areas:
        fig = charts.finish(area_figure(b, section))
        fig.update_layout(height=int(AREA_CHART.h))
        figures.append((section, fig, int(AREA_CHART.w), int(AREA_CHART.h)))
    budget = _budget_figure(b)
    figures.append((None, budget, int(BUDGET_CHART.w), int(BUDGET_CHART.h)))
    return figures


def area_figure(b: Briefing, section: AreaSection) -> go.Figure:
    """An area's bullet chart, with the configuration's reference series marked as dashed ticks."""
    # 16 pt labels of three lines; a crowded area (five KPIs or more) keeps to 14 pt and two lines so its rows fit:
    # in English a wider label column, so "4 enterprises / ≥5 enterprises" stays on its status line (at 30 columns
    # it wrapped to a third line and six rows' labels overlapped in the chart check).
    crowded = len(section.results) > 4
    width = int(t("briefing_chart_label_columns_crowded" if crowded else "briefing_chart_label_columns", b.lang))
    fig = charts.bullet_chart(section.results, b.lang, font_size=CHART_PT if crowded else CHART_PT + 2,
                              label_width=width, two_lines=crowded)
    return charts.add_reference_marks(fig, section.results, b.references, b.lang)


def render_charts(b: Briefing) -> None:
    """PNG images of each area's chart and the budget chart, through one kaleido/Chromium session."""
    import kaleido

    figures = chart_figures(b)
    kaleido.start_sync_server(silence_warnings=True)
    try:
        for section, fig, width, height in figures:
            png = fig.to_image(format="png", width=width, height=height, scale=RENDER_SCALE)
            if section is None:
                b.budget_png = png
            else:
                section.chart_png = png
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


# -------------------------------------------------------------------------------------------------- PDF

def to_html(b: Briefing) -> str:
    e = html.escape

    def img(png: bytes, box) -> str:
        """The picture at the size it was drawn for (1 px per pt of its slide box), never wider than the page."""
        return (f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" '
                f'style="width:{int(box.w)}px;max-width:100%">') if png else ""

    def badge(status: str) -> str:
        return f'<span class="badge" style="background:{charts.STATUS_COLORS[status]}">{e(charts.word(status, b.lang))}</span>'

    rows = "".join(
        f"<tr><td>{e(r.name)}</td><td>{e(format_value(r.id, r.value, b.lang))}</td>"
        f"<td>{e(format_target(r.id, r.target, r.target_max, b.lang))}</td><td>{badge(r.status)}</td><td>{e(r.gap)}</td>"
        + (f"<td>{e(b.change(r))}</td>" if b.compare else "") + "</tr>" for r in b.results)
    head = "".join(f"<th>{e(h)}</th>" for h in [t("kpi", b.lang), t("value", b.lang), t("target", b.lang),
                                               t("status", b.lang), t("gap", b.lang)] +
                   ([t("briefing_change", b.lang)] if b.compare else []))
    sections = ""
    sep = t("label_separator", b.lang)  # no full-width colon in English
    for s in b.areas:
        items = "".join(f"<li>{e(r.name)}{sep}{badge(r.status)} {e(r.gap)}</li>" for r in s.attention)
        sections += (f'<section><h2>{e(s.title)}</h2>{img(s.chart_png, AREA_CHART)}'
                     + (f"<p><b>{e(t('briefing_needs_attention_head', b.lang))}</b></p><ul>{items}</ul>" if items else "")
                     + "</section>")
    budget_rows = "".join(
        f"<tr><td>{e(r.line_id)}</td><td>{e(in_row(r, 'name', b.lang))}</td>"
        f"<td>{'—' if pd.isna(r.plan_wan) else f'{r.plan_wan:g}'}</td><td>{r.spent_wan:.1f}</td>"
        f"<td>{'—' if r.execution is None or pd.isna(r.execution) else f'{r.execution:.0%}'}"
        f"{' ⚠' if r.over_plan else ''}</td></tr>" for r in b.budget_lines.itertuples())
    milestones = "".join(
        f"<tr><td>{e(r.milestone_id)}</td><td>{e(r.task)}</td><td>{pd.Timestamp(r.planned_end).date()}</td>"
        f"<td>{'' if pd.isna(r.actual_end) else pd.Timestamp(r.actual_end).date()}</td></tr>"
        for r in b.milestones.itertuples())
    behind = "".join(f"<li>{e(r.name)}{sep}{badge(r.status)} {e(r.gap)}</li>" for r in b.behind)
    demo = f'<p class="demo">{e(t("briefing_demo_data_synthetic_not_real", b.lang))}</p>' if b.demo else ""
    compare = (f"<p>{e(t('briefing_compared_with_label', b.lang))} {e(format_date(b.compare, b.lang))}</p>" if b.compare else "")
    return f"""<!doctype html><html lang="{e(t('html_language', b.lang))}"><head><meta charset="utf-8">
<title>{e(t('briefing_title', b.lang))} · {e(format_date(b.as_of, b.lang))}</title>
<style>
  body {{ font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 11pt; color: #222; margin: 0; }}
  h1 {{ font-size: 20pt; margin: 0 0 6pt 0; }} h2 {{ font-size: 14pt; margin: 14pt 0 6pt 0; }}
  table {{ border-collapse: collapse; width: 100%; font-size: 9.5pt; }}
  th, td {{ border: 1px solid #ccc; padding: 3pt 5pt; text-align: left; }} th {{ background: #eef3f8; }}
  .badge {{ color: white; padding: 1pt 6pt; border-radius: 8pt; font-size: 9pt; white-space: nowrap; }}
  .demo {{ color: #B45F06; font-weight: bold; }} section {{ page-break-inside: avoid; }}
  /* A table that runs onto the next page repeats its header there, and no row is cut in two: a row is never
     read without its header. The heading stays with the table. */
  thead {{ display: table-header-group; }} tr {{ break-inside: avoid; page-break-inside: avoid; }}
  h2 {{ break-after: avoid; page-break-after: avoid; }}
  @page {{ size: A4; margin: 14mm; }}
</style></head><body>
<h1>{e(b.title)}</h1>
<p>{e(t('briefing_title', b.lang))} · {e(t('as_of', b.lang))} {e(format_date(b.as_of, b.lang))}
 · {e(t('freshness', b.lang))} {e(format_date(b.freshness, b.lang))}</p>{compare}{demo}
<h2>{e(t('briefing_scorecard_title', b.lang))}</h2>
<table class="scorecard"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
{sections}
<section><h2>{e(t('briefing_budget_execution', b.lang))}</h2>{img(b.budget_png, BUDGET_CHART)}
<table><tr><th>{e(t('briefing_line', b.lang))}</th><th>{e(t('briefing_item', b.lang))}</th><th>{e(t('acceptance_plan', b.lang))}</th>
<th>{e(t('briefing_spent_10k_yuan', b.lang))}</th><th>{e(t('briefing_rate', b.lang))}</th></tr>{budget_rows}</table>
<p>{e(t('briefing_plan_numbering', b.lang))}</p></section>
<section><h2>{e(t('dataset_milestones_name', b.lang))}</h2><table><tr><th>{e(t('briefing_no', b.lang))}</th><th>{e(t('briefing_task', b.lang))}</th>
<th>{e(t('briefing_planned', b.lang))}</th><th>{e(t('briefing_done', b.lang))}</th></tr>{milestones}</table></section>
<section><h2>{e(t('briefing_kpis_behind_target', b.lang))}</h2><ul>{behind or e(t('briefing_none', b.lang))}</ul></section>
<p style="color:#888;font-size:8pt">{e(t('briefing_generated', b.lang))} {b.generated}</p>
</body></html>"""


def chromium_path() -> str | None:
    return os.environ.get("KPI_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def to_pdf(b: Briefing) -> bytes:
    """Print the HTML with headless Chromium: it lays out CJK text and embeds the font subset in the PDF."""
    browser = chromium_path()
    if browser is None:
        raise RuntimeError("PDF export needs Chromium (Debian package chromium) and fonts-noto-cjk")
    with tempfile.TemporaryDirectory() as tmp:
        page, out = Path(tmp) / "briefing.html", Path(tmp) / "briefing.pdf"
        page.write_text(to_html(b), encoding="utf-8")
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", f"--print-to-pdf={out}",
                        page.as_uri()], check=True, capture_output=True, timeout=120)
        return out.read_bytes()
