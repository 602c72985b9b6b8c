"""The command line: exit codes, summaries, the full report on refusal, never a traceback; templates; demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from metrics.__main__ import main
from metrics.core.datasets import DATASETS
from metrics.demo import demo_files
from metrics.load import ingest
from metrics.platform import store

from .ledgers import FIXTURES, TEST_KEY

ROOT = Path(__file__).resolve().parent.parent


def run(db, *args, capsys):
    code = main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_success_prints_one_line_per_file(tmp_path, capsys):
    db = tmp_path / "k.duckdb"
    code, out, _ = run(db, "ingest", str(FIXTURES / "happy" / "training_sessions.csv"),
                       str(FIXTURES / "happy" / "training_attendance.csv"), capsys=capsys)
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("已导入")]
    assert len(lines) == 2 and "新增 3 行" in lines[0]


def test_ingest_refusal_exit_1_with_the_report(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-05-12,北屯镇,直播带货,线下\n", encoding="gbk")
    code, _, err = run(tmp_path / "k.duckdb", "ingest", "training_sessions", str(bad), capsys=capsys)
    assert code == 1
    assert "第 2 行" in err and "北屯镇" in err and "未导入" in err


def test_ingest_usage_errors_exit_2(tmp_path, capsys):
    code, _, err = run(tmp_path / "k.duckdb", "ingest", str(tmp_path / "missing.csv"), capsys=capsys)
    assert code == 2 and "找不到文件" in err
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(tmp_path / "k.duckdb"), "frobnicate"])
    assert exc.value.code == 2


def test_loads_and_undo(tmp_path, capsys):
    db = tmp_path / "k.duckdb"
    run(db, "ingest", str(FIXTURES / "happy" / "assets.csv"), capsys=capsys)
    code, out, _ = run(db, "loads", capsys=capsys)
    assert code == 0 and "assets.csv" in out and "有效" in out
    code, out, _ = run(db, "undo", "1", capsys=capsys)
    assert code == 0 and "已撤销导入 1" in out
    code, _, err = run(db, "undo", "1", capsys=capsys)
    assert code == 1 and "已于" in err


def test_english_output(tmp_path, capsys):
    code, out, _ = run(tmp_path / "k.duckdb", "--lang", "en", "ingest", str(FIXTURES / "happy" / "assets.csv"),
                       capsys=capsys)
    assert code == 0 and out.startswith("loaded assets.csv (Fixed assets): 2 added")


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_no_traceback_for_a_garbage_file_in_a_real_process(tmp_path):
    garbage = tmp_path / "ledger.xlsx"
    garbage.write_bytes(os.urandom(2000))
    env = {**os.environ, "KPI_HASH_KEY": TEST_KEY, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "metrics", "--db", str(tmp_path / "k.duckdb"), "ingest", str(garbage)],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "不是有效的 Excel" in proc.stderr


def test_templates_are_loadable_ledgers(tmp_path, capsys):
    """Every template, as written, loads cleanly: its example row passes the same validation as a clerk's file."""
    code, out, _ = run(tmp_path / "k.duckdb", "templates", str(tmp_path / "t"), capsys=capsys)
    assert code == 0
    paths = sorted((tmp_path / "t").glob("*.xlsx"))
    assert len(paths) == len(DATASETS)  # one template per ledger of the contract
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(paths[0]))
    assert book.sheet_names[1] == "填写说明"
    con = store.connect(tmp_path / "t.duckdb")
    result = ingest.ingest_paths(con, paths)
    assert result.committed, [e.as_text() for e in result.errors]
    assert all(o.added == 1 for o in result.outcomes)  # one example row per dataset


def test_demo_fills_every_dataset_and_is_labelled(tmp_path, capsys):
    db = tmp_path / "k.duckdb"
    code, out, _ = run(db, "demo", capsys=capsys)
    assert code == 0
    con = store.connect(db)
    counts = store.row_counts(con)
    assert all(counts[name] > 0 for name in DATASETS), counts
    assert counts["training_attendance"] > 4000 and counts["logistics_subsidies"] > 5000
    assert store.demo_loaded(con)
    assert len(demo_files()) == len(DATASETS)  # one demo file per ledger
    con.close()
    code, out, _ = run(db, "demo", capsys=capsys)  # a second time: nothing changes
    assert code == 0 and out.count("未做任何更改") == len(DATASETS)


def test_demo_if_empty_loads_only_into_a_database_never_loaded_into(tmp_path, capsys):
    """scripts/start.sh runs `demo --if-empty` before the server listens (issue 17: the first visit waited for it)."""
    fresh = tmp_path / "fresh.duckdb"
    assert run(fresh, "demo", "--if-empty", capsys=capsys)[0] == 0
    con = store.connect(fresh)
    assert store.demo_loaded(con) and store.one(con, "SELECT count(*) FROM loads")[0] == len(demo_files())  # one load per file
    con.close()
    assert run(fresh, "demo", "--if-empty", capsys=capsys)[0] == 0  # a restart: no second batch of demo loads
    con = store.connect(fresh)
    assert store.one(con, "SELECT count(*) FROM loads")[0] == 18
    con.close()
    real = tmp_path / "real.duckdb"  # a county that loaded its own ledgers (and undid the demo) gets no demo back
    run(real, "ingest", str(FIXTURES / "happy" / "training_sessions.csv"), capsys=capsys)
    assert run(real, "demo", "--if-empty", capsys=capsys)[0] == 0
    con = store.connect(real)
    assert not store.demo_loaded(con) and store.one(con, "SELECT count(*) FROM loads")[0] == 1
    con.close()
    start = (ROOT / "scripts" / "start.sh").read_text()
    assert 0 <= start.index("-m metrics demo --if-empty") < start.index("-m streamlit run")
