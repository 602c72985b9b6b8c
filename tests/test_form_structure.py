"""How a form is laid out around and inside its table (issue 23): the form's own totals and Excel's 分类汇总 rows
are checks, a header row repeated mid-table is skipped, a units row under the header and a unit stated below the
table apply to their columns, a cell right of the table is refused. Each CSV case is read by both readers
(metrics.load.columnar and the row-by-row reference), which must agree; figures are computed by hand beside them.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from .test_columnar import _problems, _rows, both_paths

LOGISTICS = "运单号,发货日期,企业,补贴金额（元）\n"
SPENDING = "凭证号,支付日期,预算科目,金额,收款单位\n"


def both(text: str, monkeypatch, dataset: str | None = None):
    fast, slow, taken = both_paths("form.csv", text.encode("utf-8"), dataset, monkeypatch)
    assert taken == [True], "a clean CSV form goes through metrics.load.columnar"
    assert _problems(fast) == _problems(slow) and _rows(fast) == _rows(slow)
    return fast


def codes(parsed) -> list[tuple]:
    return [(p.code, p.row) for p in parsed.problems]


def column(parsed, name: str) -> list:
    return parsed.table.column(name).to_pylist()


def test_excel_subtotals_and_grand_total_are_skipped_and_checked(monkeypatch):
    text = LOGISTICS + ("YT1,2023-10-08,中国邮政,8\nYT2,2023-10-08,中国邮政,4\n,,中国邮政 汇总,12\n"
                        "YT3,2023-10-09,顺丰,5\n,,顺丰 汇总,5\n,,总计,17\n")
    parsed = both(text, monkeypatch)
    assert not parsed.errors
    # 中国邮政 8 + 4 = 12 (rows 2-3), 顺丰 5 (row 5 only, since the previous subtotal), 总计 8 + 4 + 5 = 17
    assert column(parsed, "amount") == [8.0, 4.0, 5.0]
    assert [r for c, r in codes(parsed) if c == "w_skipped_row"] == [4, 6, 7]
    assert [p.message() for p in parsed.problems if p.code == "w_skipped_row"] == ["是合计行，已跳过"] * 3


def test_a_subtotal_that_does_not_add_up_is_refused_with_both_figures(monkeypatch):
    text = LOGISTICS + "YT1,2023-10-08,中国邮政,8\nYT2,2023-10-08,中国邮政,4\n,,中国邮政 汇总,13\n"
    parsed = both(text, monkeypatch)
    (error,) = parsed.errors
    # stated 13 元; the rows above add up to 8 + 4 = 12 元
    assert (error.code, error.row, error.column) == ("total_mismatch", 4, "补贴金额（元）")
    assert error.message() == "合计行写的是 13元，上方各行相加为 12元，两者不符：请核对明细与合计，改正后重新导入"


def test_a_totals_row_in_wan_is_checked_in_the_stored_unit(monkeypatch):
    # 单位：元 in the title: 125000 + 50000 = 175000 元 = 17.5 万元 stored; the 合计 175000 元 = 17.5 万元 too
    text = "单位：元\n" + SPENDING + "PZ1,2023-04-01,3.2,125000,甲\nPZ2,2023-04-02,3.2,50000,乙\n合计,,,175000,\n"
    parsed = both(text, monkeypatch)
    assert not parsed.errors and column(parsed, "amount") == [12.5, 5.0]
    wrong = text.replace("合计,,,175000", "合计,,,185000")
    (error,) = both(wrong, monkeypatch).errors
    assert error.code == "total_mismatch" and error.params == {"stated": "18.5", "summed": "17.5", "unit": "万元"}


def test_a_header_row_repeated_mid_table_is_skipped(monkeypatch):
    text = LOGISTICS + "YT1,2023-10-08,中国邮政,8\n运单号,发货日期,企业,补贴金额（元）\nYT2,2023-10-09,顺丰,5\n"
    parsed = both(text, monkeypatch)
    assert not parsed.errors and column(parsed, "waybill") == ["YT1", "YT2"]
    (skipped,) = [p for p in parsed.problems if p.code == "w_skipped_row"]
    assert skipped.row == 3 and skipped.message() == "是重复的表头行，已跳过"


def test_the_templates_row_of_english_keys_under_the_header_is_skipped(monkeypatch):
    # The county template's two header rows: 中文 over the contract's English keys (or English labels, `budget line`),
    # `No.` under 序号. Read as data, row 2 was refused (voucher `voucher`, date `date`...). It is a header row:
    # skipped with a warning naming row 2; the data are rows 3 and 4: 12.5 + 5 万元.
    for english in ("No.,voucher,date,line,amount", "No.,voucher,date,budget line,amount", "#,voucher,,line,amount"):
        text = f"序号,凭证号,支付日期,预算科目,金额（万元）\n{english}\n1,PZ1,2023-04-01,3.2,12.5\n2,PZ2,2023-04-02,3.2,5\n"
        parsed = both(text, monkeypatch)
        assert not parsed.errors, english
        assert column(parsed, "voucher") == ["PZ1", "PZ2"] and column(parsed, "amount") == [12.5, 5.0]
        (skipped,) = [p for p in parsed.problems if p.code == "w_skipped_row"]
        assert skipped.row == 2 and skipped.message() == "是英文表头行，已跳过"
        assert skipped.message("en") == "is a row of the English column keys; skipped"


def test_english_keys_between_the_header_and_a_units_row(monkeypatch):
    # Found by the generator (bilingual_header + unit_units_row): 中文 header, English keys (row 2), then a units row
    # (row 3: 金额 in 元). The units row still applies: 125000 元 = 12.5 万元, 50000 元 = 5 万元; row 2 is named.
    text = SPENDING + "voucher,date,line,amount,payee\n,,,元,\nPZ1,2023-04-01,3.2,125000,甲\nPZ2,2023-04-02,3.2,50000,乙\n"
    parsed = both(text, monkeypatch)
    assert not parsed.errors and column(parsed, "amount") == [12.5, 5.0]
    assert [(p.row, p.message()) for p in parsed.problems if p.code in ("w_skipped_row", "w_units_row")] == [
        (2, "是英文表头行，已跳过"), (3, "表头下方是单位行，已按各列单位读取")]


def test_english_keys_in_one_cell_of_a_data_row_are_data(monkeypatch):
    # A payee named `amount` beside real values is data: every filled cell must be its column's English key.
    parsed = both(SPENDING + "PZ1,2023-04-01,3.2,12.5,amount\n", monkeypatch)
    assert column(parsed, "payee") == ["amount"] and "w_skipped_row" not in [c for c, _ in codes(parsed)]


def test_a_repeated_header_padded_with_spaces_is_skipped(monkeypatch):
    # Found by the generator (header_aliases + repeated_header): the header repeated at row 3 written with spaces
    # around its cells (` 运单号 `) was refused as values. Trimmed like the header itself, row 3 is a header row; the data
    # are rows 2 and 4 (YT1, YT2; 8 and 5 元).
    again = " 运单号 , 发货日期 , 企业 , 补贴金额（元） \n"
    parsed = both(LOGISTICS + "YT1,2023-10-08,中国邮政,8\n" + again + "YT2,2023-10-09,顺丰,5\n", monkeypatch)
    assert not parsed.errors and column(parsed, "waybill") == ["YT1", "YT2"] and column(parsed, "amount") == [8.0, 5.0]
    assert [p.row for p in parsed.problems if p.code == "w_skipped_row"] == [3]


def test_a_two_row_header_repeated_mid_table_is_skipped(monkeypatch):
    # Found by the generator (repeated_header + two_row_header): the group row and the sub-header row printed again at
    # a page break (rows 4 and 5) were refused as values 「月份」「全县」. Both are header rows, skipped; the data are
    # rows 3 and 6: 全县 100 and 110 万元, 农产品 20 and 25 万元.
    head = "月份,网络零售额（万元）,\n,全县,农产品\n"
    parsed = both(head + "2023-01,100,20\n" + head + "2023-02,110,25\n", monkeypatch)
    assert not parsed.errors
    assert (column(parsed, "total"), column(parsed, "agri")) == ([100.0, 110.0], [20.0, 25.0])
    assert [(p.row, p.message()) for p in parsed.problems if p.code == "w_skipped_row"] == [
        (4, "是重复的表头行，已跳过"), (5, "是重复的表头行，已跳过")]


def test_one_header_word_in_a_data_row_is_not_a_repeated_header(monkeypatch):
    # 企业 named 企业 in one data row is data: a repeated header needs every filled cell to repeat its header.
    parsed = both(LOGISTICS + "YT1,2023-10-08,企业,8\n", monkeypatch)
    assert column(parsed, "waybill") == ["YT1"] and not [c for c, _ in codes(parsed) if c == "w_skipped_row"]


def test_a_units_row_under_the_header_applies_per_column(monkeypatch):
    text = SPENDING + ",,,元,\nPZ1,2023-04-01,3.2,125000,甲\nPZ2,2023-04-02,3.2,8000,乙\n"
    parsed = both(text, monkeypatch)
    assert not parsed.errors
    assert column(parsed, "amount") == [12.5, 0.8]  # 125000 元 = 12.5 万元; 8000 元 = 0.8 万元
    assert ("w_units_row", 2) in codes(parsed)


def test_a_units_row_contradicting_the_header_is_refused(monkeypatch):
    text = SPENDING.replace("金额", "金额（万元）") + ",,,元,\nPZ1,2023-04-01,3.2,12.5,甲\n"
    (error,) = both(text, monkeypatch).errors
    assert error.code == "units_row_conflict" and "「万元」与表头下方单位行写的「元」不一致" in error.message()


@pytest.mark.parametrize("note", ["注：金额单位为元", "单位：元", "（金额单位：元）"])
def test_a_unit_stated_below_the_table_applies_like_a_title_unit(note, monkeypatch):
    text = SPENDING + f"PZ1,2023-04-01,3.2,800000,甲\nPZ2,2023-04-02,3.2,8000,乙\n{note},,,,\n"
    parsed = both(text, monkeypatch)
    assert not parsed.errors, [e.as_text() for e in parsed.errors]
    assert column(parsed, "amount") == [80.0, 0.8]  # 800,000 元 = 80 万元, not 800,000 万元
    assert ("w_skipped_row", 4) in codes(parsed)


def test_a_footer_unit_contradicting_the_title_unit_is_refused(monkeypatch):
    text = "单位：万元\n" + SPENDING + "PZ1,2023-04-01,3.2,12.5,甲\n注：金额单位为元,,,,\n"
    errors = both(text, monkeypatch).errors
    assert [e.code for e in errors] == ["title_units_conflict"]
    assert errors[0].params == {"a": "单位：万元", "b": "注：金额单位为元"}


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_data_right_of_the_table_is_refused_naming_the_cell():
    from metrics.core.config import default_config
    from metrics.load.validate import parse_file

    content = xlsx([["凭证号", "支付日期", "预算科目", "金额（万元）", None, "另表：凭证号"],
                    ["PZ1", dt.date(2023, 4, 1), "3.2", 1.5, None, "PZ9"]])
    parsed = parse_file("a.xlsx", content, None, default_config(), b"k" * 32, dt.date(2024, 6, 30))
    # F1 is a header cell outside the contract (kept aside); E2 is blank; a value at G2 would be under no header
    assert [(e.code, e.row) for e in parsed.errors] == []
    content = xlsx([["凭证号", "支付日期", "预算科目", "金额（万元）"],
                    ["PZ1", dt.date(2023, 4, 1), "3.2", 1.5, None, "PZ9"]])
    parsed = parse_file("a.xlsx", content, None, default_config(), b"k" * 32, dt.date(2024, 6, 30))
    assert [(e.code, e.row, e.column, e.value) for e in parsed.errors] == [("data_without_header", 2, "F", "PZ9")]


def test_a_cell_right_of_a_csv_table_is_refused_naming_it(monkeypatch):
    # A CSV row longer than its header (a second table pasted beside, a remark typed past the last column): Arrow
    # refuses the ragged row, the row-by-row reader names the cell.
    text = SPENDING + "PZ1,2023-04-01,3.2,1.5,甲\nPZ2,2023-04-02,3.2,2,乙,,PZ9\n"
    fast, slow, taken = both_paths("form.csv", text.encode("utf-8"), None, monkeypatch)
    assert taken == [False] and _problems(fast) == _problems(slow)
    assert [(e.code, e.row, e.column, e.value) for e in fast.errors] == [("data_without_header", 3, "G", "PZ9")]


def test_the_preview_says_what_was_understood_beside_the_forms_own_totals(con):
    from metrics.load import ingest, understood

    from .ledgers import csv_bytes

    # 125000 + 50000 + 498300 = 673300 元 = 67.33 万元; the form's 合计 says the same
    text = ("单位：元\n" + SPENDING + "PZ1,2023-04-01,3.2,125000,甲\nPZ2,2023-05-02,3.2,50000,乙\n"
            "PZ3,2023-06-30,1.1,498300,丙\n合计,,,673300,\n")
    result = ingest.ingest_files(con, [("支出.csv", csv_bytes(text))], dry_run=True, today=dt.date(2024, 6, 30))
    (outcome,) = result.outcomes
    assert understood.describe(outcome.understood) == (
        "3 行 · 金额合计 67.33 万元 = 表内合计 67.33 万元 ✓ · 日期 2023年4月1日 至 2023年6月30日")
    assert understood.describe(outcome.understood, "en") == (
        "3 rows · amount total 67.33 万元 = the form's total 67.33 万元 ✓ · dates 2023-04-01 to 2023-06-30")
    # Without a totals row: the sum alone, nothing claimed about the form
    plain = ingest.ingest_files(con, [("支出.csv", csv_bytes(text.replace("合计,,,673300,\n", "")))], dry_run=True,
                                today=dt.date(2024, 6, 30)).outcomes[0]
    assert understood.describe(plain.understood).startswith("3 行 · 金额合计 67.33 万元 · 日期")


@pytest.mark.parametrize("error", ["#DIV/0!", "#N/A", "#REF!"])
def test_a_formula_error_in_an_id_number_column_is_refused(error, monkeypatch):
    # Found by the generator (formula_error on a sign-in sheet): `#N/A` in 身份证号 was read as empty (it is one of
    # the empty spellings) and the trainee stored without an ID. The ID column has its own reader: refused there too.
    text = "场次编号,学员编号,姓名,身份证号\n" + f"PX-1,XY1,甲,{error}\n"
    parsed = both(text, monkeypatch, "training_attendance")
    assert [(e.code, e.row, e.column, e.value) for e in parsed.errors] == [("formula_error_text", 2, "身份证号", error)]


@pytest.mark.parametrize("error", ["#DIV/0!", "#N/A", "#REF!", " #VALUE! "])
def test_a_formula_error_saved_as_text_in_a_csv_is_refused_in_every_column(error, monkeypatch):
    # Excel writes error values into a CSV as text: in the amount (required), the payee (optional text) and the
    # voucher (the key), each is refused naming its row and column, never stored as a name or read as empty.
    text = SPENDING + f"PZ1,2023-04-01,3.2,{error},甲\nPZ2,2023-04-02,3.2,2,{error}\n{error},2023-04-03,3.2,3,丙\n"
    parsed = both(text, monkeypatch)
    assert [(e.code, e.row, e.column) for e in parsed.errors if e.code == "formula_error_text"] == [
        ("formula_error_text", 4, "凭证号"), ("formula_error_text", 2, "金额"), ("formula_error_text", 3, "收款单位")]
    # (metrics.load.parsing counts `#N/A` among the empty spellings, so a required cell also says 必填项为空.)
    assert {e.code for e in parsed.errors} <= {"formula_error_text", "required"}


def test_an_error_text_among_many_distinct_values_is_not_taken_by_the_fast_text_path(monkeypatch):
    # 25,000 distinct waybills take Arrow's fast text path (metrics.load.columnar, over 20,000 distinct values):
    # `#DIV/0!` has the shape of a waybill, so the path must leave it to Python, which refuses it.
    lines = [LOGISTICS.strip(), *(f"YT{i:010d},2023-10-08,合作社,1" for i in range(25_000)),
             "#DIV/0!,2023-10-08,合作社,1"]
    parsed = both("\n".join(lines) + "\n", monkeypatch)
    assert [(e.code, e.row) for e in parsed.errors] == [("formula_error_text", 25_002)]
