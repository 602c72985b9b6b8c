"""Loading ledgers: every dataset's happy path, every refusal (with row, column and value named and nothing
changed), undo, re-loads, and personal data."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.core.datasets import DATASETS
from metrics.load import ingest
from metrics.platform import store

from .ledgers import FIXTURES, TEST_KEY, csv_bytes, snapshot, xlsx_bytes

HAPPY = FIXTURES / "happy"


def load(con, name, text_or_bytes, dataset=None, **kw):
    content = text_or_bytes if isinstance(text_or_bytes, bytes) else csv_bytes(text_or_bytes)
    return ingest.ingest_files(con, [(name, content)], dataset, user="tester", **kw)


def load_fixture(con, *datasets):
    return ingest.ingest_paths(con, [HAPPY / f"{d}.csv" for d in datasets], user="tester")


def rows(con, sql):
    return con.execute(sql).fetchall()


# ------------------------------------------------------------------------------------------ happy paths

# Each fixture file under tests/fixtures/happy, with its row count and one value checked after parsing.
HAPPY_CASES = {
    "training_sessions": (3, "SELECT township FROM training_sessions WHERE session_id = 'S1'", "禾木哈纳斯蒙古族乡"),
    "training_attendance": (3, "SELECT count(DISTINCT trainee_id) FROM training_attendance", 2),
    "conversions": (2, "SELECT date FROM conversions WHERE type = '直播带货'", dt.date(2023, 8, 1)),
    # 12000000元 in a 万元 column: 12000000 / 10000 = 1200
    "online_retail": (3, "SELECT agri FROM online_retail WHERE month = DATE '2023-02-01'", 1200.0),
    "talents": (2, "SELECT can_sell_live FROM talents WHERE talent_id = 'DR2'", False),
    "follower_snapshots": (3, "SELECT followers FROM follower_snapshots WHERE platform = '抖音' AND talent_id = 'DR1'", 12000),
    "brands": (2, "SELECT logo_done FROM brands WHERE brand = '布尔津冷水鱼'", True),
    "products": (2, "SELECT launched_on FROM products WHERE product = '桦树汁'", None),
    "events": (2, "SELECT participants FROM events WHERE event_id = 'HD1'", ["甲公司", "乙合作社", "丙旅行社"]),
    "enterprise_upgrades": (2, "SELECT count(*) FROM enterprise_upgrades WHERE completed_on IS NULL", 1),
    "stations": (2, "SELECT pickup_point FROM stations WHERE station_id = 'ZD2'", False),
    "communities": (2, "SELECT covered_on FROM communities WHERE name = '友谊峰社区'", dt.date(2023, 5, 1)),
    # 0.1万 in a 元 column: 0.1 x 10000 = 1000 元
    "logistics_subsidies": (2, "SELECT amount FROM logistics_subsidies WHERE waybill = 'YT2'", 1000.0),
    "publicity": (2, "SELECT reads FROM publicity WHERE channel = '本县公众号'", 860),
    # 巩固电商培训成果 is line 4.1's name; 50000元 = 5 万元
    "expenditures": (2, "SELECT line || ':' || amount FROM expenditures WHERE voucher = 'PZ2'", "4.1:5.0"),
    "assets": (2, "SELECT sum(quantity) FROM assets", 4),
    "milestones": (1, "SELECT actual_end FROM milestones", dt.date(2022, 11, 25)),
    "satisfaction_surveys": (2, "SELECT sum(satisfied) FROM satisfaction_surveys", 135),  # 90 + 45
}


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_every_dataset_loads_from_its_fixture(con, dataset):
    n_rows, sql, expected = HAPPY_CASES[dataset]
    deps = list(DATASETS[dataset].depends_on)
    if dataset == "conversions":
        deps = ["training_sessions", "training_attendance"]
    result = load_fixture(con, *deps, dataset)  # recognised from the headers: no dataset named
    assert result.committed, [p.as_text() for p in result.errors]
    outcome = [o for o in result.outcomes if o.dataset == dataset][0]
    assert (outcome.status, outcome.added) == ("loaded", n_rows)
    assert rows(con, f"SELECT count(*) FROM {dataset}")[0][0] == n_rows
    assert rows(con, sql)[0][0] == expected


def test_title_rows_and_gbk_are_handled(con):
    text = (HAPPY / "training_sessions.csv").read_text(encoding="utf-8")
    result = load(con, "s.csv", text.encode("gbk"))
    assert result.committed
    assert any(p.code == "w_title_rows" and p.row == 3 for p in result.problems)  # header on spreadsheet row 3


def test_xlsx_ledger_with_excel_dates(con):
    content = xlsx_bytes([["布尔津县达人名录"], ["达人编号", "姓名", "乡镇", "类型", "孵化日期", "具备直播带货能力"],
                          ["DR1", "阿依古丽", "禾木", "主播", 45036, "✓"]])  # 45036 = 2023-04-20
    result = load(con, "t.xlsx", content)
    assert result.committed
    assert rows(con, "SELECT incubated_on, can_sell_live FROM talents") == [(dt.date(2023, 4, 20), True)]


def test_extra_columns_are_kept_aside_and_reported(con):
    result = load(con, "a.csv", "资产编号,资产名称,类型,数量,备注\nZC1,直播间一,直播间,1,二楼\n")
    assert result.committed
    assert [p.column for p in result.problems if p.code == "w_extra_column"] == ["备注"]
    assert rows(con, "SELECT _extra FROM assets") == [('{"备注": "二楼"}',)]


def test_header_unit_in_yuan_converts_a_wan_column(con):
    # 金额（元） written over a 万元 column: 125000 元 = 12.5 万元, with a warning saying so.
    result = load(con, "e.csv", "凭证号,支付日期,预算科目,金额（元）\nPZ1,2023-04-12,3.2,125000\n")
    assert result.committed
    assert rows(con, "SELECT amount FROM expenditures") == [(12.5,)]
    assert any(p.code == "w_unit_converted" for p in result.problems)


def test_warnings_do_not_block(con):
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    result = load(con, "p.csv", f"发布日期,渠道,标题\n{future},本县公众号,预告\n")
    assert result.committed
    assert [p.code for p in result.problems] == ["w_future_date"]


# ------------------------------------------------------------------------------------------- refusals

def refused(con, name, text, dataset=None):
    """Load a bad file; assert it was refused and that nothing in the database changed."""
    before = snapshot(con)
    result = load(con, name, text, dataset)
    assert not result.committed
    assert snapshot(con) == before
    return result.errors


def test_missing_required_column(con):
    errors = refused(con, "s.csv", "场次编号,培训日期,乡镇,培训主题\nS1,2023-05-12,禾木,直播带货\n", "training_sessions")
    assert [(e.code, e.column) for e in errors] == [("missing_column", "培训形式")]
    assert "培训形式" in errors[0].message()


def test_unknown_township_names_row_value_and_the_allowed_ones(con):
    errors = refused(con, "s.csv", "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-05-12,北屯镇,直播带货,线下\n")
    (e,) = errors
    assert (e.row, e.column, e.value, e.code) == (2, "乡镇", "北屯镇", "bad_township")
    assert "禾木哈纳斯蒙古族乡" in e.message() and "第 2 行" in e.as_text()


def test_duplicate_key_names_both_rows(con):
    errors = refused(con, "s.csv", "场次编号,培训日期,乡镇,培训主题,培训形式\n"
                                   "S1,2023-05-12,禾木,直播带货,线下\nS2,2023-05-13,禾木,直播带货,线下\n"
                                   "S1,2023-05-14,禾木,直播带货,线下\n")
    (e,) = errors
    assert (e.code, e.row, e.value, e.params["other"]) == ("duplicate_key", 4, "S1", 2)
    assert "与第 2 行重复（S1）" in e.as_text() and "duplicates row 2 (S1)" in e.as_text("en")


def test_bad_date(con):
    (e,) = refused(con, "s.csv", "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-02-30,禾木,直播带货,线下\n")
    assert (e.code, e.row, e.column, e.value) == ("bad_date", 2, "培训日期", "2023-02-30")


def test_negative_amount(con):
    (e,) = refused(con, "l.csv", "运单号,发货日期,企业,补贴金额（元）\nYT1,2023-10-08,合作社,-8\n")
    assert (e.code, e.row, e.column, e.value) == ("negative", 2, "补贴金额（元）", "-8")


def test_expenditure_must_be_positive(con):
    (e,) = refused(con, "e.csv", "凭证号,支付日期,预算科目,金额（万元）\nPZ1,2023-04-12,3.2,0\n")
    assert e.code == "not_positive"


def test_unknown_enum_lists_the_allowed_values(con):
    (e,) = refused(con, "s.csv", "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-05-12,禾木,直播带货,网络\n")
    assert (e.code, e.row, e.value) == ("bad_enum", 2, "网络")
    assert "线上、线下" in e.message()
    assert "线上、线下" in e.message("en")


def test_orphan_attendance_row(con):
    load_fixture(con, "training_sessions")
    (e,) = refused(con, "a.csv", "场次编号,学员编号\nS1,T1\nS9,T2\n")
    assert (e.code, e.row, e.column, e.value) == ("unknown_session", 3, "场次编号", "S9")


def test_attendance_may_refer_to_sessions_in_the_same_batch(con):
    sessions = csv_bytes("场次编号,培训日期,乡镇,培训主题,培训形式\nS9,2023-05-12,禾木,直播带货,线下\n")
    attendance = csv_bytes("场次编号,学员编号\nS9,T1\n")
    # Attendance first in the batch: the load order still puts sessions first.
    result = ingest.ingest_files(con, [("a.csv", attendance), ("s.csv", sessions)])
    assert result.committed
    assert rows(con, "SELECT count(*) FROM training_attendance")[0][0] == 1


def test_one_bad_file_refuses_the_whole_batch(con):
    before = snapshot(con)
    good = csv_bytes("资产编号,资产名称,类型,数量\nZC1,直播间一,直播间,1\n")
    bad = csv_bytes("运单号,发货日期,企业,补贴金额（元）\nYT1,2023-13-08,合作社,8\n")
    result = ingest.ingest_files(con, [("good.csv", good), ("bad.csv", bad)])
    assert not result.committed and snapshot(con) == before
    assert [o.status for o in result.outcomes] == ["not_loaded", "refused"]


def test_empty_file(con):
    (e,) = refused(con, "empty.csv", b"")
    assert e.code == "empty_file"


def test_header_only_file(con):
    (e,) = refused(con, "h.csv", "资产编号,资产名称,类型,数量\n")
    assert e.code == "no_rows"


def test_non_spreadsheet_renamed_xlsx(con):
    (e,) = refused(con, "ledger.xlsx", b"GIF89a\x01\x00 not a workbook at all")
    assert e.code == "not_a_spreadsheet"
    assert "不是有效的 Excel" in e.message()


def test_every_problem_is_reported_not_just_the_first(con):
    errors = refused(con, "s.csv", "场次编号,培训日期,乡镇,培训主题,培训形式\n"
                                   "S1,昨天,禾木,直播带货,线下\nS2,2023-05-12,北屯,直播,线下\nS3,2023-05-12,禾木,直播带货,\n")
    assert sorted((e.row, e.code) for e in errors) == [(2, "bad_date"), (3, "bad_enum"), (3, "bad_township"), (4, "required")]


def test_agri_above_total(con):
    (e,) = refused(con, "r.csv", "月份,全县网络零售额,农产品网络零售额\n2023-01,100,120\n")
    assert (e.code, e.row) == ("agri_above_total", 2)


def test_unknown_headers_name_the_closest_datasets(con):
    (e,) = refused(con, "x.csv", "甲,乙,丙\n1,2,3\n")
    assert e.code == "no_header_any"  # no ledger comes close: say where the header must be
    assert "表头必须在前 6 行内" in e.message() and "first 6 rows" in e.message("en")


def test_report_in_english(con):
    (e,) = refused(con, "s.csv", "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-05-12,北屯镇,直播带货,线下\n")
    assert "not a township of this county" in e.as_text("en") and "row 2" in e.as_text("en")


# ----------------------------------------------------------------------------------- re-loads and undo

SESSIONS_V1 = "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-05-12,禾木,直播带货,线下\nS2,2023-05-13,禾木,网店运营,线下\n"
SESSIONS_V2 = "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-05-20,禾木,直播带货,线下\nS3,2023-06-01,冲乎尔,电商基础,线上\n"


def test_identical_reload_is_a_noop_that_says_so(con):
    first = load(con, "s.csv", SESSIONS_V1).outcomes[0]
    before = snapshot(con)
    second = load(con, "s.csv", SESSIONS_V1).outcomes[0]
    assert second.status == "unchanged" and second.previous_load == first.load_id
    assert "未做任何更改" in second.summary()
    assert snapshot(con) == before  # not even a new load-log row


def test_same_rows_in_a_different_file_are_unchanged(con):
    load(con, "s.csv", SESSIONS_V1)
    outcome = load(con, "copy.csv", SESSIONS_V1.replace("\n", "\r\n")).outcomes[0]
    assert (outcome.status, outcome.unchanged) == ("unchanged", 2)


def test_a_stored_key_is_replaced_and_undo_restores_it(con):
    load(con, "s1.csv", SESSIONS_V1)
    state_before = snapshot(con)
    outcome = load(con, "s2.csv", SESSIONS_V2).outcomes[0]
    assert (outcome.added, outcome.replaced, outcome.unchanged) == (1, 1, 0)
    assert rows(con, "SELECT date FROM training_sessions WHERE session_id = 'S1'") == [(dt.date(2023, 5, 20),)]

    result = ingest.undo_checked(con, outcome.load_id)
    assert result.ok and result.params == {"load_id": outcome.load_id, "removed": 2, "restored": 1}
    after = snapshot(con)
    # The data tables are exactly as before; only the load log records the undone load.
    assert {k: v for k, v in after.items() if k not in ("loads", "meta")} == \
           {k: v for k, v in state_before.items() if k not in ("loads", "meta")}
    assert rows(con, "SELECT status FROM loads ORDER BY load_id") == [("active",), ("undone",)]


def test_undo_twice_and_unknown_load(con):
    outcome = load(con, "s1.csv", SESSIONS_V1).outcomes[0]
    assert ingest.undo_checked(con, outcome.load_id).ok
    assert ingest.undo_checked(con, outcome.load_id).message_key == "undo_already"
    assert ingest.undo_checked(con, 99).message_key == "undo_unknown"


def test_undo_of_an_earlier_load_waits_for_the_later_one(con):
    first = load(con, "s1.csv", SESSIONS_V1).outcomes[0]
    second = load(con, "s2.csv", SESSIONS_V2).outcomes[0]
    before = snapshot(con)
    result = ingest.undo_checked(con, first.load_id)
    assert not result.ok and result.message_key == "undo_blocked_later"
    assert str(second.load_id) in result.message()
    assert snapshot(con) == before


def test_undo_of_sessions_refused_while_attendance_needs_them(con):
    sessions = load(con, "s1.csv", SESSIONS_V1).outcomes[0]
    load(con, "a.csv", "场次编号,学员编号\nS2,T1\n")
    before = snapshot(con)
    result = ingest.undo_checked(con, sessions.load_id)
    assert not result.ok and result.message_key == "undo_blocked_orphans"
    assert snapshot(con) == before


def test_two_files_of_one_ledger_in_a_batch_compare_with_each_other_and_number_their_loads(con):
    # Into an empty ledger, the batch's first file adds S1, S2 (nothing stored to compare with); the second meets
    # them: S1 with another date is replaced, S2 the same is unchanged, S3 is added -> (1, 1, 1). Loads 1 and 2,
    # one batch (1); a file of another ledger after them takes 3.
    header = "场次编号,培训日期,乡镇,培训主题,培训形式\n"
    first = header + "S1,2023-03-01,禾木,直播带货,线下\nS2,2023-04-01,禾木,直播带货,线下\n"
    second = header + "S1,2023-05-20,禾木,直播带货,线下\nS2,2023-04-01,禾木,直播带货,线下\nS3,2023-06-01,禾木,直播带货,线下\n"
    result = ingest.ingest_files(con, [("a.csv", csv_bytes(first)), ("b.csv", csv_bytes(second)),
                                       ("r.csv", csv_bytes("月份,全县网络零售额,农产品网络零售额\n2023-01,100,40\n"))])
    assert result.committed
    assert [(o.load_id, o.added, o.replaced, o.unchanged) for o in result.outcomes] == [
        (1, 2, 0, 0), (2, 1, 1, 1), (3, 1, 0, 0)]
    assert rows(con, "SELECT load_id, batch_id FROM loads ORDER BY 1") == [(1, 1), (2, 1), (3, 1)]
    assert rows(con, "SELECT session_id, date FROM training_sessions ORDER BY 1") == [
        ("S1", dt.date(2023, 5, 20)), ("S2", dt.date(2023, 4, 1)), ("S3", dt.date(2023, 6, 1))]
    # Both again: the first puts S1's 03-01 back (replaced 1, S2 unchanged; load 4), the second S1's 05-20 (replaced
    # 1, S2 and S3 unchanged; load 5). Then the retail file again (unchanged: no number, names load 3) and a new
    # session (load 6: no gap left by the unchanged file before it).
    again = ingest.ingest_files(con, [("a.csv", csv_bytes(first)), ("b.csv", csv_bytes(second))])
    assert [(o.load_id, o.added, o.replaced, o.unchanged) for o in again.outcomes] == [(4, 0, 1, 1), (5, 0, 1, 2)]
    unchanged = ingest.ingest_files(con, [("r2.csv", csv_bytes("月份,全县网络零售额,农产品网络零售额\n2023-01,100,40\n")),
                                          ("a2.csv", csv_bytes(header + "S9,2023-03-01,禾木,直播带货,线下\n"))])
    assert [(o.status, o.load_id) for o in unchanged.outcomes] == [("unchanged", None), ("loaded", 6)]
    assert unchanged.outcomes[0].previous_load == 3


def test_data_version_changes_on_load_and_undo(con):
    v0 = store.data_version(con)
    outcome = load(con, "s1.csv", SESSIONS_V1).outcomes[0]
    v1 = store.data_version(con)
    load(con, "s1.csv", SESSIONS_V1)  # unchanged: same version
    assert store.data_version(con) == v1 > v0
    ingest.undo_checked(con, outcome.load_id)
    assert store.data_version(con) > v1


def test_load_log_records_who_what_when(con):
    outcome = load(con, "s1.csv", SESSIONS_V1).outcomes[0]
    log = ingest.load_log(con)
    row = log.iloc[0]
    assert (row.load_id, row.dataset, row.file_name, row.rows_added, row.loaded_by) == \
           (outcome.load_id, "training_sessions", "s1.csv", 2, "tester")
    assert len(row.sha256) == 64


# -------------------------------------------------------------------------------------- personal data

RAW_ID = "11010519491231002X"  # a well-formed ID number with a valid check digit
RAW_PHONE = "13812340119"


def test_no_raw_id_number_or_phone_in_the_database(con, tmp_path):
    load_fixture(con, "training_sessions")
    result = load(con, "a.csv", f"场次编号,身份证号,姓名,手机号\nS1,{RAW_ID},李四,{RAW_PHONE}\n")
    assert result.committed
    (trainee_id, id_hash, phone) = rows(con, "SELECT trainee_id, id_hash, phone_masked FROM training_attendance")[0]
    assert phone == "138****0119"
    assert trainee_id.startswith("H") and len(id_hash) == 64 and RAW_ID not in id_hash
    con.execute("CHECKPOINT")
    raw = (tmp_path / "test.duckdb").read_bytes()
    for secret in (RAW_ID, RAW_ID[:17], RAW_PHONE):
        assert secret.encode() not in raw and secret.encode("utf-16-le") not in raw
    dump = repr(snapshot(con))
    assert RAW_ID not in dump and RAW_PHONE not in dump


def test_the_same_id_number_gives_the_same_trainee_across_files(con):
    load_fixture(con, "training_sessions")
    load(con, "a.csv", f"场次编号,身份证号\nS1,{RAW_ID}\n")
    load(con, "c.csv", f"身份证号,转化日期,转化类型\n{RAW_ID.lower()},2023-08-01,开设网店\n")
    assert rows(con, "SELECT count(*) FROM conversions c JOIN training_attendance a USING (trainee_id)")[0][0] == 1


def test_error_reports_mask_personal_data(con):
    load_fixture(con, "training_sessions")
    errors = refused(con, "a.csv", f"场次编号,身份证号,手机号\nS1,{RAW_ID[:-1]},{RAW_PHONE}\nS9,,\n")
    text = " ".join(e.as_text() + str(e.as_row()) for e in errors)
    assert RAW_ID[:-1] not in text and RAW_PHONE not in text
    # 17 characters: the first 4 and last 4 kept, 17 - 8 = 9 masked; enough to find the row, not the person.
    assert "1101*********1002" in text


def test_a_different_hash_key_is_refused(con, monkeypatch):
    load_fixture(con, "training_sessions")
    load(con, "a.csv", f"场次编号,身份证号\nS1,{RAW_ID}\n")
    monkeypatch.setenv("KPI_HASH_KEY", TEST_KEY + "-other")
    errors = refused(con, "a2.csv", f"场次编号,身份证号\nS2,{RAW_ID}\n")
    assert errors[0].code == "key_mismatch"


def test_missing_trainee_identity(con):
    load_fixture(con, "training_sessions")
    (e,) = refused(con, "a.csv", "场次编号,学员编号,身份证号,姓名\nS1,,,王五\n")
    assert (e.code, e.row) == ("missing_trainee", 2)


def test_attendance_needs_trainee_id_or_id_number_column(con):
    (e,) = refused(con, "a.csv", "场次编号,姓名\nS1,王五\n", "training_attendance")
    assert e.code == "missing_one_of"


def test_satisfied_above_the_sample_is_refused_naming_row_column_and_value(con):
    """datasets.md: 满意数 ≤ 样本数. Row 3 says 130 satisfied of 120 asked: an error there, nothing loaded."""
    text = "调查编号,调查日期,调查对象,样本数,满意数\nMY1,2023-06-20,参训学员,100,90\nMY2,2023-07-01,企业,120,130\n"
    result = ingest.ingest_files(con, [("s.csv", text.encode("utf-8"))])
    assert not result.committed
    problems = [e.as_text() for e in result.errors]
    assert any("满意数" in p and "130" in p and "120" in p and "3" in p for p in problems), problems
    assert con.execute("SELECT count(*) FROM satisfaction_surveys").fetchone()[0] == 0


def test_duplicate_keys_checked_in_many_threads_at_once_are_each_files_own():
    """The key check shares one in-memory DuckDB in the process (metrics/load/rules.py): eight sessions' uploads
    checked at once each get their own table's duplicate. File i repeats key K{i} at row 2 + i (the header is row 1,
    K{i} first stands on row 2), so each answer names a different row and key."""
    import threading

    from metrics.core.config import default_config
    from metrics.load.validate import parse_upload

    header = "场次编号,培训日期,乡镇,培训主题,培训形式\n"
    answers: dict[int, list] = {}
    start = threading.Barrier(8)

    def check(i: int) -> None:
        rows = [f"K{i}-{n},2023-05-12,禾木,直播带货,线下\n" for n in range(i + 1)]
        rows.insert(0, f"K{i},2023-05-12,禾木,直播带货,线下\n")
        rows.append(f"K{i},2023-05-13,禾木,直播带货,线下\n")
        content = csv_bytes(header + "".join(rows))
        start.wait()
        for _ in range(5):
            (parsed,) = parse_upload(f"s{i}.csv", content, None, default_config(), TEST_KEY.encode())
            answers.setdefault(i, []).append([(p.code, p.row, p.value, p.params.get("other"))
                                              for p in parsed.problems if p.code == "duplicate_key"])

    threads = [threading.Thread(target=check, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i in range(8):
        # rows: 2 is K{i}, 3 .. 3 + i are K{i}-0 .. K{i}-i, then K{i} again on row 4 + i
        assert answers[i] == [[("duplicate_key", 4 + i, f"K{i}", 2)]] * 5, (i, answers[i])
