"""绩效自评表.xlsx: the project-expenditure performance self-evaluation form of the acceptance pack."""

from __future__ import annotations

import io

from metrics.core.config import EVALUATION_LEVELS, LEVEL2_EN
from metrics.core.i18n import t
from metrics.kpi.formatting import format_target, format_value
from metrics.kpi.scorecard import KpiResult
from metrics.outputs.acceptance import AcceptanceData, grade
from metrics.outputs.pack_dates import dates_sentence
from metrics.outputs.words import completion


def self_evaluation_xlsx(data: AcceptanceData) -> bytes:
    import xlsxwriter

    lang, cfg = data.lang, data.config
    en = lang == "en"
    rows, budget_row = data.scores()
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    font = {"font_name": "宋体", "font_size": 10.5, "valign": "vcenter", "text_wrap": True, "border": 1}
    cell = book.add_format(font)
    center = book.add_format({**font, "align": "center"})
    head = book.add_format({**font, "bold": True, "align": "center", "bg_color": "#EDEDED"})
    title = book.add_format({"font_name": "宋体", "font_size": 18, "bold": True, "align": "center", "valign": "vcenter"})
    number = book.add_format({**font, "num_format": "0.00", "align": "center"})
    red = book.add_format({**font, "font_color": "#C00000"})
    sheet = book.add_worksheet(t("acceptance_self_eval", lang)[:31])
    sheet.set_column(0, 1, 12)
    sheet.set_column(2, 2, 28)
    sheet.set_column(3, 4, 20 if en else 14)
    sheet.set_column(5, 7, 10)
    sheet.set_column(8, 8, 50)
    sheet.merge_range(0, 0, 0, 8, t("acceptance_self_eval", lang), title)
    sheet.set_row(0, 32)
    sub = dates_sentence(data.dates, lang)
    if data.demo:
        sub += " " + t("acceptance_demo", lang)
    sheet.merge_range(1, 0, 1, 8, sub, book.add_format({"align": "center", "font_color": "#C00000" if data.demo
                                                         else "#000000"}))
    sheet.write(2, 0, t("acceptance_project", lang), head)
    sheet.merge_range(2, 1, 2, 8, cfg.project_en if en else cfg.project_zh, cell)
    sheet.write(3, 0, t("acceptance_county", lang), head)
    sheet.merge_range(3, 1, 3, 8, cfg.name_en if en else cfg.name_zh, cell)

    # 年度资金: the 预算执行率 row of the form.
    b = budget_row.result
    spent = float(b.detail.get("spent_wan") or 0)
    for c, key in enumerate(("funds", "budget_initial", "budget_full", "budget_spent", "points",
                             "execution", "score")):
        sheet.write(5, c, t(f'acceptance_{key}', lang), head)
    sheet.set_row(5, 30)
    sheet.merge_range(5, 7, 5, 8, t("acceptance_deviation", lang), head)
    sheet.write(6, 0, t("acceptance_budget_row", lang), center)
    sheet.write_number(6, 1, cfg.budget_wan, number)
    sheet.write_number(6, 2, cfg.budget_wan, number)
    sheet.write_number(6, 3, spent, number)
    sheet.write_number(6, 4, budget_row.points, number)
    sheet.write(6, 5, format_value(b.id, b.value, lang), center)
    sheet.write_number(6, 6, budget_row.score, number)
    sheet.merge_range(6, 7, 6, 8, _deviation(b, lang), cell if b.status == "achieved" else red)
    sheet.set_row(6, 30)  # spreadsheet programs do not grow a row for wrapped text they did not write

    header = ["level1", "level2", "level3", "annual_target", "actual", "rate", "points", "score", "deviation"]
    top = 8
    for c, key in enumerate(header):
        sheet.write(top, c, t(f'acceptance_{key}', lang), head)
    first = top + 1
    for i, row in enumerate(rows):
        r = row.result
        at = first + i
        sheet.write(at, 2, r.name, cell)
        sheet.write(at, 3, format_target(r.id, r.target, r.target_max, lang), center)
        sheet.write(at, 4, format_value(r.id, r.value, lang), center)
        sheet.write(at, 5, completion(r), center)
        sheet.write_number(at, 6, row.points, number)
        sheet.write_number(at, 7, row.score, number)
        sheet.write(at, 8, _deviation(r, lang), cell if r.status == "achieved" else red)
        if r.status != "achieved":
            sheet.set_row(at, 30)  # the gap and the request for causes take two lines
    # 一级 and 二级 cells merged over their runs, as the paper form draws them.
    for column, key in ((0, lambda x: x.level1), (1, lambda x: (x.level1, x.level2))):
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or key(rows[i]) != key(rows[start]):
                label = rows[start].level1 if column == 0 else rows[start].level2
                label = (EVALUATION_LEVELS[label][0] if column == 0 else LEVEL2_EN[label]) if en else label
                if i - start > 1:
                    sheet.merge_range(first + start, column, first + i - 1, column, label, center)
                else:
                    sheet.write(first + start, column, label, center)
                start = i
    last = first + len(rows)
    total = round(sum(r.score for r in rows) + budget_row.score, 2)
    sheet.merge_range(last, 0, last, 5, t("acceptance_total_score", lang), head)
    sheet.write_number(last, 6, sum(r.points for r in rows) + budget_row.points, number)
    # A formula (so an edited score re-adds) with its value cached for readers that do not calculate.
    sheet.write_formula(last, 7, f"=SUM(H{first + 1}:H{last})+G7", number, total)
    sheet.write(last, 8, t("label_value", lang, label=t("acceptance_grade", lang), value=grade(total, lang)), cell)
    note = t("acceptance_scoring_note", lang)
    sheet.merge_range(last + 2, 0, last + 2, 8, note, book.add_format({"text_wrap": True, "valign": "top"}))
    sheet.set_row(last + 2, 36)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(top, top)
    book.close()
    return buffer.getvalue()


def _deviation(r: KpiResult, lang: str) -> str:
    if r.status == "achieved":
        return t("target_met", lang)
    return t("acceptance_deviation_to_fill", lang, gap=r.gap, status_label=r.status_label,
             to_fill=t("acceptance_to_fill", lang))

