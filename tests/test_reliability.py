"""Faults and attacks: a load killed mid-way, concurrent writers, backups, hostile files, key rotation."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from metrics.kpi.scorecard import scorecard
from metrics.load import ingest, reader
from metrics.platform import maintenance, privacy, store

from .ledgers import TEST_KEY, csv_bytes, snapshot

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "KPI_HASH_KEY": TEST_KEY, "PYTHONPATH": str(ROOT)}


def big_subsidy_csv(path: Path, rows: int, start: int = 0) -> Path:
    lines = ["运单号,发货日期,企业,补贴金额（元）"]
    lines += [f"W{start + i},2023-{1 + i % 12:02d}-{1 + i % 28:02d},企业{i % 50},{3 + i % 9}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def counts(db: Path) -> tuple[int, int]:
    con = store.connect(db)
    try:
        return (store.one(con, "SELECT count(*) FROM logistics_subsidies")[0],
                store.one(con, "SELECT count(*) FROM loads")[0])
    finally:
        con.close()


def cli(db: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "metrics", "--db", str(db), *args], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


# ------------------------------------------------------------------------------------ crash mid-load

@pytest.mark.slow  # subprocesses and timing, or hundreds of fuzzed files
@pytest.mark.parametrize("kill_after", [0.4, 0.9, 1.6, 2.5])
def test_a_load_killed_with_sigkill_leaves_the_state_before_it(tmp_path, kill_after):
    db = tmp_path / "crash.duckdb"
    proc = cli(db, "ingest", str(big_subsidy_csv(tmp_path / "first.csv", 2000)))
    assert proc.wait(60) == 0
    before = counts(db)
    assert before == (2000, 1)
    big = big_subsidy_csv(tmp_path / "big.csv", 150_000, start=10_000)
    proc = cli(db, "ingest", str(big))
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    after = counts(db)  # the database opens cleanly (DuckDB replays or discards its WAL)
    # Either the kill came first (nothing of the load) or the commit did (all of it): never part of it.
    assert after in (before, (152_000, 2)), after


# -------------------------------------------------------------------------------------- concurrency

@pytest.mark.slow  # subprocesses and timing, or hundreds of fuzzed files
def test_two_writers_at_once_both_commit_whole_or_one_is_told_why(tmp_path):
    db = tmp_path / "two.duckdb"
    store.connect(db).close()
    a = cli(db, "ingest", str(big_subsidy_csv(tmp_path / "a.csv", 60_000, start=0)))
    b = cli(db, "ingest", str(big_subsidy_csv(tmp_path / "b.csv", 60_000, start=100_000)))
    results = [(p.wait(120), p.communicate()) for p in (a, b)]
    loaded = sum(60_000 for code, _ in results if code == 0)
    for code, (_out, err) in results:
        assert code == 0 or "数据库正被另一个程序写入" in err, err  # busy: said plainly, not a traceback
        assert "Traceback" not in err
    assert counts(db) == (loaded, loaded // 60_000)


@pytest.mark.slow  # subprocesses and timing, or hundreds of fuzzed files
def test_readers_never_see_half_a_load(tmp_path):
    db = tmp_path / "readers.duckdb"
    store.connect(db).close()
    writer = cli(db, "ingest", str(big_subsidy_csv(tmp_path / "w.csv", 120_000)))
    seen = set()
    deadline = time.monotonic() + 60
    while writer.poll() is None and time.monotonic() < deadline:
        try:
            con = store.connect(db, retries=0)
        except store.StoreBusy:
            time.sleep(0.05)
            continue
        try:
            seen.add(store.one(con, "SELECT count(*) FROM logistics_subsidies")[0])
        finally:
            con.close()
        time.sleep(0.05)
    assert writer.wait(60) == 0
    seen.add(counts(db)[0])
    assert seen <= {0, 120_000}, seen


# ------------------------------------------------------------------------------------------- backups

def test_backup_and_restore_give_the_same_scorecard(tmp_path, demo_template):
    import shutil

    db = shutil.copyfile(demo_template, tmp_path / "live.duckdb")  # the demo loaded (load_demo), the run's copy
    con = store.connect(db)
    original = [(r.id, r.value, r.status) for r in scorecard(con)]
    con.close()
    copy = maintenance.backup(db, tmp_path / "backups")
    con = store.connect(db)  # then something goes wrong: a load is undone by mistake
    assert ingest.undo_checked(con, 6).ok
    assert [(r.id, r.value, r.status) for r in scorecard(con)] != original
    con.close()
    kept = maintenance.restore(copy, db)
    assert kept is not None and kept.exists()  # the replaced database is kept, never lost
    con = store.connect(db)
    assert [(r.id, r.value, r.status) for r in scorecard(con)] == original
    con.close()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    db = tmp_path / "live.duckdb"
    store.connect(db).close()
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_bytes(b"not a database")
    with pytest.raises(maintenance.MaintenanceError):
        maintenance.restore(bogus, db)
    assert maintenance.verify(db)["training_sessions"] == 0  # untouched


# ------------------------------------------------------------------------------------ hostile input

def test_an_xlsx_that_expands_to_gigabytes_is_refused_without_reading_it(con, monkeypatch):
    monkeypatch.setattr(reader, "MAX_UNZIPPED_BYTES", 5 * 2**20)  # the same check, at a size a test can build
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 2**20))  # 20 MB of zeros: ~20 KB zipped
    assert len(buffer.getvalue()) < 100_000
    before = snapshot(con)
    result = ingest.ingest_files(con, [("bomb.xlsx", buffer.getvalue())])
    assert not result.committed and result.errors[0].code == "too_large"
    assert snapshot(con) == before


def test_a_file_over_the_size_limit_is_refused(con, monkeypatch):
    from metrics.load import validate

    monkeypatch.setattr(validate, "MAX_FILE_BYTES", 1000)
    result = ingest.ingest_files(con, [("big.csv", csv_bytes("运单号,发货日期,企业,补贴金额\n" + "W1,2023-01-01,甲,1\n" * 100))])
    assert not result.committed and result.errors[0].code == "too_large"
    assert "上限" in result.errors[0].message()


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

CELLS = st.one_of(st.text(max_size=40), st.integers(-10**12, 10**12).map(str), st.sampled_from(
    ["", " ", "2023-13-40", "2023年5月12日", "1.2万", "是", "禾木", "线上", "=1+1", "\x00", "﻿", "９９", "-0", "1e309"]))


@pytest.mark.slow  # subprocesses and timing, or hundreds of fuzzed files
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELLS, min_size=0, max_size=9), max_size=12),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
       cut=st.one_of(st.none(), st.integers(0, 400)),
       header=st.sampled_from(["场次编号,培训日期,乡镇,培训主题,培训形式", "运单号,发货日期,企业,补贴金额（元）",
                               "月份,全县网络零售额,农产品网络零售额", "达人编号,平台,日期,粉丝数", ""]))
def test_fuzzed_ledgers_never_raise_and_never_half_load(con, rows, encoding, cut, header):
    text = header + "\n" + "\n".join(",".join(r) for r in rows)
    try:
        content = text.encode(encoding, errors="replace")
    except UnicodeError:
        content = text.encode("utf-8", errors="replace")
    if cut is not None:
        content = content[:cut]  # a truncated upload
    before = snapshot(con)
    result = ingest.ingest_files(con, [("fuzz.csv", content)])  # must not raise, whatever the bytes
    if result.committed:
        assert not result.errors
    else:
        assert result.errors and snapshot(con) == before


# ------------------------------------------------------------------------------------- personal data

RAW_ID = "11010519491231002X"


def test_rotating_the_key_rekeys_hashes_and_keeps_people_matched(tmp_path, monkeypatch):
    monkeypatch.delenv("KPI_HASH_KEY")
    key_file = tmp_path / "hash_key"
    monkeypatch.setenv("KPI_HASH_KEY_FILE", str(key_file))
    con = store.connect(tmp_path / "rotate.duckdb")
    sessions = "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-03-01,禾木,直播带货,线下\nS2,2023-05-01,禾木,直播带货,线下\n"
    assert ingest.ingest_files(con, [("s.csv", csv_bytes(sessions)),
                                     ("a.csv", csv_bytes(f"场次编号,身份证号\nS1,{RAW_ID}\n"))]).committed
    (old_id, old_hash), = con.execute("SELECT trainee_id, id_hash FROM training_attendance").fetchall()
    assert maintenance.rotate_key(con, key_file) == 1
    (new_id, new_hash), = con.execute("SELECT trainee_id, id_hash FROM training_attendance").fetchall()
    assert new_hash != old_hash and new_id != old_id and new_id == "H" + new_hash[:16]
    assert (tmp_path / "hash_key.previous").exists() and len(key_file.read_text().split()) == 2
    # The same person in a later ledger still matches: new ID numbers go through the whole key chain.
    assert ingest.ingest_files(con, [("a2.csv", csv_bytes(f"场次编号,身份证号\nS2,{RAW_ID}\n"))]).committed
    assert store.one(con, "SELECT count(DISTINCT trainee_id) FROM training_attendance")[0] == 1
    # And a database re-keyed refuses a key file that lost the rotation.
    key_file.write_text(key_file.read_text().split()[0])
    result = ingest.ingest_files(con, [("a3.csv", csv_bytes(f"场次编号,身份证号\nS1,{RAW_ID}\n"))])
    assert not result.committed and result.errors[0].code == "key_mismatch"
    con.close()


def test_problem_report_workbook_masks_personal_data(con):
    from metrics.load.problem_report import problem_workbook

    content = csv_bytes(f"场次编号,身份证号,手机号\nS9,{RAW_ID},13812340119\n")
    result = ingest.ingest_files(con, [("a.csv", content)])
    workbook = problem_workbook("a.csv", content, result.problems)
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(workbook))
    cells = " ".join(str(v) for name in book.sheet_names
                     for row in book.get_sheet_by_name(name).to_python() for v in row)
    assert RAW_ID not in cells and "13812340119" not in cells
    assert "S9" in cells and "138****0119" in cells


def test_the_key_file_is_never_in_git():
    ignored = subprocess.run(["git", "check-ignore", "data/.hash_key", "data/kpi.duckdb", ".streamlit/secrets.toml"],
                             cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert ignored == ["data/.hash_key", "data/kpi.duckdb", ".streamlit/secrets.toml"]
    assert privacy.DEFAULT_KEY_FILE == ROOT / "data" / ".hash_key"
