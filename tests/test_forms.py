"""Forms as county offices file them (issue 13): every file of tests/forms/files, made by LibreOffice from
tests/forms/make_forms.py as .xlsx, .xls, .ods and CSV (GBK, UTF-8 with BOM), either loads with exactly the
hand-computed rows below or is refused with a message naming the row (where there is one) and the fix.

A file accepted with any stored figure other than the expected one fails here, whatever else it reports.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from metrics.core.config import default_config
from metrics.core.registry import KPI_BY_ID
from metrics.kpi.scorecard import evaluate
from metrics.load import ingest
from metrics.platform import store

from .ledgers import csv_bytes

FILES = Path(__file__).parent / "forms" / "files"
TODAY = dt.date(2024, 6, 30)
D = dt.date

SESSION_001 = "场次编号,培训日期,乡镇,培训主题,培训形式\nPX2023-001,2023-03-15,布尔津镇,直播带货,线下\n"
TALENTS = ("达人编号,姓名,乡镇,类型,孵化日期,具备直播带货能力\nDR001,阿依古丽,禾木,主播,2023-04-20,是\n"
           "DR002,张三,冲乎尔,主播,2023-04-20,是\n")

# form -> what must be stored: {table: (columns, rows in key order)}, the warnings (code, row) that must be among
# the problems, and per KPI its value as of a date. Arithmetic beside each figure.
LOADS = {
    "f01_expenditures_title_unit": dict(
        stored={"expenditures": (("voucher", "line", "amount"), [
            ("PZ2023-001", "3.2", 12.5),  # 125000 元 under 单位：元 = 125000 / 10000 = 12.5 万元
            ("PZ2023-002", "3.2", 5.0),  # 50000 元 = 5 万元
        ])},
        warnings=[("w_title_unit", 3), ("w_skipped_row", 6), ("w_skipped_row", 7)]),
    "f05_retail_two_row_header": dict(
        stored={"online_retail": (("month", "total", "agri"), [
            (D(2023, 1, 1), 1520.5, 410.2), (D(2023, 2, 1), 1380.0, 395.8), (D(2023, 3, 1), 1610.25, 430.0),
        ])},
        # 合计 4510.75 = 1520.5 + 1380 + 1610.25 and 1236 = 410.2 + 395.8 + 430: it adds up, so no mismatch warning
        warnings=[("w_two_row_header", 3), ("w_skipped_row", 7)], absent=["total_mismatch"]),
    "f06_retail_year_captions": dict(
        stored={"online_retail": (("month", "total", "agri"), [
            (D(2023, 11, 1), 1000.0, 300.0), (D(2023, 12, 1), 1200.0, 350.0), (D(2024, 1, 1), 900.0, 250.0),
        ])},
        # 累计 3100 = 1000 + 1200 + 900 (all rows above, across the 2024年 caption); 900 = 300 + 350 + 250
        warnings=[("w_skipped_row", 2), ("w_skipped_row", 5), ("w_skipped_row", 7), ("w_skipped_row", 8),
                  ("w_skipped_row", 9)], absent=["total_mismatch"]),
    "f07_attendance_session_in_title": dict(
        before=[SESSION_001],
        stored={"training_attendance": (("session_id", "trainee_id", "township"), [
            ("PX2023-001", "XY0001", "冲乎尔镇"),
            ("PX2023-001", "XY0002", "禾木哈纳斯蒙古族乡"),  # ＸＹ０００２ folded; 禾木 is the short form
            ("PX2023-001", "XY0003", "布尔津镇"),  # session from the title ＰＸ２０２３－００１, NFKC-folded
        ])},
        warnings=[("w_title_value", 2), ("w_skipped_row", 7), ("w_skipped_row", 8)], absent=["total_mismatch"],
        kpis={("training_person_times", D(2023, 12, 31)): 3}),  # 3 rows, the session (2023-03-15) is before
    "f09_workbook_sessions_attendance": dict(
        stored={"training_sessions": (("session_id", "township"), [
            ("PX2023-101", "布尔津镇"), ("PX2023-102", "冲乎尔镇")]),
            "training_attendance": (("session_id", "trainee_id"), [
                ("PX2023-101", "XY0101"), ("PX2023-101", "XY0102"),
                ("PX2023-102", "XY0101"),  # ＰＸ２０２３－１０２ matches the session typed half-width
            ])},
        warnings=[("w_sheet_skipped", None)],
        kpis={("training_person_times", D(2023, 12, 31)): 3,  # 3 attendance rows
              ("training_people", D(2023, 12, 31)): 2}),  # XY0101 twice + XY0102 = 2 people
    "f10_workbook_years": dict(
        stored={"expenditures": (("voucher", "amount"), [
            ("PZ2023-041", 12.5), ("PZ2023-042", 8.0), ("PZ2024-001", 20.0), ("PZ2024-002", 6.75),
        ])},
        # 小计 26.75 = 20 + 6.75 (its sheet's rows)
        warnings=[("w_sheets_combined", None), ("w_sheet_skipped", None), ("w_skipped_row", 4)],
        absent=["total_mismatch"]),
    "f13_followers_fullwidth": dict(
        before=[TALENTS],
        stored={"follower_snapshots": (("talent_id", "platform", "followers"), [
            ("DR001", "抖音", 12000),  # ＤＲ００１ folded to DR001; 1.2万 = 12000
            ("DR002", "快手", 3500),
        ])},
        absent=["w_unknown_talent"],
        kpis={("streamers_10k", D(2024, 6, 30)): 1}),  # DR001: 12000 >= 10000 and sells live; DR002 3500
    "f16_sessions_township_captions": dict(
        stored={"training_sessions": (("session_id", "township", "mode"), [
            ("PX2023-301", "禾木哈纳斯蒙古族乡", "线下"), ("PX2023-302", "禾木哈纳斯蒙古族乡", "线下"),
            ("PX2023-303", "冲乎尔镇", "线上"),
        ])},
        warnings=[("w_skipped_row", 2), ("w_skipped_row", 5), ("w_skipped_row", 7), ("w_skipped_row", 8)]),
    "f17_events_amount_unit_yuan": dict(
        stored={"events": (("event_id", "deal_amount"), [
            ("HD2023-01", 120.0),  # 1200000 元 under 金额单位：元 = 1200000 / 10000 = 120 万元
            ("HD2023-02", 35.0),  # 350000 元 = 35 万元
        ])},
        # 总计 1550000 元 = 155 万元 = 120 + 35: no mismatch
        warnings=[("w_title_unit", 3), ("w_skipped_row", 6), ("w_skipped_row", 7)], absent=["total_mismatch"],
        kpis={("promotion_events", D(2023, 12, 31)): 1}),  # HD2023-01 is the only 推介活动
    "f18_attendance_total_in_township": dict(
        before=[SESSION_001],
        stored={"training_attendance": (("trainee_id", "township"), [
            ("XY0011", "禾木哈纳斯蒙古族乡"), ("XY0012", "冲乎尔镇")])},
        warnings=[("w_skipped_row", 4)],
        kpis={("training_person_times", D(2023, 12, 31)): 2}),
}

# form -> the errors (code, spreadsheet row or None for the whole file or sheet), and words of the fix.
REFUSALS = {
    # 125000 + 8000 = 133000 万元 > 500 万元; 125000 > 100 (line 3.2); 8000 > 60 (line 1.1)
    "f02_expenditures_yuan_undeclared": ([("amount_over_budget", None), ("amount_over_line", 2),
                                          ("amount_over_line", 3)], "单位"),
    "f03_expenditures_plan_actual": ([("two_columns_one_field", 2)], "只保留"),
    "f04_expenditures_no_subheader": ([("data_without_header", 2)], "补上表头"),
    "f08_attendance_id_as_number": ([("id_number_as_number", 2), ("id_number_as_number", 3)], "文本格式"),
    "f11_workbook_year_missing_column": ([("sheet_missing_columns", None)], "预算科目"),
    "f12_sessions_as_talents": ([("wrong_ledger", None)], "培训场次"),
    "f15_expenditures_unit_conflict": ([("unit_conflict", 2)], "同一单位"),
    # 合计 30 元, the rows add up to 8 + 12.5 + 6 = 26.5 元: the form's own total is a check (issue 23)
    "f14_logistics_total_mismatch": ([("total_mismatch", 5)], "合计行写的是 30元，上方各行相加为 26.5元"),
}
DATASET_GIVEN = {"f12_sessions_as_talents": "talents"}
PRELOAD = {"f08_attendance_id_as_number": [SESSION_001]}


def corpus() -> list[Path]:
    return sorted(FILES.iterdir())


def form_of(path: Path) -> str:
    return path.name.split(".")[0]


def test_the_corpus_covers_every_form_in_every_format():
    files = corpus()
    assert len(files) >= 40
    assert {form_of(p) for p in files} == set(LOADS) | set(REFUSALS)
    assert {p.name.split(".", 1)[1] for p in files} == {"xlsx", "xlsm", "xls", "ods", "gbk.csv", "utf8bom.csv"}


@pytest.mark.parametrize("path", corpus(), ids=lambda p: p.name)
def test_form_loads_exactly_or_is_refused_with_a_fix(con, path):
    form = form_of(path)
    spec = LOADS.get(form, {})
    for text in spec.get("before", []) + PRELOAD.get(form, []):
        assert ingest.ingest_files(con, [("before.csv", csv_bytes(text))]).committed
    before = {t: store.one(con, f'SELECT count(*) FROM "{t}"')[0] for t in ("expenditures", "training_attendance")}
    result = ingest.ingest_files(con, [(path.name, path.read_bytes())], DATASET_GIVEN.get(form), today=TODAY)
    found = [(p.code, p.row) for p in result.problems]

    if form in REFUSALS:
        expected, fix = REFUSALS[form]
        assert not result.committed, f"{path.name} was accepted: {found}"
        assert sorted((p.code, p.row) for p in result.errors) == sorted(expected)
        for error in result.errors:
            zh, en = error.as_text("zh"), error.as_text("en")
            if error.row is not None:
                assert f"第 {error.row} 行" in zh and f"row {error.row}" in en
            assert en != zh and "{" not in zh + en
        assert any(fix in e.message() for e in result.errors)
        assert {t: store.one(con, f'SELECT count(*) FROM "{t}"')[0] for t in before} == before
        return

    assert result.committed, [e.as_text() for e in result.errors]
    for table, (columns, rows) in spec["stored"].items():
        cols = ", ".join(f'"{c}"' for c in columns)
        stored = con.execute(f'SELECT {cols} FROM "{table}" ORDER BY {cols}').fetchall()
        assert stored == sorted(rows), f"{path.name}: {table}"
    for warning in spec.get("warnings", []):
        assert warning in found, f"{path.name}: {warning} not in {found}"
    for code in spec.get("absent", []):
        assert code not in {c for c, _ in found}, f"{path.name}: {code}"
    for (kpi_id, as_of), value in spec.get("kpis", {}).items():
        assert evaluate(con, KPI_BY_ID[kpi_id], as_of, default_config()).value == value


def test_skipped_rows_are_named_in_words_a_clerk_knows(con):
    result = ingest.ingest_files(con, [(p.name, p.read_bytes()) for p in FILES.glob("f06_*.xlsx")], today=TODAY)
    kinds = [p.message() for p in result.problems if p.code == "w_skipped_row"]
    assert kinds == ["是分组标题，已跳过", "是分组标题，已跳过", "是合计行，已跳过", "是表尾，已跳过", "是表尾，已跳过"]
    assert [p.message("en") for p in result.problems if p.code == "w_skipped_row"][2] == "is a totals row; skipped"


@pytest.mark.parametrize("path", [p for p in corpus() if p.name.endswith(".csv")], ids=lambda p: p.name)
def test_both_readers_agree_on_every_csv_form(path, monkeypatch):
    """metrics.load.columnar and the row-by-row reference give the same rows and problems for every CSV form."""
    from .test_columnar import _problems, _rows, both_paths

    fast, slow, taken = both_paths(path.name, path.read_bytes(), DATASET_GIVEN.get(form_of(path)), monkeypatch)
    assert _problems(fast) == _problems(slow)
    assert _rows(fast) == _rows(slow)
    if fast.table is not None or any(p.row for p in fast.problems):
        assert taken == [True], "the form should have gone through metrics.load.columnar"


# ---------------------------------------------------------------------------------------- corrected ledger

EXPENDITURES_V1 = ("凭证号,支付日期,预算科目,金额（万元）\nPZ2023-005,2023-04-01,3.2,10\nPZ2023-006,2023-04-02,3.2,2\n"
                   "PZ2023-007,2023-04-03,1.1,3\n")
# The clerk's corrected ledger: PZ2023-005 changed (10 -> 11), PZ2023-006 deleted, PZ2023-007 unchanged.
EXPENDITURES_V2 = "凭证号,支付日期,预算科目,金额（万元）\nPZ2023-005,2023-04-01,3.2,11\nPZ2023-007,2023-04-03,1.1,3\n"


def amounts(con) -> list[tuple]:
    return con.execute("SELECT voucher, amount FROM expenditures ORDER BY voucher").fetchall()


def test_a_corrected_ledger_reports_the_stored_rows_it_lacks(con):
    assert ingest.ingest_files(con, [("v1.csv", csv_bytes(EXPENDITURES_V1))]).committed
    result = ingest.ingest_files(con, [("v2.csv", csv_bytes(EXPENDITURES_V2))])
    (warning,) = [p for p in result.problems if p.code == "w_stored_not_in_file"]
    assert warning.message().startswith("库中有 1 行不在本文件中：PZ2023-006")
    assert "--replace" in warning.message("en")
    # Without replace the deleted row stays: 11 + 2 + 3 万元.
    assert amounts(con) == [("PZ2023-005", 11.0), ("PZ2023-006", 2.0), ("PZ2023-007", 3.0)]


def test_replace_makes_the_file_the_whole_ledger_and_undo_puts_it_back(con):
    assert ingest.ingest_files(con, [("v1.csv", csv_bytes(EXPENDITURES_V1))]).committed
    preview = ingest.ingest_files(con, [("v2.csv", csv_bytes(EXPENDITURES_V2))], replace=True, dry_run=True)
    assert preview.outcomes[0].removed == 1 and len(amounts(con)) == 3  # a preview changes nothing
    result = ingest.ingest_files(con, [("v2.csv", csv_bytes(EXPENDITURES_V2))], replace=True)
    outcome = result.outcomes[0]
    assert (outcome.replaced, outcome.removed) == (1, 1)
    assert "已删除库中不在 v2.csv（资金支出）中的 1 行" in outcome.summary()
    assert amounts(con) == [("PZ2023-005", 11.0), ("PZ2023-007", 3.0)]  # 11 + 3 = 14 万元 spent
    assert ingest.undo(con, outcome.load_id).ok
    assert amounts(con) == [("PZ2023-005", 10.0), ("PZ2023-006", 2.0), ("PZ2023-007", 3.0)]


def test_replace_with_nothing_else_changed_is_still_a_load_that_can_be_undone(con):
    assert ingest.ingest_files(con, [("v1.csv", csv_bytes(EXPENDITURES_V1))]).committed
    fewer = "凭证号,支付日期,预算科目,金额（万元）\nPZ2023-005,2023-04-01,3.2,10\n"
    outcome = ingest.ingest_files(con, [("v3.csv", csv_bytes(fewer))], replace=True).outcomes[0]
    assert outcome.status == "loaded" and outcome.load_id and outcome.removed == 2
    assert amounts(con) == [("PZ2023-005", 10.0)]
    assert ingest.undo(con, outcome.load_id).ok and len(amounts(con)) == 3


def test_replace_refuses_to_leave_attendance_without_its_session(con):
    sessions = SESSION_001 + "PX2023-002,2023-04-15,禾木,网店运营,线下\n"
    assert ingest.ingest_files(con, [("s.csv", csv_bytes(sessions)),
                                     ("a.csv", csv_bytes("场次编号,学员编号\nPX2023-002,XY1\n"))]).committed
    result = ingest.ingest_files(con, [("s2.csv", csv_bytes(SESSION_001))], replace=True)
    assert not result.committed and [e.code for e in result.errors] == ["replace_blocked_orphans"]
    assert store.one(con, "SELECT count(*) FROM training_sessions")[0] == 2


def test_fine_files_of_a_refused_batch_are_not_called_identical(con):
    good = csv_bytes(SESSION_001)
    bad = csv_bytes("运单号,发货日期,企业,补贴金额（元）\nYT1,2023-13-08,合作社,8\n")
    result = ingest.ingest_files(con, [("good.csv", good), ("bad.csv", bad)])
    summary = result.outcomes[0].summary()
    assert result.outcomes[0].status == "not_loaded"
    assert "完全相同" not in summary and "其他文件有错误" in summary


def test_cli_replace_flag(tmp_path, monkeypatch):
    from metrics.__main__ import main

    db = tmp_path / "cli.duckdb"
    v1, v2 = tmp_path / "v1.csv", tmp_path / "v2.csv"
    v1.write_bytes(csv_bytes(EXPENDITURES_V1))
    v2.write_bytes(csv_bytes(EXPENDITURES_V2))
    assert main(["--db", str(db), "ingest", str(v1)]) == 0
    assert main(["--db", str(db), "ingest", "--replace", str(v2)]) == 0
    con = store.connect(db)
    try:
        assert amounts(con) == [("PZ2023-005", 11.0), ("PZ2023-007", 3.0)]
    finally:
        con.close()


# ------------------------------------------------------------------------------------------ file types

def test_an_et_file_is_read_as_the_spreadsheet_it_usually_is(con):
    content = (FILES / "f16_sessions_township_captions.xls").read_bytes()
    result = ingest.ingest_files(con, [("场次.et", content)], today=TODAY)
    assert result.committed and result.outcomes[0].added == 3


def test_an_unreadable_et_file_says_save_as_xlsx(con):
    (error,) = ingest.ingest_files(con, [("场次.et", b"not a workbook at all")]).errors
    assert error.code == "save_as_xlsx" and "请在 WPS 中另存为 .xlsx" in error.message()
    assert ".ods" in error.message() and ".xlsb" in error.message("en")


def test_marked_rows_inside_a_big_csv_take_no_fast_path(monkeypatch):
    """25,000 waybills: the waybill column takes Arrow's fast text path, which must leave every cell that can mark
    a totals row, footer or caption to Python (a 合计 long enough to look like a waybill number included)."""
    from .test_columnar import _problems, _rows, both_paths

    lines = ["运单号,发货日期,企业,补贴金额（元）"]
    for i in range(25_000):
        if i == 10_000:
            lines.append("2023年第四季度运单汇总,,,")  # a caption of one cell, 年 inside
        lines.append(f"YT{i:010d},2023-10-08,合作社{i % 50},{1 + i % 7}")
    lines.append("合计全部运单共计金额,,,100000")  # 10 ideographs, no space: the shape of a waybill number
    lines.append("填表人：张三审核人：李四,,,")
    content = "\n".join(lines).encode("utf-8")
    fast, slow, taken = both_paths("big.csv", content, "logistics_subsidies", monkeypatch)
    assert taken == [True]
    assert _problems(fast) == _problems(slow) and _rows(fast) == _rows(slow)
    # Rows: header 1, waybills from 2, the caption at 10,002, the totals row at 25,003 and the footer at 25,004.
    assert [(p.code, p.row) for p in fast.problems if p.code.startswith("w_skipped")] == [
        ("w_skipped_row", 10_002), ("w_skipped_row", 25_003), ("w_skipped_row", 25_004)]
    assert fast.table.num_rows == 25_000
    # sum of 1 + i % 7 over 25,000 rows = 3,571 full cycles of 28 (= 99,988) + i = 24,997..24,999 -> 1+2+3 = 6
    # -> 99,994, not the 100,000 the totals row states: refused, showing both
    (mismatch,) = fast.errors
    assert mismatch.code == "total_mismatch" and mismatch.params == {"stated": "100000", "summed": "99994", "unit": "元"}


def workbook(sheets: dict[str, list[list]]) -> bytes:
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            sheet.write_row(r, 0, row)
    book.close()
    return buffer.getvalue()


def test_a_key_in_two_sheets_of_one_ledger_is_refused_naming_the_other_sheet(con):
    header = ["凭证号", "支付日期", "预算科目", "金额（万元）"]
    content = workbook({"2023年": [header, ["PZ2023-006", "2023-04-02", "3.2", 2]],
                        "2024年": [header, ["PZ2024-001", "2024-03-05", "3.2", 5], ["PZ2023-006", "2024-04-02", "3.2", 3]]})
    result = ingest.ingest_files(con, [("支出.xlsx", content)])
    (error,) = result.errors
    assert (error.code, error.sheet, error.row) == ("duplicate_key_sheet", "2024年", 3)
    assert "与工作表「2023年」第 2 行重复（PZ2023-006）" in error.message()


def test_amount_in_yuan_beside_amount_in_wan_names_both_columns(con):
    text = "凭证号,支付日期,预算科目,金额（万元）,金额（元）\nPZ1,2023-04-02,3.2,12.5,125000\n"
    (error,) = ingest.ingest_files(con, [("a.csv", csv_bytes(text))]).errors
    assert error.code == "two_columns_one_field"
    assert error.message().startswith("「金额（万元）」（第 D 列）与「金额（元）」（第 E 列）都对应「金额」")


def test_a_workbook_says_which_sheets_each_ledger_came_from(con):
    path = FILES / "f10_workbook_years.xlsx"
    result = ingest.ingest_files(con, [(path.name, path.read_bytes())], today=TODAY)
    assert result.outcomes[0].summary().startswith("已导入 f10_workbook_years.xlsx「2023年、2024年」（资金支出）：新增 4 行")
    (skipped,) = [p for p in result.problems if p.code == "w_sheet_skipped"]
    assert skipped.sheet == "封面" and "已跳过" in skipped.as_text()


def test_a_first_data_row_of_words_is_not_taken_for_sub_headers(con):
    """Only a group header merged over blank cells makes the row below sub-headers: a CSV data row of plain
    words with one cell more than its header row is data (the header row ends before it: nothing is merged).
    That extra cell is right of the table, under no header: refused naming it (issue 23, every cell accounted for),
    on row 2, which shows row 2 was read as data."""
    text = "名称,乡镇,类型,社区团购覆盖\n友谊峰社区,布尔津镇,社区,是,已核实\n河堤村,冲乎尔,村,否\n"
    result = ingest.ingest_files(con, [("c.csv", csv_bytes(text))])
    assert [(e.code, e.row, e.column, e.value) for e in result.errors] == [("data_without_header", 2, "E", "已核实")]
    without = text.replace(",已核实", "")
    assert ingest.ingest_files(con, [("c.csv", csv_bytes(without))]).committed
    assert con.execute("SELECT name, covered FROM communities ORDER BY name").fetchall() == [
        ("友谊峰社区", True), ("河堤村", False)]


MARKED_LINES = ["合计,,,,12", "小计（禾木乡）,,,3,", ",,累计,,", "共23人次,,,,", "填表人：张三,,审核人：李四,,",
                "注：本表由乡镇填报,,,,", "2024年,,,,", "一、禾木乡,,,,", "（二）冲乎尔镇,,,,", "合计全部运单共计金额,,,,"]


@pytest.mark.parametrize("dataset", ["training_attendance", "online_retail", "expenditures", "logistics_subsidies",
                                     "talents", "events"])
def test_random_ledgers_with_form_rows_same_answer_both_ways(dataset, monkeypatch):
    """test_columnar's random ledgers with totals rows, footers and captions dropped in: both readers skip the
    same rows and report the same problems."""
    import random

    from .test_columnar import _problems, _rows, both_paths, random_csv

    rng = random.Random(len(dataset))
    lines = random_csv(dataset, rows=300, seed=len(dataset) + 1, title_rows=1).decode("utf-8").splitlines()
    width = lines[1].count(",") + 1 if '"' not in lines[1] else None
    for _ in range(12):
        cells = rng.choice(MARKED_LINES).split(",")
        cells = (cells + [""] * 40)[:width or len(cells)]
        lines.insert(rng.randrange(2, len(lines) + 1), ",".join(cells))
    fast, slow, taken = both_paths(f"{dataset}.csv", "\n".join(lines).encode("utf-8"), dataset, monkeypatch)
    assert taken == [True], "the file should have gone through metrics.load.columnar"
    assert _problems(fast) == _problems(slow)
    assert _rows(fast) == _rows(slow)
    assert any(p.code == "w_skipped_row" for p in fast.problems)
