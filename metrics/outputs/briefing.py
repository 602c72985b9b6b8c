"""The meeting briefing (推进会简报): one content model, written as PPTX (python-pptx: real text and tables,
charts as images) and as PDF (the same content as HTML, printed by headless Chromium, which embeds the CJK font).

Static charts are rendered by kaleido on the machine's Chromium; Debian's fonts-noto-cjk supplies the Chinese.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
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
from metrics.kpi import budget, views
from metrics.kpi.formatting import format_change, format_date, format_target, format_value
from metrics.kpi.scorecard import KpiResult, latest_data_date, scorecard
from metrics.outputs import charts
from metrics.platform import store

ATTENTION = ("at_risk", "behind", "missed")


SCORECARD_ROWS = 11  # KPI rows on one scorecard slide: what fits a 16:9 slide at 12 pt


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
        lang=lang, title=config.project_en if lang == "en" else config.project_zh, as_of=as_of, compare=compare,
        freshness=latest_data_date(con), demo=store.demo_loaded(con), results=results, earlier=earlier, areas=areas,
        budget_lines=budget.budget_lines(con, as_of, config), milestones=views.milestones(con, as_of),
        references=config.references)
    if with_charts:
        render_charts(briefing)
    return briefing


def _budget_figure(b: Briefing) -> go.Figure:
    lines = b.budget_lines[::-1]
    names = (lines["line_id"] + " " + lines["name_en" if b.lang == "en" else "name_zh"]).map(lambda n: charts.wrap(n, 28))
    fig = go.Figure([go.Bar(y=names, x=lines["plan_wan"], name=t("briefing_plan", b.lang), orientation="h",
                            marker_color="#bbbbbb"),
                     go.Bar(y=names, x=lines["spent_wan"], name=t("briefing_spent", b.lang), orientation="h",
                            marker_color=["#D55E00" if o else "#0072B2" for o in lines["over_plan"]])])
    fig.update_layout(height=charts.bar_height(names, 2, 14), margin=dict(l=10, r=10, t=40, b=10),
                      font=dict(family=charts.FONT, size=14), xaxis_title=t("briefing_10k_yuan", b.lang),
                      plot_bgcolor="white",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return charts.finish(fig)


def chart_figures(b: Briefing) -> list[tuple[AreaSection | None, go.Figure, int, int]]:
    """The briefing's charts as (area section or None for the budget, figure, width px, height px): what
    render_charts draws, and what the tests check for clipped, overlapping or misleading labels."""
    figures = []
    for section in b.areas:
        fig = charts.finish(area_figure(b, section))
        figures.append((section, fig, 1200, max(320, fig.layout.height or 320)))
    budget = _budget_figure(b)
    figures.append((None, budget, 1200, budget.layout.height))
    return figures


def area_figure(b: Briefing, section: AreaSection) -> go.Figure:
    """An area's bullet chart, with the configuration's reference series marked as dashed ticks."""
    fig = charts.bullet_chart(section.results, b.lang, font_size=16, label_width=26)
    return charts.add_reference_marks(fig, section.results, b.references, b.lang)


def render_charts(b: Briefing) -> None:
    """PNG images of each area's chart and the budget chart, through one kaleido/Chromium session."""
    import kaleido

    figures = chart_figures(b)
    kaleido.start_sync_server(silence_warnings=True)
    try:
        for section, fig, width, height in figures:
            png = fig.to_image(format="png", width=width, height=height, scale=1.5)
            if section is None:
                b.budget_png = png
            else:
                section.chart_png = png
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


# ------------------------------------------------------------------------------------------------- PPTX

def to_pptx(b: Briefing) -> bytes:
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Emu, Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    blank = deck.slide_layouts[6]

    def text_box(slide, left, top, width, height, text, size=18, bold=False, color="222222"):
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        frame = box.text_frame
        frame.word_wrap = True
        for i, line in enumerate(text.split("\n")):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            run = paragraph.add_run()
            run.text = line
            run.font.size, run.font.bold = Pt(size), bold
            run.font.color.rgb = RGBColor.from_string(color)
        return box

    def titled(title: str):
        slide = deck.slides.add_slide(blank)
        text_box(slide, 0.5, 0.3, 12.3, 0.8, title, 28, True)
        if b.demo:
            text_box(slide, 10.3, 0.1, 2.9, 0.4, t("briefing_demo_data", b.lang), 12, True, "B45F06")
        return slide

    def table(slide, rows: list[list[str]], top: float, widths: list[float], font=12, colors=None):
        shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(0.5), Inches(top), Inches(sum(widths)),
                                       Inches(0.3 * len(rows)))
        tbl = shape.table
        for c, w in enumerate(widths):
            tbl.columns[c].width = Emu(int(Inches(w)))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                cell = tbl.cell(r, c)
                cell.text = value
                for p in cell.text_frame.paragraphs:
                    for run in p.runs:
                        run.font.size = Pt(font)
                        run.font.bold = r == 0
                if colors and r > 0 and colors[r - 1] and c == colors[r - 1][0]:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = RGBColor.from_string(colors[r - 1][1].lstrip("#"))
        return tbl

    # Title slide.
    slide = deck.slides.add_slide(blank)
    text_box(slide, 0.8, 1.8, 11.7, 1.6, b.title, 34, True)
    lines = [t("briefing_as_of", b.lang, date=format_date(b.as_of, b.lang)),
             t("briefing_data_up_to", b.lang, date=format_date(b.freshness, b.lang))]
    if b.compare:
        lines.append(t("briefing_compared_with", b.lang, date=format_date(b.compare, b.lang)))
    if b.demo:
        lines.append(t("briefing_demo_data_not_real_figures", b.lang))
    text_box(slide, 0.8, 3.6, 11.7, 2.0, "\n".join(lines), 20)

    # Scorecard: 22 KPIs over two slides.
    head = [t("kpi", b.lang), t("value", b.lang), t("target", b.lang), t("status", b.lang), t("gap", b.lang)]
    if b.compare:
        head.append(t("briefing_change", b.lang))
    rows = [[r.name, format_value(r.id, r.value, b.lang), format_target(r.id, r.target, r.target_max, b.lang),
             r.status_label, r.gap] + ([b.change(r)] if b.compare else []) for r in b.results]
    widths = [3.6, 1.7, 1.9, 1.3, 2.3] + ([1.5] if b.compare else [])
    # As many slides as the registry's KPIs need, SCORECARD_ROWS to a slide (a 23rd KPI adds no special case).
    parts = range(0, len(rows), SCORECARD_ROWS)
    for part, start in enumerate(parts):
        slide = titled(t("briefing_scorecard", b.lang, part=part + 1, n_parts=len(parts)))
        results = b.results[start:start + SCORECARD_ROWS]
        table(slide, [head, *rows[start:start + SCORECARD_ROWS]], 1.2, widths, 12,
              [(3, charts.STATUS_COLORS[r.status]) for r in results])

    # One slide per area.
    for section in b.areas:
        slide = titled(section.title)
        if section.chart_png:
            slide.shapes.add_picture(io.BytesIO(section.chart_png), Inches(0.5), Inches(1.2), width=Inches(8.2))
        notes = [t("briefing_needs_attention" if section.attention else "briefing_all_on_track_or_achieved", b.lang)]
        for r in section.attention:
            notes.append(t("briefing_attention_item", b.lang, name=r.name, status_label=r.status_label, gap=r.gap))
            if b.change(r):
                notes.append(f"   {t('briefing_change_lower', b.lang)} {b.change(r)}")
        text_box(slide, 8.9, 1.3, 4.1, 5.6, "\n".join(notes), 14)

    # Budget by line.
    slide = titled(t("briefing_budget_execution", b.lang))
    if b.budget_png:
        slide.shapes.add_picture(io.BytesIO(b.budget_png), Inches(0.5), Inches(1.1), width=Inches(6.6))
    budget_rows = [[t("briefing_line", b.lang), t("briefing_item", b.lang), t("briefing_plan_head", b.lang),
                    t("briefing_spent_head", b.lang), t("briefing_rate", b.lang)]]
    for row in b.budget_lines.itertuples():
        plan = "—" if pd.isna(row.plan_wan) else f"{row.plan_wan:g}"
        rate = "—" if row.execution is None or pd.isna(row.execution) else f"{row.execution:.0%}"
        budget_rows.append([row.line_id, (row.name_en if b.lang == "en" else row.name_zh)[:14], plan,
                            f"{row.spent_wan:.1f}", rate + (" ⚠" if row.over_plan else "")])
    table(slide, budget_rows, 1.2, [0.6, 2.6, 0.8, 0.9, 0.9], 11)

    # Milestones.
    slide = titled(t("dataset_milestones_name", b.lang))
    ms_rows = [[t("briefing_no", b.lang), t("briefing_task", b.lang), t("briefing_planned", b.lang), t("briefing_done", b.lang), t("briefing_state", b.lang)]]
    for row in b.milestones.itertuples():
        ms_rows.append([row.milestone_id, row.task[:30], str(pd.Timestamp(row.planned_end).date()),
                        "" if pd.isna(row.actual_end) else str(pd.Timestamp(row.actual_end).date()),
                        t(f"briefing_milestone_{row.state}", b.lang)])
    table(slide, ms_rows, 1.2, [0.8, 6.5, 1.6, 1.6, 1.5], 12)

    # The KPIs behind target, with their gap in words.
    slide = titled(t("briefing_kpis_behind_target", b.lang))
    lines = [t("briefing_behind_item", b.lang, name=r.name, status_label=r.status_label, gap=r.gap,
               date=format_date(r.deadline, b.lang)) for r in b.behind]
    text_box(slide, 0.6, 1.3, 12, 5.8, "\n".join(lines) or t("briefing_none", b.lang), 18)

    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


# -------------------------------------------------------------------------------------------------- PDF

def to_html(b: Briefing) -> str:
    e = html.escape

    def img(png: bytes) -> str:
        return f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" style="width:100%">' if png else ""

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
        sections += (f'<section><h2>{e(s.title)}</h2>{img(s.chart_png)}'
                     + (f"<p><b>{e(t('briefing_needs_attention_head', b.lang))}</b></p><ul>{items}</ul>" if items else "")
                     + "</section>")
    budget_rows = "".join(
        f"<tr><td>{e(r.line_id)}</td><td>{e(r.name_en if b.lang == 'en' else r.name_zh)}</td>"
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
    return f"""<!doctype html><html lang="{'en' if b.lang == 'en' else 'zh-CN'}"><head><meta charset="utf-8">
<title>{e(t('briefing_title', b.lang))} · {e(format_date(b.as_of, b.lang))}</title>
<style>
  body {{ font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 11pt; color: #222; margin: 0; }}
  h1 {{ font-size: 20pt; margin: 0 0 6pt 0; }} h2 {{ font-size: 14pt; margin: 14pt 0 6pt 0; }}
  table {{ border-collapse: collapse; width: 100%; font-size: 9.5pt; }}
  th, td {{ border: 1px solid #ccc; padding: 3pt 5pt; text-align: left; }} th {{ background: #eef3f8; }}
  .badge {{ color: white; padding: 1pt 6pt; border-radius: 8pt; font-size: 9pt; white-space: nowrap; }}
  .demo {{ color: #B45F06; font-weight: bold; }} section {{ page-break-inside: avoid; }}
  @page {{ size: A4; margin: 14mm; }}
</style></head><body>
<h1>{e(b.title)}</h1>
<p>{e(t('briefing_title', b.lang))} · {e(t('as_of', b.lang))} {e(format_date(b.as_of, b.lang))}
 · {e(t('freshness', b.lang))} {e(format_date(b.freshness, b.lang))}</p>{compare}{demo}
<h2>{e(t('briefing_scorecard_title', b.lang))}</h2><table><tr>{head}</tr>{rows}</table>
{sections}
<section><h2>{e(t('briefing_budget_execution', b.lang))}</h2>{img(b.budget_png)}
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


def export(con, fmt: str, as_of: dt.date | None = None, compare: dt.date | None = None, lang: str = "zh") -> bytes:
    b = build(con, as_of, compare, lang)
    return to_pptx(b) if fmt == "pptx" else to_pdf(b)

