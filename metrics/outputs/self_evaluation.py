"""绩效自评表.xlsx: the 项目支出绩效自评表 in the layout of 财预〔2020〕10号's 附件, one sheet per calendar year of the
project and one for the whole project (the figures: metrics.outputs.self_evaluation_model)."""

from __future__ import annotations

import io

from metrics.core import spreadsheet
from metrics.core.config import EVALUATION_LEVELS, LEVEL2_EN
from metrics.core.i18n import t
from metrics.core.self_evaluation_config import FUND_SOURCES
from metrics.core.spreadsheet import display_width
from metrics.kpi.formatting import format_date
from metrics.outputs.acceptance import AcceptanceData, grade
from metrics.outputs.self_evaluation_model import TOTAL_FUNDS, Sheet

COLUMNS = 10  # A..J: 一级 | 二级 | 三级 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因分析及改进措施 (H:J)
WIDTHS = (12, 14, 24, 18, 22, 8, 8, 16, 16, 16)


class _Formats:
    def __init__(self, book):
        font = {"font_name": "宋体", "font_size": 10.5, "valign": "vcenter", "text_wrap": True, "border": 1}
        self.cell = book.add_format(font)
        self.center = book.add_format({**font, "align": "center"})
        self.head = book.add_format({**font, "bold": True, "align": "center", "bg_color": "#EDEDED"})
        self.title = book.add_format({"font_name": "宋体", "font_size": 18, "bold": True, "align": "center",
                                      "valign": "vcenter"})
        self.sub = book.add_format({"font_name": "宋体", "font_size": 12, "align": "center", "valign": "vcenter"})
        self.note = book.add_format({"font_name": "宋体", "font_size": 9, "text_wrap": True, "valign": "top"})
        self.number = book.add_format({**font, "num_format": "0.00", "align": "center"})
        self.red = book.add_format({**font, "font_color": "#C00000"})
        self.plain = book.add_format({"font_name": "宋体", "font_size": 10.5})


def _level(label: str, first: bool, en: bool) -> str:
    if not en:
        return label
    return EVALUATION_LEVELS[label][0] if first else LEVEL2_EN[label]


def _height(text: str, width: int, least: float) -> float:
    """Points a wrapped cell needs: CJK characters count two of a column's width units, ~15 pt a line."""
    lines = -(-display_width(text) // max(1, width - 2))
    return max(least, 15.0 * lines + 4)


def _money(sheet_, row: int, col: int, value, f: _Formats, lang: str) -> None:
    if value is None:
        sheet_.write(row, col, t("selfeval_not_configured", lang), f.center)
    else:
        sheet_.write_number(row, col, value, f.number)


def _write_sheet(book, f: _Formats, data: AcceptanceData, sheet: Sheet) -> None:
    lang, cfg = data.lang, data.config
    en = lang == "en"
    name = t("selfeval_sheet_year", lang, year=sheet.year) if sheet.year else t("selfeval_sheet_project", lang)
    ws = book.add_worksheet(name[:31])
    for c, width in enumerate(WIDTHS if not en else [w + 4 for w in WIDTHS]):
        ws.set_column(c, c, width)
    last = COLUMNS - 1
    ws.merge_range(0, 0, 0, last, t("acceptance_self_eval", lang), f.title)
    ws.set_row(0, 32)
    period = (t("selfeval_year_title", lang, year=sheet.year) if sheet.year
              else t("selfeval_project_title", lang, start=format_date(cfg.start, lang),
                     end=format_date(cfg.end, lang)))
    ws.merge_range(1, 0, 1, last, period, f.sub)
    about = t("selfeval_sheet_dates", lang, as_of=format_date(sheet.as_of, lang),
              money_as_of=format_date(sheet.money_as_of, lang))
    if data.demo:
        about += " " + t("acceptance_demo", lang)
    ws.merge_range(2, 0, 2, last, about, f.note)
    ws.set_row(2, 28)
    # 项目名称 / 主管部门 / 实施单位
    ws.write(3, 0, t("acceptance_project", lang), f.head)
    ws.merge_range(3, 1, 3, last, cfg.project_name(lang), f.cell)
    se = cfg.self_evaluation
    ws.write(4, 0, t("selfeval_department", lang), f.head)
    department, implementer = (se.department_en, se.implementer_en) if en else (se.department, se.implementer)
    ws.merge_range(4, 1, 4, 4, department or t("selfeval_not_configured", lang), f.cell)
    ws.merge_range(4, 5, 4, 6, t("selfeval_implementer", lang), f.head)
    ws.merge_range(4, 7, 4, last, implementer or t("selfeval_not_configured", lang), f.cell)
    # 项目资金（万元）
    top = 5
    ws.merge_range(top, 0, top + 4, 0, t("selfeval_funds", lang), f.head)
    ws.write(top, 1, "", f.head)
    for c, key in enumerate(("budget_initial", "budget_full", "budget_spent", "points", "execution", "score"),
                            start=2):
        ws.write(top, c, t(f"acceptance_{key}", lang), f.head)
    ws.merge_range(top, 8, top, last, t("selfeval_funds_note", lang), f.head)
    for i, fund in enumerate(sheet.funds, start=1):
        r = top + i
        label = t("selfeval_fund_total", lang) if fund.source == TOTAL_FUNDS else t(
            "selfeval_fund_of_which" if i == 2 else "selfeval_fund_row", lang,
            name=t(f"selfeval_fund_{FUND_SOURCES[fund.source]}", lang))
        ws.write(r, 1, label, f.cell)
        _money(ws, r, 2, fund.initial_wan, f, lang)
        _money(ws, r, 3, fund.full_wan, f, lang)
        if fund.executed_wan is None:
            ws.write(r, 4, "—", f.center)
        else:
            ws.write_number(r, 4, fund.executed_wan, f.number)
        if fund.source == TOTAL_FUNDS:
            ws.write_number(r, 5, fund.points, f.number)
            ws.write(r, 6, "—" if fund.rate is None else f"{fund.rate:.1%}", f.center)
            ws.write_number(r, 7, fund.score, f.number)
            ws.merge_range(r, 8, r, last, sheet.budget_note, f.red if sheet.budget_note else f.cell)
        else:
            for c in (5, 6, 7):
                ws.write(r, c, "—", f.center)
            ws.merge_range(r, 8, r, last, "", f.cell)
    # 年度总体目标
    goal = top + 5
    ws.merge_range(goal, 0, goal + 1, 0, t("selfeval_goal", lang), f.head)
    ws.merge_range(goal, 1, goal, 4, t("selfeval_goal_expected_head", lang), f.head)
    ws.merge_range(goal, 5, goal, last, t("selfeval_goal_actual_head", lang), f.head)
    ws.merge_range(goal + 1, 1, goal + 1, 4, sheet.goal_expected, f.cell)
    ws.merge_range(goal + 1, 5, goal + 1, last, sheet.goal_actual, f.cell)
    # Spreadsheet programs do not grow a row for wrapped text they did not write: as tall as the longer text needs.
    ws.set_row(goal + 1, max(_height(sheet.goal_expected, sum(WIDTHS[1:5]), 30),
                             _height(sheet.goal_actual, sum(WIDTHS[5:]), 30)))
    # 绩效指标
    head = goal + 2
    for c, key in enumerate(("level1", "level2", "level3", "annual_target", "actual", "points", "score")):
        ws.write(head, c, t(f"acceptance_{key}", lang), f.head)
    ws.merge_range(head, 7, head, last, t("acceptance_deviation", lang), f.head)
    first = head + 1
    rows = sheet.indicators
    for i, row in enumerate(rows):
        r = first + i
        ws.write(r, 2, row.level3, f.cell)
        ws.write(r, 3, row.target_text, f.center)
        ws.write(r, 4, row.actual_text, f.center)
        ws.write_number(r, 5, row.points, f.number)
        ws.write_number(r, 6, row.score, f.number)
        ws.merge_range(r, 7, r, last, row.deviation, f.red if row.short and row.key not in sheet.edited else f.cell)
        ws.set_row(r, _height(row.deviation, sum(WIDTHS[7:]), 20))
    # 一级 and 二级 cells merged over their runs, as the paper form draws them; 一级 with its points.
    for column, key in ((0, lambda x: x.level1), (1, lambda x: (x.level1, x.level2))):
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or key(rows[i]) != key(rows[start]):
                level = rows[start].level1 if column == 0 else rows[start].level2
                label = _level(level, column == 0, en)
                if column == 0:
                    label = t("selfeval_level1_points", lang, name=label,
                              points=f"{sum(r.points for r in rows[start:i]):g}")
                if i - start > 1:
                    ws.merge_range(first + start, column, first + i - 1, column, label, f.center)
                else:
                    ws.write(first + start, column, label, f.center)
                start = i
    end = first + len(rows)
    ws.merge_range(end, 0, end, 4, t("acceptance_total_score", lang), f.head)
    ws.write_number(end, 5, sheet.points, f.number)
    # A formula (so an edited score re-adds) with its value cached for readers that do not calculate.
    ws.write_formula(end, 6, f"=SUM(G{first + 1}:G{end})+H{top + 2}", f.number, sheet.total)
    ws.merge_range(end, 7, end, last, t("label_value", lang, label=t("acceptance_grade", lang),
                                        value=grade(sheet.total, lang)), f.cell)
    ws.merge_range(end + 1, 0, end + 1, last, t("selfeval_scoring_note", lang), f.note)
    ws.set_row(end + 1, 54)
    ws.merge_range(end + 3, 0, end + 3, last, t("selfeval_signatures", lang), f.plain)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(head, head)


def self_evaluation_xlsx(data: AcceptanceData) -> bytes:
    buffer = io.BytesIO()
    # The safe workbook: an editor's 偏差原因 or a configured name starting with "=" is written as text.
    book = spreadsheet.new_workbook(buffer)
    formats = _Formats(book)
    # The whole project first (what the 验收 committee reads), then each year as the finance bureau files it.
    for sheet in [data.sheets[-1], *data.sheets[:-1]]:
        _write_sheet(book, formats, data, sheet)
    book.close()
    return buffer.getvalue()
