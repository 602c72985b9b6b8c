"""Issue 23, the cell-level classes: values a clerk's form holds that were accepted with a wrong figure (or refused
when they should load). Each fixture is the smallest form showing the class, its stored values computed by hand in
a comment. CSV forms go through both readers (metrics.load.columnar and the row-by-row reference), which must give
the same rows and problems; workbooks through the row-by-row reader."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from metrics.core.config import default_config
from metrics.core.registry import KPI_BY_ID
from metrics.kpi import views
from metrics.kpi.scorecard import compute_value
from metrics.load import ingest, parsing
from metrics.platform import pii, privacy

from .test_columnar import KEY, _id_number, both_paths
from .test_forms_qa import book, codes, column, csv_both

D = dt.date
WIDE = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def problem_at(parsed, code: str, row: int):
    (found,) = [p for p in parsed.problems if p.code == code and p.row == row]
    return found


def problem(parsed, code: str):
    (found,) = [p for p in parsed.problems if p.code == code]
    return found


# ------------------------------------------------------------------------- 1. a month or date read two ways

RETAIL = "月份,全县网络零售额（万元）,农产品网络零售额（万元）\n{m1},100,20\n{m2},110,25\n"


def test_a_month_that_may_be_january_or_october_is_refused_naming_both(monkeypatch):
    # 2023.10 saved as a number is 2023.1: January, or October with its zero dropped. Stored as January it replaced
    # January's row. Row 2 (the first below the header) is refused, naming both readings.
    parsed = csv_both(RETAIL.format(m1="2023.1", m2="2023.2"), monkeypatch)
    error = problem(parsed, "cell_ambiguous_month")
    assert (error.row, error.column, error.value) == (2, "月份", "2023.1")
    assert "2023-01" in error.message() and "2023-10" in error.message("en")
    assert [p.code for p in parsed.errors] == ["cell_ambiguous_month"]


def test_months_that_read_one_way_load(monkeypatch):
    # 2023.10 (text keeps its zero) is October; 2023.2 can only be February (there is no month 20).
    parsed = csv_both(RETAIL.format(m1="2023.10", m2="2023.2"), monkeypatch)
    assert not parsed.errors
    assert column(parsed, "month") == [D(2023, 10, 1), D(2023, 2, 1)]


def test_a_month_typed_as_a_number_in_a_workbook():
    # Number cells: 2023.1 is ambiguous (refused); 2023.12 can only be December.
    header = ["月份", "全县网络零售额（万元）", "农产品网络零售额（万元）"]
    parsed = book({"零售": [header, [2023.1, 100, 20], [2023.12, 110, 25]]})[0]
    assert codes(parsed, "error") == [("cell_ambiguous_month", 2)]
    parsed = book({"零售": [header, [2023.11, 100, 20], [2023.12, 110, 25]]})[0]
    assert not parsed.errors and column(parsed, "month") == [D(2023, 11, 1), D(2023, 12, 1)]


SESSIONS = "场次编号,培训日期,乡镇,培训主题,培训形式\n{rows}"


def test_a_date_with_day_and_month_in_either_order_is_refused_naming_both(monkeypatch):
    # 05/06/2023: 5 June or 6 May. 13/06/2023 can only be 13 June but is still not a form the contract knows
    # (bad_date, as before).
    rows = "PX-1,05/06/2023,布尔津镇,直播带货,线下\nPX-2,13/06/2023,布尔津镇,直播带货,线下\n"
    parsed = csv_both(SESSIONS.format(rows=rows), monkeypatch)
    error = problem(parsed, "cell_ambiguous_date")
    assert (error.row, error.value) == (2, "05/06/2023")
    assert "2023-06-05" in error.message() and "2023-05-06" in error.message()
    assert codes(parsed, "error") == [("cell_ambiguous_date", 2), ("bad_date", 3)]


# --------------------------------------------------------------------- 2. full-width digits in ID numbers

ATTENDANCE = "场次编号,姓名,身份证号\n{rows}"


def test_full_width_id_numbers_are_three_people_hashed_as_their_ascii_digits(monkeypatch):
    # Three people whose ID numbers were typed in full-width digits: the old hash dropped every non-ASCII character,
    # so all three hashed the empty string and became one person. Each must hash as its ASCII form does.
    ids = [_id_number(i) for i in (1, 2, 3)]
    rows = "".join(f"PX-1,学员{i},{n.translate(WIDE)}\n" for i, n in enumerate(ids))
    parsed = csv_both(ATTENDANCE.format(rows=rows), monkeypatch, "training_attendance")
    assert not parsed.errors
    expected = [privacy.hash_id_number(n, KEY) for n in ids]
    assert column(parsed, "id_hash") == expected and len(set(expected)) == 3
    # A person known only by an ID number gets 'H' + the hash's first 16 characters: three trainees, not one.
    assert column(parsed, "trainee_id") == [privacy.trainee_id_from_hash(h) for h in expected]


def test_an_id_number_in_another_script_is_refused_never_hashed(monkeypatch):
    # Arabic-Indic digits are digits to `\d` and int(), but NFKC leaves them: refused as malformed.
    arabic = _id_number(4).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    parsed = csv_both(ATTENDANCE.format(rows=f"PX-1,甲,{arabic}\n"), monkeypatch, "training_attendance")
    assert codes(parsed, "error") == [("bad_id_number", 2)]


def test_the_pii_screen_sees_full_width_digits(monkeypatch):
    # A phone in full-width digits after a name, and an ID number in full-width digits in a column kept aside:
    # both masked (as their ASCII forms would be), with a warning each.
    phone = "１３９１２３４５６７８"
    idn = _id_number(5)
    text = f"场次编号,学员编号,姓名,备注\nPX-1,XY1,王五{phone},身份证{idn.translate(WIDE)}\n"
    parsed = csv_both(text, monkeypatch, "training_attendance")
    assert column(parsed, "name") == ["王五139****5678"]
    assert privacy.mask_id_number(idn) in column(parsed, "_extra")[0]
    assert idn not in str(parsed.table.to_pylist()) and "５６７８" not in str(parsed.table.to_pylist())
    assert sorted(c for c, _ in codes(parsed, "warning") if c == "w_pii_masked") == ["w_pii_masked"] * 2


def test_a_full_width_id_number_as_a_trainee_key_is_refused(monkeypatch):
    idn = _id_number(6).translate(WIDE)
    parsed = csv_both(f"场次编号,学员编号\nPX-1,{idn}\n", monkeypatch, "training_attendance")
    assert codes(parsed, "error") == [("pii_in_key", 2)]


def test_mask_and_find_read_every_digit_as_ascii():
    assert pii.find("电话１３９１２３４５６７８") == ["phone"]
    assert privacy.mask_phone("１３９１２３４５６７８") == "139****5678"
    assert pii.scrub("编号ＰＸ２０２３") == "编号ＰＸ２０２３"  # nothing personal: returned as written


# ------------------------------------------------------------------------------- 3. invisible characters

def test_invisible_characters_are_removed_from_keys_townships_and_enums(monkeypatch):
    # PX-1 typed with a zero-width space, a BOM and a word joiner: one session, in 布尔津镇, 线下.
    rows = "PX-1\u200b,2023-05-12,布尔津镇\ufeff,直播带货,线\u2060下\n"
    parsed = csv_both(SESSIONS.format(rows=rows), monkeypatch)
    assert not parsed.errors
    assert (column(parsed, "session_id"), column(parsed, "township"), column(parsed, "mode")) == (
        ["PX-1"], ["布尔津镇"], ["线下"])


def test_a_refused_value_shows_its_invisible_characters(monkeypatch):
    rows = "PX-1,2023-05-12,火星镇\u200b,直播带货,线下\n"
    parsed = csv_both(SESSIONS.format(rows=rows), monkeypatch)
    error = problem(parsed, "bad_township")
    assert error.value == "火星镇⟨U+200B⟩"


def test_a_cell_holding_only_invisible_characters_is_empty(monkeypatch):
    # A required 培训形式 holding only U+200B is empty, refused as such (not stored as an invisible value).
    rows = "PX-1,2023-05-12,布尔津镇,直播带货,\u200b\u200b\u200b\u200b\u200b\u200b\u200b\n"
    parsed = csv_both(SESSIONS.format(rows=rows), monkeypatch)
    assert codes(parsed, "error") == [("required", 2)]


def test_invisible_characters_in_a_big_file_take_the_python_path(monkeypatch):
    # 20,002 distinct keys: the columnar fast path (RE2 over raw cells) is taken for the key column; the one key
    # with a zero-width space must still be stripped, as the reference path strips it. 20,002 rows, 20,002 keys.
    lines = [f"W{i:07d},2023-05-01,企业,8" for i in range(20_001)] + ["W9999999\u200b,2023-05-01,企业,8"]
    text = "运单号,发货日期,企业,补贴金额（元）\n" + "\n".join(lines) + "\n"
    parsed = csv_both(text, monkeypatch)
    assert not parsed.errors
    assert column(parsed, "waybill")[-1] == "W9999999" and parsed.table.num_rows == 20_002


# ------------------------------------------------------------------ 4. people matched by the hashed ID number

def test_conversions_naming_trainees_only_by_id_number_match_the_sign_in_sheet(con):
    # Four trainees signed in with 学员编号 and 身份证号; the conversions ledger names one of them by 姓名 +
    # 身份证号 only. Matched by the hashed ID number: 1 converted of 4 trained = 25 % (it was 0: the conversion's
    # trainee key 'H…' never met 'XY1').
    ids = [_id_number(i) for i in (1, 2, 3, 4)]
    sessions = "场次编号,培训日期,乡镇,培训主题,培训形式\nPX-1,2023-05-12,布尔津镇,直播带货,线下\n"
    attendance = "场次编号,学员编号,身份证号\n" + "".join(f"PX-1,XY{i},{n}\n" for i, n in enumerate(ids, 1))
    conversions = f"姓名,身份证号,转化日期,转化类型\n张三,{ids[0]},2023-06-01,开设网店\n"
    result = ingest.ingest_files(con, [("s.csv", sessions.encode()), ("a.csv", attendance.encode()),
                                       ("c.csv", conversions.encode())], user="tester")
    assert result.committed, [p.as_text() for p in result.problems]
    config = default_config()
    assert compute_value(con, KPI_BY_ID["training_people"], D(2023, 12, 31), config)[0] == 4
    assert compute_value(con, KPI_BY_ID["training_conversion_rate"], D(2023, 12, 31), config)[0] == 0.25
    found = result.problems
    assert "w_unknown_trainee" not in {p.code for p in found}
    (matched,) = [p for p in found if p.code == "w_cell_matched_by_id"]
    assert matched.params["count"] == 1
    assert con.execute("SELECT matched_by FROM derived_person WHERE trainee_id LIKE 'H%'").fetchall() == [("id_hash",)]
    # The KPI's rows (what the dashboard lists under the rate) count the conversion too.
    rows = views.kpi_rows(con, "training_conversion_rate", D(2023, 12, 31))
    assert rows["counted"].tolist() == [True] and rows["first_session"].astype(str).tolist() == ["2023-05-12"]


def test_one_person_signed_in_under_two_keys_is_one_person(con):
    # The same ID number in session 1 with 学员编号 XY1 and in session 2 without one: one person, 2 person-times.
    idn = _id_number(8)
    sessions = ("场次编号,培训日期,乡镇,培训主题,培训形式\nPX-1,2023-05-12,布尔津镇,直播带货,线下\n"
                "PX-2,2023-06-12,布尔津镇,直播带货,线下\n")
    attendance = f"场次编号,学员编号,身份证号\nPX-1,XY1,{idn}\nPX-2,,{idn}\n"
    result = ingest.ingest_files(con, [("s.csv", sessions.encode()), ("a.csv", attendance.encode())], user="t")
    assert result.committed
    config = default_config()
    assert compute_value(con, KPI_BY_ID["training_person_times"], D(2023, 12, 31), config)[0] == 2
    assert compute_value(con, KPI_BY_ID["training_people"], D(2023, 12, 31), config)[0] == 1


# ------------------------------------------------------------------------------------ 5. list separators

EVENTS = "活动编号,活动名称,类型,日期,参与主体\n{rows}"


def test_every_separator_a_clerk_uses_splits_a_list(monkeypatch):
    rows = ("HD-1,a,推介活动,2023-08-08,张三/李四\n"
            "HD-2,a,推介活动,2023-08-08,张三 李四\n"
            "HD-3,a,推介活动,2023-08-08,张三及李四\n"
            "HD-4,a,推介活动,2023-08-08,张三；李四;王五\n"
            'HD-5,a,推介活动,2023-08-08,"张三\n李四"\n'
            "HD-6,a,推介活动,2023-08-08,王五和赵六\n"
            "HD-7,a,推介活动,2023-08-08,和平村合作社\n"
            "HD-8,a,推介活动,2023-08-08,\"Zhang San, Li Si\"\n")
    parsed = csv_both(EVENTS.format(rows=rows), monkeypatch)
    assert not parsed.errors
    two = ["张三", "李四"]
    # Rows 1-5: two names each (row 4 three); 王五和赵六 two; 和平村合作社 one name (和 starts it, not joining);
    # "Zhang San" one name (a space between Latin letters does not split).
    assert column(parsed, "participants") == [two, two, two, [*two, "王五"], two, ["王五", "赵六"],
                                              ["和平村合作社"], ["Zhang San", "Li Si"]]
    # The preview says how a cell split on a separator other than 、 , ; was read: rows 2, 3, 4, 6, 7 (a slash, a
    # space, 及, a line break, 和); row 5 (；;) and row 9 (,) used the usual ones.
    assert [(c, r) for c, r in codes(parsed, "warning") if c == "w_cell_list_split"] == [
        ("w_cell_list_split", r) for r in (2, 3, 4, 6, 7)]
    assert problem_at(parsed, "w_cell_list_split", 2).message() == "读作 2 项：张三、李四"


def test_he_inside_a_long_name_does_not_split():
    assert parsing.parse_list("禾木乡和平村合作社、喀纳斯旅行社") == ["禾木乡和平村合作社", "喀纳斯旅行社"]


def test_ji_and_he_split_between_organisation_names_only(monkeypatch):
    # 禾木蜂业合作社及冲乎尔乳业 was stored as one participant: two organisations, each ending in a usual suffix
    # (合作社, 乳业), joined by 及 (row 2) or 和 (row 3); three with 公司/超市 (row 4). 禾木乡和平村合作社 (row 5) is one:
    # 禾木乡 names no organisation, so that 和 is part of 和平村. Row 6 cuts at 及 only: 禾木乡和平村合作社 + 冲乎尔乳业.
    rows = ("HD-1,a,推介活动,2023-08-08,禾木蜂业合作社及冲乎尔乳业\n"
            "HD-2,a,推介活动,2023-08-08,禾木蜂业合作社和冲乎尔乳业\n"
            "HD-3,a,推介活动,2023-08-08,布尔津商贸公司和禾木蜂业合作社和城关超市\n"
            "HD-4,a,推介活动,2023-08-08,禾木乡和平村合作社\n"
            "HD-5,a,推介活动,2023-08-08,禾木乡和平村合作社及冲乎尔乳业\n")
    parsed = csv_both(EVENTS.format(rows=rows), monkeypatch)
    assert not parsed.errors
    two = ["禾木蜂业合作社", "冲乎尔乳业"]
    assert column(parsed, "participants") == [two, two, ["布尔津商贸公司", "禾木蜂业合作社", "城关超市"],
                                              ["禾木乡和平村合作社"], ["禾木乡和平村合作社", "冲乎尔乳业"]]
    # Each split is said in the preview (rows 2, 3, 4, 6); the whole name (row 5) draws no warning.
    assert [r for c, r in codes(parsed, "warning") if c == "w_cell_list_split"] == [2, 3, 4, 6]
    assert not [c for c, _ in codes(parsed, "warning") if c == "w_cell_list_kept_whole"]


def test_a_ji_with_no_sure_reading_is_kept_whole_and_said(monkeypatch):
    # 张三及禾木蜂业合作社: a person and a cooperative, or a cooperative named after someone? Nothing guessed: one name,
    # with a warning naming it (row 2). 甲公司和公司和乙公司 cuts two ways equally well (甲公司 | 公司和乙公司 or
    # 甲公司和公司 | 乙公司): kept whole, said (row 3).
    rows = ("HD-1,a,推介活动,2023-08-08,张三及禾木蜂业合作社\n"
            "HD-2,a,推介活动,2023-08-08,甲公司和公司和乙公司、冲乎尔乳业\n")
    parsed = csv_both(EVENTS.format(rows=rows), monkeypatch)
    assert not parsed.errors
    assert column(parsed, "participants") == [["张三及禾木蜂业合作社"], ["甲公司和公司和乙公司", "冲乎尔乳业"]]
    kept = [p for p in parsed.problems if p.code == "w_cell_list_kept_whole"]
    assert [(p.row, p.value) for p in kept] == [(2, "张三及禾木蜂业合作社"), (3, "甲公司和公司和乙公司")]
    assert kept[0].message().startswith("「张三及禾木蜂业合作社」中的「及」或「和」可能连接两个名称")


# ------------------------------------------------------------------------------------------ 6. void rows

EXPENDITURES = "凭证号,支付日期,预算科目,金额（万元）,说明{extra}\n{rows}"


def test_a_row_marked_void_in_its_note_refuses_the_upload(monkeypatch):
    # Row 3 says 作废 (voided): counting it added 5 万元 that was never paid. Refused, naming row 3 and the word.
    rows = "记-1,2023-04-01,3.2,10,包装设计\n记-2,2023-04-02,3.2,5,作废\n记-3,2023-04-03,3.2,7,尾款\n"
    parsed = csv_both(EXPENDITURES.format(extra="", rows=rows), monkeypatch)
    error = problem(parsed, "cell_void_row")
    assert (error.row, error.column, error.params["word"]) == (3, "说明", "作废")
    assert [p.code for p in parsed.errors] == ["cell_void_row"]


def test_a_void_word_in_a_note_column_kept_aside_refuses_too(monkeypatch):
    rows = "记-1,2023-04-01,3.2,10,设计,\n记-2,2023-04-02,3.2,5,设计,已退回\n"
    parsed = csv_both(EXPENDITURES.format(extra=",备注", rows=rows), monkeypatch)
    error = problem(parsed, "cell_void_row")
    assert (error.row, error.column, error.params["word"]) == (3, "备注", "退回")


def test_a_void_word_in_a_workbook_row():
    header = ["凭证号", "支付日期", "预算科目", "金额（万元）", "说明"]
    parsed = book({"支出": [header, ["记-1", "2023-04-01", "3.2", 10, "冲销上月多付"]]})[0]
    assert codes(parsed, "error") == [("cell_void_row", 2)]


# ------------------------------------------------------------------------ 7. dates typed with spaces, no date yet

def test_dates_typed_with_spaces_load(monkeypatch):
    rows = "PX-1,2023年 5月 12日,布尔津镇,直播带货,线下\nPX-2,2023 - 05 - 13,布尔津镇,直播带货,线下\n"
    parsed = csv_both(SESSIONS.format(rows=rows), monkeypatch)
    assert not parsed.errors
    assert column(parsed, "date") == [D(2023, 5, 12), D(2023, 5, 13)]


BRANDS = "品牌名称,品牌类型,完成日期\n{rows}"


def test_no_date_yet_in_a_column_that_may_be_empty_is_empty_with_a_warning(monkeypatch):
    # 完成日期 may be empty: 进行中, 未完成 and - all mean "not yet": stored empty, one warning each; a date loads.
    rows = "甲,网销品牌,进行中\n乙,网销品牌,未完成\n丙,网销品牌,-\n丁,网销品牌,2023-09-30\n"
    parsed = csv_both(BRANDS.format(rows=rows), monkeypatch)
    assert not parsed.errors
    assert column(parsed, "completed_on") == [None, None, None, D(2023, 9, 30)]
    assert codes(parsed, "warning") == [("w_cell_date_pending", 2), ("w_cell_date_pending", 3),
                                        ("w_cell_date_pending", 4)]


def test_no_date_yet_in_a_required_date_column_is_refused_clearly(monkeypatch):
    text = "编号,阶段,任务,计划开始,计划完成\nM1,启动阶段,开会,2022-10-01,未完成\nM2,启动阶段,开会,2022-10-01,-\n"
    parsed = csv_both(text, monkeypatch)
    # 未完成 is not a date (cell_date_pending); a dash is an empty required cell (required), as before.
    assert codes(parsed, "error") == [("cell_date_pending", 2), ("required", 3)]


def test_both_paths_take_the_columnar_reader_for_these_forms(monkeypatch):
    fast, slow, taken = both_paths("f.csv", RETAIL.format(m1="2023.1", m2="2023.2").encode(), None, monkeypatch)
    assert taken == [True]
    assert isinstance(fast.problems, list) and pa is not None


def test_a_header_with_an_invisible_character_is_recognised(monkeypatch):
    # 培训日期 pasted with a zero-width space, 乡镇 with a word joiner: still the contract's columns.
    text = "场次编号,\u200b培训日期,乡镇\u2060,培训主题,培训形式\nPX-1,2023-05-12,布尔津镇,直播带货,线下\n"
    parsed = csv_both(text, monkeypatch)
    assert not parsed.errors and column(parsed, "date") == [D(2023, 5, 12)]


# --------------------------------------------------------------------------- 7. a unit spelled out in the header

def test_a_unit_spelled_out_in_the_header_is_that_unit(monkeypatch):
    # 金额（单位：万元）, （单位:元）, (单位：万元) as county templates write them were refused as 「单位:万元」 not being a
    # money unit. The word 单位 is dropped: 50 and 30 under （单位：万元） are 50 and 30 万元; under （单位:元） they are
    # 50 元 = 0.005 万元 and 30 元 = 0.003 万元.
    rows = "记-1,2023-04-01,3.2,50\n记-2,2023-04-02,4.2,30\n"
    for header, amounts in (("金额（单位：万元）", [50.0, 30.0]), ("金额(单位：万元)", [50.0, 30.0]),
                            ("金额（单位:元）", [0.005, 0.003])):
        parsed = csv_both(f"凭证号,支付日期,预算科目,{header}\n{rows}", monkeypatch)
        assert not parsed.errors, header
        assert column(parsed, "amount") == amounts, header
    # The word alone names no unit and is still refused, naming what the header wrote.
    parsed = csv_both(f"凭证号,支付日期,预算科目,金额（单位）\n{rows}", monkeypatch)
    assert [(p.code, p.column) for p in parsed.errors] == [("unknown_unit", "金额（单位）")]
    assert "「单位」" in parsed.errors[0].message()
