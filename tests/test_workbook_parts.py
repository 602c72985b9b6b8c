"""What a workbook holds besides its values (metrics.load.workbook): merged ranges, hidden sheets, rows and
columns, formula errors. Each form of tests/forms/parts (made by tests/forms/make_parts.py, saved by LibreOffice)
in .xlsx, .xls and .ods loads with exactly the rows below or is refused naming the cell; the three formats agree.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from metrics.load import ingest, reader, workbook
from metrics.platform import store

from .ledgers import csv_bytes

PARTS = Path(__file__).parent / "forms" / "parts"
TODAY = dt.date(2024, 6, 30)
FORMATS = ("xlsx", "xls", "ods")


def load(con, name: str, fmt: str):
    path = PARTS / f"{name}.{fmt}"
    return ingest.ingest_files(con, [(path.name, path.read_bytes())], today=TODAY)


def stored(con) -> list[tuple]:
    return con.execute("SELECT voucher, line, amount, payee FROM expenditures ORDER BY voucher").fetchall()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_cell_merged_down_the_data_fills_every_row_it_covers(con, fmt):
    result = load(con, "p01_merged_down", fmt)
    assert result.committed, [e.as_text() for e in result.errors]
    # 预算科目 3.2 merged over rows 2-3 (required: PZ2 was refused as empty before), 收款单位 乙公司 over rows 3-5
    assert stored(con) == [("PZ1", "3.2", 1.5, "甲公司"), ("PZ2", "3.2", 2.25, "乙公司"),
                           ("PZ3", "1.1", 3.0, "乙公司"), ("PZ4", "1.1", 4.0, "乙公司")]
    merged = [p for p in result.problems if p.code == "w_merged_filled"]
    assert [p.message() for p in merged] == ["第 2–3 行「预算科目」为合并单元格，已按合并值填入",
                                             "第 3–5 行「收款单位」为合并单元格，已按合并值填入"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_figure_merged_down_two_rows_is_refused(con, fmt):
    result = load(con, "p05_merged_amount", fmt)
    assert not result.committed and stored(con) == []
    (merged,) = [e for e in result.errors if e.code == "merged_figure"]
    assert (merged.row, merged.column) == (2, "金额（万元）")
    assert merged.message().startswith("第 2–3 行「金额（万元）」为合并单元格：一个数额不能分给几行")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_hidden_sheet_is_skipped_and_named(con, fmt):
    result = load(con, "p02_hidden_sheet", fmt)
    assert result.committed
    # Only the visible 1.5 万元: the hidden 旧版（作废） sheet's 15 万元 would have been added (or replaced it).
    assert stored(con) == [("PZ1", "3.2", 1.5, "甲公司")]
    (hidden,) = [p for p in result.problems if p.code == "w_hidden_sheet"]
    assert hidden.sheet == "旧版（作废）" and "被隐藏，已跳过" in hidden.as_text()


@pytest.mark.parametrize("fmt", FORMATS)
def test_formula_errors_are_refused_naming_the_cell_in_required_and_optional_columns(con, fmt):
    result = load(con, "p03_formula_errors", fmt)
    assert not result.committed and stored(con) == []
    errors = [(e.row, e.column, e.value) for e in result.errors if e.code == "formula_error"]
    assert errors == [(3, "金额（万元）", "#DIV/0!"), (4, "说明", "#N/A")]
    assert "单元格 D3 是公式错误「#DIV/0!」" in result.errors[0].message()


@pytest.mark.parametrize("fmt", FORMATS)
def test_hidden_rows_and_columns_are_named_in_every_format(con, fmt):
    result = load(con, "p04_hidden_row_column", fmt)
    assert result.committed
    found = {(p.code, p.row, p.column) for p in result.problems}
    assert ("w_hidden_row", 3, None) in found and ("w_hidden_column", 1, "说明") in found
    assert stored(con) == [("PZ1", "3.2", 1.5, "甲公司"), ("PZ2", "3.2", 2.0, "乙公司"), ("PZ3", "1.1", 3.0, "丙公司")]


def openpyxl_book(build) -> bytes:
    book = openpyxl.Workbook()
    build(book.active)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_required_township_merged_down_loads(con):
    def build(ws):
        for row in (["场次编号", "培训日期", "乡镇", "培训主题", "培训形式"],
                    ["PX1", dt.date(2023, 3, 1), "禾木", "直播带货", "线下"],
                    ["PX2", dt.date(2023, 3, 2), None, "直播带货", "线下"],
                    ["PX3", dt.date(2023, 3, 3), None, "网店运营", "线上"],
                    ["PX4", dt.date(2023, 3, 4), "冲乎尔", "网店运营", "线上"]):
            ws.append(row)
        ws.merge_cells("C2:C4")

    result = ingest.ingest_files(con, [("场次.xlsx", openpyxl_book(build))], today=TODAY)
    assert result.committed, [e.as_text() for e in result.errors]
    assert con.execute("SELECT session_id, township FROM training_sessions ORDER BY 1").fetchall() == [
        ("PX1", "禾木哈纳斯蒙古族乡"), ("PX2", "禾木哈纳斯蒙古族乡"), ("PX3", "禾木哈纳斯蒙古族乡"), ("PX4", "冲乎尔镇")]


def test_an_error_value_typed_into_an_optional_column_is_refused(con):
    def build(ws):
        ws.append(["凭证号", "支付日期", "预算科目", "金额（万元）", "收款单位"])
        ws.append(["PZ1", dt.date(2023, 4, 1), "3.2", 1.5, "#REF!"])  # openpyxl stores it as an error cell

    result = ingest.ingest_files(con, [("支出.xlsx", openpyxl_book(build))], today=TODAY)
    assert [(e.code, e.row, e.column, e.value) for e in result.errors] == [("formula_error", 2, "收款单位", "#REF!")]
    assert store.one(con, "SELECT count(*) FROM expenditures")[0] == 0


def test_the_csv_path_never_reads_workbook_structure(con, monkeypatch):
    def fail(*args, **kw):
        raise AssertionError("workbook structure read for a CSV")

    monkeypatch.setattr(workbook, "apply", fail)
    monkeypatch.setattr(reader, "read_structure", fail)
    text = "凭证号,支付日期,预算科目,金额（万元）\nPZ1,2023-04-01,3.2,1.5\n"
    assert ingest.ingest_files(con, [("a.csv", csv_bytes(text))], today=TODAY).committed


@pytest.mark.parametrize("fmt", FORMATS)
def test_units_row_subtotals_repeated_header_and_footer_all_accounted_for(con, fmt):
    result = load(con, "p06_units_row_subtotals", fmt)
    assert result.committed, [e.as_text() for e in result.errors]
    # 元 in the units row: 125000 元 = 12.5 万元, 50000 元 = 5 万元, 8000 元 = 0.8 万元
    assert stored(con) == [("PZ1", "3.2", 12.5, "甲公司"), ("PZ2", "3.2", 5.0, "甲公司"), ("PZ3", "1.1", 0.8, "乙公司")]
    # 甲公司 汇总 175000 = 125000 + 50000; 乙公司 汇总 8000; 总计 183000 = 175000 + 8000: all checked, all add up
    skipped = [(p.row, p.params["kind_zh"]) for p in result.problems if p.code == "w_skipped_row"]
    assert skipped == [(5, "合计行"), (6, "重复的表头行"), (8, "合计行"), (9, "合计行"), (10, "表尾")]
    assert ("w_units_row", 2) in [(p.code, p.row) for p in result.problems]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_unit_in_a_note_below_the_table_applies(con, fmt):
    result = load(con, "p07_unit_in_note", fmt)
    assert result.committed, [e.as_text() for e in result.errors]
    # 注：金额单位为元: 800000 元 = 80 万元 (not 800,000 万元), 8000 元 = 0.8 万元
    assert stored(con) == [("PZ1", "3.2", 80.0, "甲公司"), ("PZ2", "1.1", 0.8, "乙公司")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_cell_comment_is_named_never_passed_over(con, fmt):
    result = load(con, "p08_comment", fmt)
    assert result.committed
    (comment,) = [p for p in result.problems if p.code == "w_cell_comment"]
    assert (comment.row, comment.column, comment.value) == (3, "金额（万元）", "已作废，退回财政")
    assert comment.message().startswith("单元格 D3 有批注")


def test_a_cell_merged_down_and_across_two_fields_is_refused(con):
    def build(ws):
        ws.append(["凭证号", "支付日期", "预算科目", "金额（万元）", "收款单位", "说明"])
        ws.append(["PZ1", dt.date(2023, 4, 1), "3.2", 1.5, "甲公司", None])
        ws.append(["PZ2", dt.date(2023, 4, 2), "3.2", 2, None, None])
        ws.merge_cells("E2:F3")  # 收款单位 or 说明? nothing says

    result = ingest.ingest_files(con, [("支出.xlsx", openpyxl_book(build))], today=TODAY)
    assert [(e.code, e.row, e.column) for e in result.errors] == [("merged_across_fields", 2, "收款单位")]
    assert "「收款单位」与「说明」合并为一格" in result.errors[0].message()
