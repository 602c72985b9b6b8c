"""The briefing as a PowerPoint file (python-pptx: real text and tables, charts as pictures), laid out on the grid of
`slide_layout`: every shape in a box of its own, on its slide, text at 14 pt or more; a table longer than a slide
goes on over as many slides as it needs, its header on each."""

from __future__ import annotations

import io

import pandas as pd

from metrics.core.i18n import t
from metrics.core.words import in_row
from metrics.kpi.formatting import format_date, format_target, format_value
from metrics.outputs import charts
from metrics.outputs import slide_layout as grid

TABLE_PT = grid.MIN_PT
NOTES_PT = grid.MIN_PT
TITLE_PT = 28
# The area slide: its chart on the left, what needs attention on the right.
AREA_CHART, AREA_NOTES = grid.BODY.columns(0.68, 0.32)
# The budget slide: the chart of plan and spending on the left, the table of lines on the right.
BUDGET_SHARES = [0.75, 2.9, 0.8, 0.9, 1.0]  # line, item, plan, spent, rate
BUDGET_TABLE_W = 440.0
BUDGET_CHART = grid.Box(grid.BODY.x, grid.BODY.y, grid.BODY.w - BUDGET_TABLE_W - grid.GAP, grid.BODY.h)
BUDGET_TABLE = grid.Box(BUDGET_CHART.x + BUDGET_CHART.w + grid.GAP, grid.BODY.y, BUDGET_TABLE_W, grid.BODY.h)
SCORECARD_SHARES = [3.4, 1.5, 1.7, 1.2, 2.0]
CHANGE_SHARE = 2.4
MILESTONE_SHARES = [0.8, 6.5, 1.6, 1.6, 1.5]


def _fitted_title_size(title: str, width: float) -> int:
    """28 pt, or smaller (never under MIN_PT) so the title stays on one line of its box."""
    size = TITLE_PT
    while size > grid.MIN_PT and grid.text_width(title, size) > width - 2 * grid.CELL_PAD_X:
        size -= 1
    return size


def to_pptx(b) -> bytes:
    """The slides of `b`, a briefing.Briefing (not imported here: briefing imports this module)."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Emu, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Emu(int(grid.SLIDE_W * grid.EMU_PER_PT)), Emu(int(grid.SLIDE_H * grid.EMU_PER_PT))
    blank = deck.slide_layouts[6]

    def text_box(slide, box: grid.Box, text: str, size: int = 18, bold: bool = False, color: str = "222222"):
        shape = slide.shapes.add_textbox(*(Emu(v) for v in box.emu()))
        frame = shape.text_frame
        frame.word_wrap = True
        for i, line in enumerate(text.split("\n")):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            run = paragraph.add_run()
            run.text = line
            run.font.size, run.font.bold = Pt(size), bold
            run.font.color.rgb = RGBColor.from_string(color)
        return shape

    def titled(title: str):
        slide = deck.slides.add_slide(blank)
        text_box(slide, grid.TITLE, title, _fitted_title_size(title, grid.TITLE.w), True)
        if b.demo:
            text_box(slide, grid.DEMO_LABEL, t("briefing_demo_data", b.lang), grid.MIN_PT, True, "B45F06")
        return slide

    def part_title(title: str, part: int, n_parts: int) -> str:
        return t("briefing_slide_part", b.lang, title=title, part=part + 1, n_parts=n_parts) if n_parts > 1 else title

    def table(slide, box: grid.Box, rows: list[list[str]], widths: list[float], colors=None):
        heights = [grid.row_height(row, widths, TABLE_PT) for row in rows]
        shape = slide.shapes.add_table(len(rows), len(rows[0]), Emu(int(box.x * grid.EMU_PER_PT)),
                                       Emu(int(box.y * grid.EMU_PER_PT)), Emu(int(sum(widths) * grid.EMU_PER_PT)),
                                       Emu(int(sum(heights) * grid.EMU_PER_PT)))
        tbl = shape.table
        for c, w in enumerate(widths):
            tbl.columns[c].width = Emu(int(w * grid.EMU_PER_PT))
        for r, row in enumerate(rows):
            tbl.rows[r].height = Emu(int(heights[r] * grid.EMU_PER_PT))
            for c, value in enumerate(row):
                cell = tbl.cell(r, c)
                cell.text = value
                for p in cell.text_frame.paragraphs:
                    for run in p.runs:
                        run.font.size = Pt(TABLE_PT)
                        run.font.bold = r == 0
                if colors and r > 0 and colors[r - 1] and c == colors[r - 1][0]:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = RGBColor.from_string(colors[r - 1][1].lstrip("#"))
        return tbl

    def paged_table(title: str, box: grid.Box, head: list[str], rows: list[list[str]], shares: list[float],
                    colors=None):
        """The table over as many slides as its rows need, the header on each."""
        widths = grid.scale_widths(shares, box.w)
        parts = grid.paginate(head, rows, widths, TABLE_PT, box.h)
        for part, indexes in enumerate(parts):
            slide = titled(part_title(title, part, len(parts)))
            table(slide, box, [head, *(rows[i] for i in indexes)], widths,
                  [colors[i] for i in indexes] if colors else None)
        return parts

    # Title slide.
    slide = deck.slides.add_slide(blank)
    lines = [t("briefing_as_of", b.lang, date=format_date(b.as_of, b.lang)),
             t("briefing_data_up_to", b.lang, date=format_date(b.freshness, b.lang))]
    if b.compare:
        lines.append(t("briefing_compared_with", b.lang, date=format_date(b.compare, b.lang)))
    if b.demo:
        lines.append(t("briefing_demo_data_not_real_figures", b.lang))
    width = grid.BODY.w - 2 * grid.MARGIN
    title_h = grid.text_height(b.title, width - 2 * grid.CELL_PAD_X, 34) + 2 * grid.CELL_PAD_Y
    title_box = grid.Box(grid.MARGIN * 2, 120.0, width, title_h)
    text_box(slide, title_box, b.title, 34, True)
    lines_h = sum(grid.text_height(line, width - 2 * grid.CELL_PAD_X, 20) for line in lines) + 2 * grid.CELL_PAD_Y
    text_box(slide, grid.Box(title_box.x, title_box.bottom + grid.GAP, width, lines_h), "\n".join(lines), 20)

    # Scorecard: as many slides as its rows need at 14 pt, the header on each.
    head = [t("kpi", b.lang), t("value", b.lang), t("target", b.lang), t("status", b.lang), t("gap", b.lang)]
    if b.compare:
        head.append(t("briefing_change", b.lang))
    rows = [[r.name, format_value(r.id, r.value, b.lang), format_target(r.id, r.target, r.target_max, b.lang),
             r.status_label, r.gap] + ([b.change(r)] if b.compare else []) for r in b.results]
    paged_table(t("briefing_scorecard_title", b.lang), grid.BODY, head, rows,
                SCORECARD_SHARES + ([CHANGE_SHARE] if b.compare else []),
                [(3, charts.STATUS_COLORS[r.status]) for r in b.results])

    # One slide per area: its chart at the size it was drawn for (1 px = 1 pt), what needs attention beside it.
    for section in b.areas:
        slide = titled(section.title)
        if section.chart_png:
            picture = grid.fit_picture(int(AREA_CHART.w), int(AREA_CHART.h), AREA_CHART)
            slide.shapes.add_picture(io.BytesIO(section.chart_png), *(Emu(v) for v in picture.emu()))
        notes = [t("briefing_needs_attention" if section.attention else "briefing_all_on_track_or_achieved", b.lang)]
        for r in section.attention:
            notes.append(t("briefing_attention_item", b.lang, name=r.name, status_label=r.status_label, gap=r.gap))
            if b.change(r):
                notes.append(f"   {t('briefing_change_lower', b.lang)} {b.change(r)}")
        text_box(slide, AREA_NOTES, "\n".join(notes), NOTES_PT)

    # Budget by line: the chart (labelled by line number) beside the table that names the lines.
    budget_rows = []
    widths = grid.scale_widths(BUDGET_SHARES, BUDGET_TABLE.w)
    item_w = widths[1] - 2 * grid.CELL_PAD_X
    for row in b.budget_lines.itertuples():
        plan = "—" if pd.isna(row.plan_wan) else f"{row.plan_wan:g}"
        rate = "—" if row.execution is None or pd.isna(row.execution) else f"{row.execution:.0%}"
        name = grid.clip(in_row(row, "name", b.lang), item_w, TABLE_PT)
        budget_rows.append([row.line_id, name, plan,
                            f"{row.spent_wan:.1f}", rate + (" ⚠" if row.over_plan else "")])
    budget_head = [t("briefing_line", b.lang), t("briefing_item", b.lang), t("briefing_plan_head", b.lang),
                   t("briefing_spent_head", b.lang), t("briefing_rate", b.lang)]
    parts = grid.paginate(budget_head, budget_rows, widths, TABLE_PT, BUDGET_TABLE.h)
    for part, indexes in enumerate(parts):
        slide = titled(part_title(t("briefing_budget_execution", b.lang), part, len(parts)))
        if b.budget_png and part == 0:
            picture = grid.fit_picture(int(BUDGET_CHART.w), int(BUDGET_CHART.h), BUDGET_CHART)
            slide.shapes.add_picture(io.BytesIO(b.budget_png), *(Emu(v) for v in picture.emu()))
        table(slide, BUDGET_TABLE, [budget_head, *(budget_rows[i] for i in indexes)], widths)

    # Milestones.
    task_w = grid.scale_widths(MILESTONE_SHARES, grid.BODY.w)[1] - 2 * grid.CELL_PAD_X
    ms_rows = [[row.milestone_id, grid.clip(row.task, task_w, TABLE_PT), str(pd.Timestamp(row.planned_end).date()),
                "" if pd.isna(row.actual_end) else str(pd.Timestamp(row.actual_end).date()),
                t(f"briefing_milestone_{row.state}", b.lang)] for row in b.milestones.itertuples()]
    ms_head = [t("briefing_no", b.lang), t("briefing_task", b.lang), t("briefing_planned", b.lang),
               t("briefing_done", b.lang), t("briefing_state", b.lang)]
    if ms_rows:
        paged_table(t("dataset_milestones_name", b.lang), grid.BODY, ms_head, ms_rows, MILESTONE_SHARES)
    else:
        text_box(titled(t("dataset_milestones_name", b.lang)), grid.BODY, t("briefing_none", b.lang), 18)

    # The KPIs behind target, with their gap in words: as many slides as the lines need at 18 pt.
    size = 18
    lines = [t("briefing_behind_item", b.lang, name=r.name, status_label=r.status_label, gap=r.gap,
               date=format_date(r.deadline, b.lang)) for r in b.behind] or [t("briefing_none", b.lang)]
    inner = grid.BODY.w - 2 * grid.CELL_PAD_X
    pages: list[list[str]] = [[]]
    used = 0.0
    for line in lines:
        need = grid.text_height(line, inner, size)
        if pages[-1] and used + need > grid.BODY.h - 2 * grid.CELL_PAD_Y:
            pages.append([])
            used = 0.0
        pages[-1].append(line)
        used += need
    for part, page in enumerate(pages):
        slide = titled(part_title(t("briefing_kpis_behind_target", b.lang), part, len(pages)))
        text_box(slide, grid.BODY, "\n".join(page), size)

    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()
