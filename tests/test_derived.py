"""The training KPIs read tables derived from the ledgers (metrics/platform/derived.py), and every KPI's values at several
dates are read in one LATERAL query (scorecard.values_at). Both are speed-ups (issue 17) that must never change a
figure: here each is checked against the plain computation from the ledgers, date by date, including after an
undo, a re-key, and on a database made before the derived tables existed.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from metrics.core.config import default_config
from metrics.core.datasets import DATASETS
from metrics.core.registry import KPI_BY_ID, KPIS
from metrics.kpi.scorecard import compute_value, history, month_ends, query_params, values_at
from metrics.load import ingest
from metrics.platform import derived, maintenance, store

from .ledgers import csv_bytes

D = dt.date

# The training KPIs as the plan defines them, straight from the two ledgers: the oracle (what the registry said
# before the derived tables).
_ATTENDED = """SELECT a.trainee_id, s.date FROM training_attendance a JOIN training_sessions s USING (session_id)
               WHERE s.date <= $as_of"""
FROM_LEDGERS = {
    "training_person_times": f"SELECT count(*) FROM ({_ATTENDED})",
    "training_people": f"SELECT count(DISTINCT trainee_id) FROM ({_ATTENDED})",
    "training_conversion_rate": f"""
        WITH attended AS ({_ATTENDED}),
             trainees AS (SELECT trainee_id, min(date) AS first_session FROM attended GROUP BY trainee_id),
             converted AS (SELECT DISTINCT c.trainee_id FROM conversions c JOIN trainees t USING (trainee_id)
                           WHERE c.date >= t.first_session AND c.date <= $as_of)
        SELECT (SELECT count(*) FROM converted) / nullif((SELECT count(*) FROM trainees), 0)""",
}


def from_ledgers(con, kpi_id: str, as_of: dt.date) -> float | None:
    value = store.one(con, FROM_LEDGERS[kpi_id], {"as_of": as_of})[0]
    return None if value is None else float(value)


def one_by_one(con, kpi, as_of: dt.date) -> float | None:
    """The KPI's own query run for one date, the plain way."""
    value = store.one(con, kpi.sql, query_params(kpi.sql, as_of, default_config()))[0]
    return None if value is None else float(value)


def random_training(seed: int) -> tuple[str, str, str]:
    """Sessions over 2023-2024 (some after the as-of dates tested), trainees attending one to several sessions, and
    conversions before, on and after a trainee's first session (only on/after it counts)."""
    rng = random.Random(seed)
    start = D(2022, 11, 1)
    sessions = [(f"S{i}", start + dt.timedelta(days=rng.randrange(0, 760))) for i in range(25)]
    lines = ["场次编号,培训日期,乡镇,培训主题,培训形式"] + [f"{sid},{day},禾木,直播带货,线下" for sid, day in sessions]
    attendance = ["场次编号,学员编号"]
    for t in range(60):
        for sid, _ in rng.sample(sessions, rng.randint(1, 4)):
            attendance.append(f"{sid},T{t}")
    conversions = ["学员编号,转化日期,转化类型"]
    for t in rng.sample(range(70), 30):  # T60-T69 never attended: they must not count
        conversions.append(f"T{t},{start + dt.timedelta(days=rng.randrange(0, 760))},电商企业就业")
    return "\n".join(lines) + "\n", "\n".join(attendance) + "\n", "\n".join(conversions) + "\n"


def load(con, *texts):
    result = ingest.ingest_files(con, [(f"f{i}.csv", csv_bytes(t)) for i, t in enumerate(texts)])
    assert result.committed, [e.as_text() for e in result.errors]
    return result


DATES = month_ends(D(2022, 10, 1), D(2025, 1, 31)) + [D(2023, 3, 15), D(2024, 2, 29), D(2022, 1, 1)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_training_kpis_from_the_derived_tables_equal_the_ledgers(con, seed):
    load(con, *random_training(seed))
    config = default_config()
    for kpi_id in FROM_LEDGERS:
        for day in DATES:
            assert compute_value(con, KPI_BY_ID[kpi_id], day, config)[0] == from_ledgers(con, kpi_id, day), \
                (kpi_id, day)


def test_the_oracle_is_not_trivial(con):
    # Hand-computed on a tiny ledger, so the comparison above compares real numbers: S1 (2023-03-01) A, B;
    # S2 (2023-06-01) A, C. As of 2023-06-30: 4 attendances, 3 people (A, B, C). A converted on 2023-05-01 (after
    # A's first session 03-01: counts), B on 2023-02-01 (before B's first session: does not) -> 1 / 3.
    load(con, "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-03-01,禾木,直播带货,线下\nS2,2023-06-01,禾木,网店运营,线下\n",
         "场次编号,学员编号\nS1,A\nS1,B\nS2,A\nS2,C\n",
         "学员编号,转化日期,转化类型\nA,2023-05-01,电商企业就业\nB,2023-02-01,电商企业就业\n")
    config = default_config()
    day = D(2023, 6, 30)
    assert compute_value(con, KPI_BY_ID["training_person_times"], day, config)[0] == 4 == from_ledgers(
        con, "training_person_times", day)
    assert compute_value(con, KPI_BY_ID["training_people"], day, config)[0] == 3
    assert compute_value(con, KPI_BY_ID["training_conversion_rate"], day, config)[0] == pytest.approx(1 / 3)
    # As of 2023-04-30 only S1: 2 attendances, 2 people, A's conversion (05-01) is later -> 0 / 2.
    assert compute_value(con, KPI_BY_ID["training_conversion_rate"], D(2023, 4, 30), config)[0] == 0


def test_every_kpi_at_many_dates_in_one_query_equals_its_query_date_by_date(demo_db):
    con = store.connect(demo_db, read_only=True)
    config = default_config()
    try:
        for kpi in KPIS:
            together = values_at(con, kpi, DATES, config)
            assert sorted(together) == sorted(set(DATES))
            for day in DATES:
                assert together[day][0] == one_by_one(con, kpi, day), (kpi.id, day)
            assert [p["value"] for p in history(con, kpi.id, D(2024, 10, 31), config)] == [
                one_by_one(con, kpi, day) for day in month_ends(config.start, D(2024, 10, 31))], kpi.id
    finally:
        con.close()


def derived_rows(con) -> dict:
    return {table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=str) for table in derived._TABLES}


def rebuilt_rows(con) -> dict:
    return {table: sorted(con.execute(d.select).fetchall(), key=str) for table, d in derived._TABLES.items()}


def test_an_undo_keeps_the_derived_tables_in_step(con):
    sessions, attendance, conversions = random_training(7)
    load(con, sessions, attendance, conversions)
    before = derived_rows(con)
    assert before == rebuilt_rows(con) and before["derived_attendance_by_date"]
    # A second attendance file adds rows; its undo must bring the derived tables back exactly.
    extra = load(con, "场次编号,学员编号\nS0,NEW1\nS1,NEW2\nS1,NEW3\n")
    assert derived_rows(con) == rebuilt_rows(con) != before
    assert ingest.undo(con, extra.outcomes[0].load_id).ok
    assert derived_rows(con) == before


def test_a_key_rotation_rewrites_trainee_ids_and_the_derived_tables_follow(tmp_path, monkeypatch):
    # Trainees known only by ID number get ids made from its hash ('H…'); rotating the key rewrites them.
    monkeypatch.delenv("KPI_HASH_KEY")
    key_file = tmp_path / "hash_key"
    monkeypatch.setenv("KPI_HASH_KEY_FILE", str(key_file))
    con = store.connect(tmp_path / "rotate.duckdb")
    load(con, "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-03-01,禾木,直播带货,线下\n",
         "场次编号,身份证号\nS1,110101199003070011\nS1,110101199003070054\n")
    ids = {r[0] for r in con.execute("SELECT trainee_id FROM derived_trainee_first_session").fetchall()}
    assert len(ids) == 2 and all(i.startswith("H") for i in ids)
    assert maintenance.rotate_key(con, key_file) == 2
    after = {r[0] for r in con.execute("SELECT trainee_id FROM derived_trainee_first_session").fetchall()}
    assert derived_rows(con) == rebuilt_rows(con) and after != ids and len(after) == 2
    con.close()


def test_a_database_from_before_the_derived_tables_gets_them_on_opening(tmp_path):
    path = tmp_path / "old.duckdb"
    con = store.connect(path)
    load(con, *random_training(4))
    expected = derived_rows(con)
    # As an earlier version left it: no derived tables, no derived_version.
    for table in derived._TABLES:
        con.execute(f"DROP TABLE {table}")
    con.execute("DELETE FROM meta WHERE key IN ('derived_version', 'schema_fingerprint')")
    con.close()
    store._migrated.discard(str(path))  # a new process
    con = store.connect(path)
    try:
        assert derived_rows(con) == expected
    finally:
        con.close()


def test_a_column_added_to_the_contract_reaches_a_database_made_before_it(tmp_path, monkeypatch):
    # The schema's fast path (a database already made by this schema opens without DDL) must not skip a migration:
    # a column the contract gains later changes the schema fingerprint, so the next opening adds it.
    from dataclasses import replace

    from metrics.core import datasets

    path = tmp_path / "before.duckdb"
    store.connect(path).close()
    brands = datasets.DATASETS["brands"]
    extra = replace(brands.columns[-1], key="added_later", zh="后加列")
    monkeypatch.setitem(datasets.DATASETS, "brands", replace(brands, columns=(*brands.columns, extra)))
    store._migrated.discard(str(path))  # a new process, running the newer contract
    con = store.connect(path)
    try:
        columns = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'brands'")
                   .fetchall()}
        assert "added_later" in columns
    finally:
        con.close()


# ------------------------------------------------------------- only the derived tables a change reaches are rebuilt

def tables_named(con, sql: str) -> set[str]:
    """The tables a query reads, as DuckDB's own parser sees them: every table reference in its syntax tree (at any
    depth: joins, subqueries, CTEs), less the names of its CTEs."""
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])
    assert not tree["error"], tree
    named, ctes = set(), set()

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE":
                named.add(node["table_name"])
            for entry in (node.get("cte_map") or {}).get("map", []):
                ctes.add(entry["key"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return named - ctes


def test_each_derived_table_declares_exactly_the_tables_its_sql_reads(con):
    for table, d in derived._TABLES.items():
        assert d.reads == tables_named(con, d.select), table
        earlier = list(derived._TABLES)[:list(derived._TABLES).index(table)]
        assert d.reads <= set(DATASETS) | set(earlier), table  # a ledger, or a derived table built before it
    # The parser really finds tables, CTEs aside, at any depth: so a source added to a query cannot hide.
    assert tables_named(con, "WITH c AS (SELECT * FROM a) SELECT * FROM c JOIN b USING (x) "
                             "WHERE EXISTS (SELECT 1 FROM d)") == {"a", "b", "d"}


def marked(con) -> dict[str, bool]:
    """Per derived table, whether the marker row planted by plant_marker is still there (no rebuild since)."""
    return {table: bool(con.execute(f"SELECT count(*) FROM {table} WHERE CAST({column} AS VARCHAR) = "
                                    f"'1999-09-09'").fetchall()[0][0]) for table, column in MARKER_COLUMN.items()}


MARKER_COLUMN = {"derived_attendance_by_date": "date", "derived_person": "trainee_id",
                 "derived_trainee_first_session": "first_session"}


def plant_marker(con) -> None:
    con.execute("INSERT INTO derived_attendance_by_date VALUES ('1999-09-09', 1)")
    con.execute("INSERT INTO derived_person VALUES ('1999-09-09', 'x', 'trainee_id')")
    con.execute("INSERT INTO derived_trainee_first_session VALUES ('x', '1999-09-09', NULL)")


def without_marker(rows: dict) -> dict:
    return {table: [r for r in found if "1999-09-09" not in map(str, r)] for table, found in rows.items()}


SESSIONS = "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-03-01,禾木,直播带货,线下\nS2,2023-06-01,禾木,网店运营,线下\n"
RETAIL = "月份,全县网络零售额,农产品网络零售额\n2023-01,100,40\n2023-02,120,50\n"


def test_a_load_rebuilds_only_the_derived_tables_that_read_its_ledger(con):
    D1, D2, D7 = D(2023, 3, 1), D(2023, 6, 1), D(2023, 7, 1)
    load(con, SESSIONS, "场次编号,学员编号\nS1,A\nS1,B\nS2,A\n", "学员编号,转化日期,转化类型\nA,2023-05-01,电商企业就业\n")
    # By hand: S1 (03-01) has A and B, S2 (06-01) has A -> 2 attendances on 03-01, 1 on 06-01. A and B are their own
    # persons; both first attend on 03-01; A converts on 05-01 (after 03-01: kept), B never.
    trained = {"derived_attendance_by_date": [(D1, 2), (D2, 1)],
               "derived_person": [("A", "A", "trainee_id"), ("B", "B", "trainee_id")],
               "derived_trainee_first_session": [("A", D1, D(2023, 5, 1)), ("B", D1, None)]}
    assert derived_rows(con) == trained
    # A retail ledger feeds none of them: not one is rebuilt (the planted rows survive) and they stay as they were.
    plant_marker(con)
    retail = load(con, RETAIL)
    assert marked(con) == dict.fromkeys(MARKER_COLUMN, True)
    assert without_marker(derived_rows(con)) == trained
    assert ingest.undo(con, retail.outcomes[0].load_id).ok  # nor is its undo
    assert marked(con) == dict.fromkeys(MARKER_COLUMN, True)
    # A conversion of B on 07-01 (after B's first session): derived_person and derived_trainee_first_session read
    # conversions and are rebuilt; derived_attendance_by_date does not (its planted row stays, its rows are right).
    conversion = load(con, "学员编号,转化日期,转化类型\nB,2023-07-01,开设网店\n")
    assert marked(con) == {"derived_attendance_by_date": True, "derived_person": False,
                           "derived_trainee_first_session": False}
    converted = dict(trained, derived_trainee_first_session=[("A", D1, D(2023, 5, 1)), ("B", D1, D7)])
    assert without_marker(derived_rows(con)) == converted
    con.execute("DELETE FROM derived_attendance_by_date WHERE date = '1999-09-09'")
    assert derived_rows(con) == rebuilt_rows(con) == converted
    # Attendance of a new trainee C at S2 (06-01): every table reads attendance. 06-01 now has 2; C is a person
    # first attending on 06-01, not converted.
    attendance = load(con, "场次编号,学员编号\nS2,C\n")
    attended = {"derived_attendance_by_date": [(D1, 2), (D2, 2)],
                "derived_person": [("A", "A", "trainee_id"), ("B", "B", "trainee_id"), ("C", "C", "trainee_id")],
                "derived_trainee_first_session": [("A", D1, D(2023, 5, 1)), ("B", D1, D7), ("C", D2, None)]}
    assert derived_rows(con) == rebuilt_rows(con) == attended
    # Undo in turn: each brings the derived tables back to the state before its load.
    assert ingest.undo(con, attendance.outcomes[0].load_id).ok
    assert derived_rows(con) == converted
    assert ingest.undo(con, conversion.outcomes[0].load_id).ok
    assert derived_rows(con) == rebuilt_rows(con) == trained


def test_a_whole_ledger_replace_that_only_removes_rows_rebuilds_what_reads_it(con):
    # 以本文件为准 with a file holding only S1 of A's attendance: B's row is removed (no row added or replaced),
    # so only the removal changed the ledger; the derived tables must still follow: 1 attendance on 03-01, A only.
    load(con, SESSIONS, "场次编号,学员编号\nS1,A\nS1,B\n")
    result = ingest.ingest_files(con, [("a.csv", csv_bytes("场次编号,学员编号\nS1,A\n"))], replace=True)
    assert result.committed and result.outcomes[0].removed == 1
    assert derived_rows(con) == rebuilt_rows(con)
    assert derived_rows(con)["derived_attendance_by_date"] == [(D(2023, 3, 1), 1)]


def test_a_caller_that_does_not_say_what_changed_rebuilds_everything(con):
    load(con, SESSIONS, "场次编号,学员编号\nS1,A\n")
    plant_marker(con)
    store.bump_data_version(con)  # e.g. the demo region, or a re-key: all three rebuilt
    assert marked(con) == dict.fromkeys(MARKER_COLUMN, False)
    assert derived.refresh(con, ["online_retail"]) == []
    assert derived.refresh(con, ["conversions"]) == ["derived_person", "derived_trainee_first_session"]
