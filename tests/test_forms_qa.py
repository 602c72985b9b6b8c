"""Defects a QA pass over real county forms found (issue 13, second round): each form is the smallest one that
showed the defect, with its stored figures computed by hand. CSV forms go through both readers (metrics.load.columnar
and the row-by-row reference), which must agree; workbooks through the row-by-row reader."""

from __future__ import annotations

import datetime as dt

from metrics.core.config import default_config
from metrics.load import ingest
from metrics.load.validate import parse_upload

from .test_columnar import _problems, _rows, both_paths
from .test_forms import workbook

TODAY = dt.date(2024, 6, 30)
KEY = b"k" * 32


def csv_both(text: str, monkeypatch, dataset: str | None = None):
    """The CSV through both readers: the same rows and problems, and the columnar path taken."""
    fast, slow, taken = both_paths("form.csv", text.encode("utf-8"), dataset, monkeypatch)
    assert _problems(fast) == _problems(slow)
    assert _rows(fast) == _rows(slow)
    return fast


def book(sheets: dict[str, list[list]]):
    return parse_upload("form.xlsx", workbook(sheets), None, default_config(), KEY, TODAY)


def codes(parsed, severity: str | None = None) -> list[tuple[str, int | None]]:
    return [(p.code, p.row) for p in parsed.problems if severity is None or p.severity == severity]


def column(parsed, name: str) -> list:
    return parsed.table.column(name).to_pylist()


# ------------------------------------------------------------------------------------------------- 1. units

EXP = "凭证号,支付日期,预算科目,{amount}\n记-021,2023-04-01,3.2,50\n记-022,2023-04-02,4.2,30\n"


def test_thousand_yuan_header_is_converted(monkeypatch):
    parsed = csv_both(EXP.format(amount="金额（千元）"), monkeypatch)
    assert not parsed.errors
    assert column(parsed, "amount") == [5.0, 3.0]  # 50 千元 = 50,000 元 = 5 万元; 30 千元 = 3 万元
    assert ("w_unit_converted", 1) in codes(parsed)


def test_hundred_million_yuan_header_is_converted(monkeypatch):
    text = "月份,全县网络零售额（亿元）,农产品网络零售额（亿元）\n2022-01,0.12,0.03\n"
    parsed = csv_both(text, monkeypatch)
    assert not parsed.errors
    # 0.12 亿元 = 12,000,000 元 = 1200 万元; 0.03 亿元 = 300 万元
    assert (column(parsed, "total"), column(parsed, "agri")) == ([1200.0], [300.0])


def test_thousand_yuan_title_applies_to_a_bare_header(monkeypatch):
    parsed = csv_both("资金支出台账,,,\n单位：千元,,,\n" + EXP.format(amount="金额"), monkeypatch)
    assert not parsed.errors
    assert column(parsed, "amount") == [5.0, 3.0]  # as above: 50 千元 = 5 万元
    assert ("w_title_unit", 3) in codes(parsed)


def test_a_title_unit_never_overrides_the_header_unit(monkeypatch):
    # 金额（千元） under 单位：元 was read as 元 (50 元 = 0.005 万元) with only a warning.
    parsed = csv_both("单位：元,,,\n" + EXP.format(amount="金额（千元）"), monkeypatch)
    assert codes(parsed, "error") == [("unit_conflict", 2)]


def test_an_unknown_unit_on_a_money_column_is_refused(monkeypatch):
    parsed = csv_both(EXP.format(amount="金额（美元）"), monkeypatch)
    (error,) = parsed.errors
    assert (error.code, error.row, error.column) == ("unknown_unit", 1, "金额（美元）")
    assert "千元" in error.message() and "亿元" in error.message("en")


def test_a_number_with_its_own_unit_in_a_thousand_yuan_column_is_refused(monkeypatch):
    parsed = csv_both("凭证号,支付日期,预算科目,金额（千元）\n记-1,2023-04-01,3.2,5万\n", monkeypatch)
    assert codes(parsed, "error") == [("bad_number", 2)]


# ------------------------------------------------------------------------------------ 2. lists of units


def test_a_title_listing_units_gives_the_money_unit():
    events = book({"活动": [
        ["活动台账（单位：个、元）", None, None, None],
        ["活动编号", "活动名称", "类型", "日期", "签约或销售额"],
        ["HD101", "推介会", "推介活动", "2023-08-08", 1200000],
    ]})[0]
    assert not events.errors
    assert column(events, "deal_amount") == [120.0]  # 1,200,000 元 = 120 万元
    logistics = book({"物流": [
        ["物流补贴台账", None, None, "单位：件、万元"],
        ["运单号", "发货日期", "企业", "补贴金额"],
        ["YT101", "2023-05-01", "公司A", 0.05],
    ]})[0]
    assert not logistics.errors
    assert column(logistics, "amount") == [500.0]  # 0.05 万元 = 500 元
    people = book({"支出": [
        ["单位：笔、万元", None, None, None],
        ["凭证号", "支付日期", "预算科目", "金额"],
        ["记-951", "2023-04-01", "3.2", 12],
    ]})[0]
    assert column(people, "amount") == [12.0]  # already 万元
    assert ("w_title_unit", 2) in codes(people)


# ------------------------------------------------------------------------------------------- 3. totals rows

SPENDING = ("序号,凭证号,支付日期,预算科目,金额（万元）,说明\n"
            "1,PZ2023-101,2023-04-01,3.2,10,累计拨付第二期\n"
            "2,PZ2023-102,2023-04-02,3.2,4,总计划内调整\n"
            "以上合计,,,,14,\n"
            "3,PZ2023-103,2023-05-02,1.1,2,\n"
            "2023年合计,,,,16,\n"
            "全年总计,,,,16,\n"
            ",本年累计,,,16,\n"
            "全县合计,,,,16,\n")


def test_a_note_starting_like_a_total_is_data_and_totals_labels_are_skipped(monkeypatch):
    parsed = csv_both(SPENDING, monkeypatch)
    assert not parsed.errors, [e.as_text() for e in parsed.errors]
    # Rows 2 and 3 are payments whose 说明 starts with 累计/总计: 10 + 4 + 2 = 16 万元 over three payments.
    assert column(parsed, "voucher") == ["PZ2023-101", "PZ2023-102", "PZ2023-103"]
    assert column(parsed, "amount") == [10.0, 4.0, 2.0]
    assert column(parsed, "note") == ["累计拨付第二期", "总计划内调整", None]
    # 以上合计 (row 4) = 10 + 4 = 14, and each later total 16 = 10 + 4 + 2: all add up.
    assert [r for c, r in codes(parsed) if c == "w_skipped_row"] == [4, 6, 7, 8, 9]
    assert "total_mismatch" not in {c for c, _ in codes(parsed)}


def test_a_total_with_its_key_filled_is_data(monkeypatch):
    # 合计 in 序号 but a voucher beside it: a payment, not a totals row (the voucher would otherwise be dropped).
    parsed = csv_both("序号,凭证号,支付日期,预算科目,金额（万元）\n合计,PZ2023-201,2023-04-01,3.2,10\n", monkeypatch)
    assert not parsed.errors and column(parsed, "voucher") == ["PZ2023-201"]


def test_replace_keeps_a_payment_whose_note_starts_like_a_total(con):
    first = "凭证号,支付日期,预算科目,金额（万元）,说明\nPZ2023-101,2023-04-01,3.2,10,第一期\n"
    again = first.replace("第一期", "累计拨付第二期") + "PZ2023-102,2023-04-02,3.2,4,\n"
    assert ingest.ingest_files(con, [("a.csv", first.encode())]).committed
    assert ingest.ingest_files(con, [("b.csv", again.encode())], replace=True).committed
    assert con.execute("SELECT voucher, amount, note FROM expenditures ORDER BY voucher").fetchall() == [
        ("PZ2023-101", 10.0, "累计拨付第二期"), ("PZ2023-102", 4.0, None)]


# ------------------------------------------------------------------------ 4. a sheet lacking a required column

def test_a_sheet_that_looks_like_a_ledger_but_lacks_a_column_refuses_the_workbook(con):
    content = workbook({
        "填表说明": [["填表说明"], ["1. 每场培训填一行"]],
        "培训场次": [["场次编号", "培训日期", "乡镇", "培训主题", "培训形式"],
                     ["PX2023-004", "2023-07-01", "禾木", "直播带货", "线下"]],
        "签到": [["序号", "学员编号", "姓名", "性别"], [1, "XY021", "张三", "男"], [2, "XY022", "李四", "女"],
                 [3, "XY023", "王五", "男"]],
    })
    result = ingest.ingest_files(con, [("培训.xlsx", content)], today=TODAY)
    # Loading only the sessions would report success with 0 person-times instead of the 3 signed in.
    assert not result.committed
    (error,) = result.errors
    assert (error.code, error.sheet) == ("sheet_lacks_columns", "签到")
    assert "培训签到" in error.message() and "场次编号" in error.message() and "Training" in error.message("en")
    assert [p.sheet for p in result.problems if p.code == "w_sheet_skipped"] == ["填表说明"]
    assert con.execute("SELECT count(*) FROM training_sessions").fetchone() == (0,)


# ------------------------------------------------------------------------------- 5. personal data, every path

def test_personal_data_is_screened_in_a_workbook_of_several_sheets(con):
    header = ["凭证号", "支付日期", "预算科目", "金额（万元）", "收款单位", "说明"]
    content = workbook({
        "2023年": [header, ["PZ2023-301", "2023-04-01", "3.2", 2, "王五 13912345678", "经办"]],
        "2024年": [header, ["PZ2024-301", "2024-04-01", "3.2", 3, "县电商中心", "身份证 11010519491231002X"]],
    })
    result = ingest.ingest_files(con, [("支出.xlsx", content)], today=TODAY)
    assert result.committed, [e.as_text() for e in result.errors]
    assert con.execute("SELECT payee, note FROM expenditures ORDER BY voucher").fetchall() == [
        ("王五 139****5678", "经办"), ("县电商中心", "身份证 1101**********002X")]
    assert sorted((p.sheet, p.row) for p in result.problems if p.code == "w_pii_masked") == [
        ("2023年", 2), ("2024年", 2)]


def test_a_list_column_is_screened(monkeypatch):
    text = ("活动编号,活动名称,类型,日期,参与主体\n"
            "HD2023-07,推介会,推介活动,2023-08-08,喀纳斯旅行社、渔业合作社（王五13912345678）\n")
    parsed = csv_both(text, monkeypatch)
    assert column(parsed, "participants") == [["喀纳斯旅行社", "渔业合作社（王五139****5678）"]]
    assert codes(parsed, "warning")[-1] == ("w_pii_masked", 2)


# ------------------------------------------------------------------------------- 6. keys in scientific notation

def test_a_key_in_scientific_notation_is_refused(monkeypatch):
    text = "运单号,发货日期,企业,补贴金额（元）\n7.53123E+13,2023-05-01,禾木农产品公司,3.5\n7.53123e13,2023-05-02,禾木农产品公司,4\n"
    parsed = csv_both(text, monkeypatch)
    assert codes(parsed, "error") == [("key_as_number", 2), ("key_as_number", 3)]  # not a duplicate of each other
    assert "科学计数法" in parsed.errors[0].message() and "scientific" in parsed.errors[0].message("en")


def test_a_key_number_cell_that_lost_digits_is_refused_and_a_whole_one_kept():
    parsed = book({"物流": [["运单号", "发货日期", "企业", "补贴金额（元）"],
                            [7531234567890123, "2023-05-01", "公司A", 3.5],  # 16 digits: a number cell keeps 15
                            [75312345678901, "2023-05-02", "公司A", 4]]})[0]  # 14 digits: exact
    assert codes(parsed, "error") == [("key_as_number", 2)]
    ok = book({"物流": [["运单号", "发货日期", "企业", "补贴金额（元）"], [75312345678901, "2023-05-02", "公司A", 4]]})[0]
    assert column(ok, "waybill") == ["75312345678901"]


def test_a_key_in_scientific_notation_takes_no_fast_path(monkeypatch):
    lines = ["运单号,发货日期,企业,补贴金额（元）"]
    lines += [f"YT{i:010d},2023-10-08,合作社,5" for i in range(25_000)]
    lines.insert(12_000, "7.53123E+13,2023-10-08,合作社,5")  # lines[k] is spreadsheet row k + 1: row 12,001
    fast, slow, taken = both_paths("big.csv", "\n".join(lines).encode("utf-8"), "logistics_subsidies", monkeypatch)
    assert taken == [True] and _problems(fast) == _problems(slow)
    assert codes(fast, "error") == [("key_as_number", 12_001)]


# ------------------------------------------------------------------- 7. contact footers, pre-numbered blank rows

SIGN_IN = ("序号,场次编号,学员编号,姓名\n"
           "1,PX2023-001,XY001,张三\n"
           "2,PX2023-001,XY002,李四\n"
           "3,,,\n"
           "4,,,\n"
           "联系人：王芳,,联系电话：13812345678,\n"
           "报送日期：2023-07-01,,,\n")


def test_contact_footers_and_rows_with_only_a_number_are_skipped(monkeypatch):
    parsed = csv_both(SIGN_IN, monkeypatch)
    assert not parsed.errors, [e.as_text() for e in parsed.errors]
    assert column(parsed, "trainee_id") == ["XY001", "XY002"]  # two people signed in, rows 4-5 were left blank
    skipped = [(p.row, p.message()) for p in parsed.problems if p.code == "w_skipped_row"]
    assert skipped == [(4, "是只有序号的空行，已跳过"), (5, "是只有序号的空行，已跳过"), (6, "是表尾，已跳过"),
                       (7, "是表尾，已跳过")]
    assert all("13812345678" not in p.as_text() for p in parsed.problems)


def test_a_numbered_row_in_a_workbook_is_skipped_too():
    parsed = book({"签到": [["序号", "场次编号", "学员编号", "姓名"], [1, "PX2023-001", "XY001", "张三"], [2, None, None, None],
                            ["联系电话：0906-6521234", None, None, None]]})[0]
    assert not parsed.errors and column(parsed, "trainee_id") == ["XY001"]
    assert [r for c, r in codes(parsed) if c == "w_skipped_row"] == [3, 4]


# -------------------------------------------------------------------------------- 8. too many title rows

def test_six_title_rows_say_where_the_header_must_be(con):
    rows = [["2023年资金支出台账"], ["填报单位：县商务局"], ["单位：万元"], ["（第一季度）"], ["县财政局监制"], ["2023-07-01"],
            ["凭证号", "支付日期", "预算科目", "金额"], ["PZ2023-401", "2023-04-01", "3.2", 2]]
    (error,) = ingest.ingest_files(con, [("支出.xlsx", workbook({"支出": rows}))]).errors
    # The header is in row 7: one row below the 5 title rows allowed. "最接近的是：—" told the clerk nothing.
    assert error.code == "no_header_any" and "前 6 行" in error.message() and "—" not in error.message()


def test_a_hidden_row_of_an_xlsx_is_loaded_with_a_warning():
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "支出"
    for row in (["凭证号", "支付日期", "预算科目", "金额（万元）"], ["PZ2023-601", "2023-04-01", "3.2", 10],
                ["PZ2023-602", "2023-04-02", "3.2", 5], ["PZ2023-603", "2023-04-03", "3.2", 2]):
        ws.append(row)
    ws.row_dimensions[3].hidden = True  # PZ2023-602, voided by hiding it
    buffer = io.BytesIO()
    wb.save(buffer)
    parsed = parse_upload("支出.xlsx", buffer.getvalue(), None, default_config(), KEY, TODAY)[0]
    assert [(p.code, p.row) for p in parsed.problems] == [("w_hidden_row", 3)]
    assert "隐藏" in parsed.problems[0].message() and "hidden" in parsed.problems[0].message("en")
