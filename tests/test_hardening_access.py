"""Issue 18, continued from tests/test_hardening.py: the attacks on data and access, each as it was tried and what must
hold instead (docs/reliability.md): personal data in any column (2), ragged extra columns (8), the import page and
signing in (6, 7, 9), the command line's output (10, 11), the secrets file and file modes (13, 14)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from metrics.load import ingest
from metrics.platform import store

from .hardening_tools import ATTENDANCE, ROOT, SESSIONS, cli

# ------------------------------------------------------------------------- 2 personal data in any column

ID_NUMBER = "654321196002024445"  # its check digit adds up (privacy.id_number_checksum_ok), as a real one would
SESSION = "场次编号,培训日期,乡镇,培训主题,培训形式\nPX1,2023-03-01,禾木,直播带货,线下\n"


def _ledger_both_ways(tmp_path, files, path: str):
    """Load `files` through the column-wise CSV path, the row-by-row path, or as .xlsx; (result, db bytes)."""
    from metrics.load.validate import ROW_BY_ROW_ONLY

    from .ledgers import xlsx_bytes

    if path == "xlsx":
        files = [(n.replace(".csv", ".xlsx"), xlsx_bytes([line.split(",") for line in c.decode().splitlines()]))
                 for n, c in files]
    token = ROW_BY_ROW_ONLY.set(path == "rows")
    try:
        con = store.connect(tmp_path / f"{path}.duckdb")
        result = ingest.ingest_files(con, files)
        stored = store.query(con, "SELECT * FROM training_attendance")
        con.execute("CHECKPOINT")
        con.close()
    finally:
        ROW_BY_ROW_ONLY.reset(token)
    return result, stored, (tmp_path / f"{path}.duckdb").read_bytes()


RAW_FORMS = (ID_NUMBER.encode(), b"19600202", b"13912345678", b"1234 5678")


@pytest.mark.parametrize("path", ["columns", "rows", "xlsx"])
def test_2_an_id_number_as_trainee_id_is_refused_naming_the_cell(tmp_path, path):
    attendance = f"场次编号,学员编号,姓名\nPX1,T1,甲\nPX1,{ID_NUMBER},乙\n"
    result, stored, raw = _ledger_both_ways(
        tmp_path, [("s.csv", SESSION.encode()), ("a.csv", attendance.encode())], path)
    assert not result.committed and stored.empty
    refusals = [p for p in result.errors if p.code == "pii_in_key"]
    assert [(p.row, p.column) for p in refusals] == [(3, "学员编号")]
    assert "学员编号不能使用身份证号" in refusals[0].as_text("zh") and ID_NUMBER not in refusals[0].as_text("zh")
    assert not any(form in raw for form in RAW_FORMS)


@pytest.mark.parametrize("path", ["columns", "rows", "xlsx"])
def test_2_numbers_in_free_text_and_extras_are_masked_with_a_warning(tmp_path, path):
    attendance = ("场次编号,学员编号,姓名,备注\n"
                  "PX1,T1,王五 13912345678,654321 19600202 4445\n"
                  "PX1,T2,李四,电话 139-1234-5678\n"
                  "PX1,T3,赵六,\n")
    result, stored, raw = _ledger_both_ways(
        tmp_path, [("s.csv", SESSION.encode()), ("a.csv", attendance.encode())], path)
    assert result.committed, [p.as_text() for p in result.errors]
    masked = [(p.row, p.column) for p in result.problems if p.code == "w_pii_masked"]
    assert sorted(masked) == [(2, "备注"), (2, "姓名"), (3, "备注")]
    by_id = stored.set_index("trainee_id")
    assert by_id.loc["T1", "name"] == "王五 139****5678"
    assert "6543**********4445" in by_id.loc["T1", "_extra"] and "139****5678" in by_id.loc["T2", "_extra"]
    assert by_id.loc["T3", "name"] == "赵六"
    assert not any(form in raw for form in RAW_FORMS)


# ------------------------------------------------------------------------------- 8 ragged extra columns

@pytest.mark.parametrize("path", ["columns", "rows"])
@pytest.mark.parametrize("body", [
    "PX1,T1,a,x,\nPX1,T2,b,,\n",  # as tried: the extra filled in some rows (every row as wide as the header)
    "PX1,T1,a,x,\nPX1,T2,b\n",  # the second row shorter than the header
])
def test_8_an_extra_column_filled_in_some_rows_loads_with_the_extra_kept(tmp_path, path, body):
    attendance = "场次编号,学员编号,姓名,备注,序号\n" + body
    result, stored, _ = _ledger_both_ways(tmp_path, [("s.csv", SESSION.encode()), ("a.csv", attendance.encode())],
                                          path)
    assert result.committed, [p.as_text() for p in result.errors]
    extras = dict(zip(stored["trainee_id"], stored["_extra"]))
    assert extras["T1"] == '{"备注": "x"}' and pd.isna(extras["T2"])


# ------------------------------------------------------------- 6, 7, 9 the import page and signing in

TRACKER = "![t](http://127.0.0.1:9/p).png"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def import_db(tmp_path, monkeypatch, ledgers_db):
    from metrics.platform.auth import add_local_account

    path = ledgers_db((("s.csv", SESSIONS), ("a.csv", ATTENDANCE)), "import.duckdb", user="clerk")
    monkeypatch.setenv("KPI_DB", str(path))
    monkeypatch.setenv("KPI_SECRETS", str(tmp_path / "secrets.toml"))
    add_local_account("clerk", "a long password", "editor", "李会计")
    return path


def viewer_import_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state["as_of"] = dt.date(2023, 6, 30)
    at.run()
    at.switch_page("pages/data_import.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_6_9_and_7_the_import_page_shows_evidence_as_plain_metadata_and_no_login_names(import_db, monkeypatch):
    from metrics import actions
    from metrics.platform.auth import User

    editor = User("clerk", "李会计", "editor", "local")
    con = store.connect(import_db)
    actions.attach_evidence(con, editor, 1, TRACKER, PNG)
    actions.attach_evidence(con, editor, 2, "签到表.png", PNG + b"2" * 3_000_000)
    con.close()
    reads = []
    real = actions.evidence_content
    monkeypatch.setattr(actions, "evidence_content", lambda con, sha: reads.append(sha) or real(con, sha))
    at = viewer_import_page()
    # 9: listing the evidence read no file's bytes (they are read when a download button is clicked).
    assert reads == []
    # 6: the name is shown as written, in a plain-text element; no markdown anywhere carries its link.
    texts = [t.value for t in at.text]
    assert any(TRACKER in t for t in texts), texts
    markdown = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.success]
    assert not any("](http" in m for m in markdown)
    # 7: viewers see the loader's display name, never the login a guesser could try.
    shown = " ".join(str(df.value.to_dict()) for df in at.dataframe) + " ".join(texts)
    assert "李会计" in shown and "clerk" not in shown


def test_7_passwords_are_hashed_at_the_shipped_cost():
    """The server hashes with 600,000 rounds of PBKDF2-SHA256 (OWASP's 2023 figure); the tests' accounts use fewer
    (tests/conftest.py), and a new account and the decoy read the cost at each hash, so the shipped one is used."""
    from metrics.platform import auth

    from .conftest import PRODUCTION_PBKDF2_ROUNDS

    assert PRODUCTION_PBKDF2_ROUNDS >= 600_000
    assert auth.hash_password("pw").startswith(f"pbkdf2_sha256${auth.PBKDF2_ROUNDS}$")
    assert auth._decoy_hash().startswith(f"pbkdf2_sha256${auth.PBKDF2_ROUNDS}$")


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_7_an_unknown_login_costs_as_much_as_a_wrong_password(tmp_path, production_password_cost):
    from metrics.platform.auth import add_local_account, authenticate

    secrets = tmp_path / "secrets.toml"
    add_local_account("zhangsan", "the right password", "editor", "张三", secrets)

    def seconds(login: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            assert authenticate(login, "a wrong guess", secrets) is None
            times.append(time.perf_counter() - start)
        return sorted(times)[1]

    existing, missing = seconds("zhangsan"), seconds("nobody")
    assert missing > 0.5 * existing, (existing, missing)  # was 0.6 ms against 138 ms


def test_7_repeated_failures_back_off_per_account_and_per_client_and_are_logged(tmp_path, caplog):
    import logging

    from metrics.platform.auth import LoginThrottle, add_local_account, sign_in

    secrets = tmp_path / "secrets.toml"
    add_local_account("zhangsan", "the right password", "editor", "张三", secrets)
    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="metrics.platform.auth")
    waits = []
    for _ in range(LoginThrottle.FREE_FAILURES + 1):
        user, wait = sign_in("zhangsan", "guess", "10.0.0.9", secrets, throttle)
        waits.append(wait)
    assert user is None and waits[:-1] == [0.0] * LoginThrottle.FREE_FAILURES and waits[-1] == 2.0
    assert "sign-in backoff" in caplog.text and "zhangsan" in caplog.text
    # During the backoff even the right password is not checked: 50 guesses in 12.5 s get nowhere.
    assert sign_in("zhangsan", "the right password", "10.0.0.9", secrets, throttle) == (None, 2.0)
    # Per client: the same address trying another account waits too; per account: so does another address.
    assert sign_in("lisi", "guess", "10.0.0.9", secrets, throttle)[1] > 0
    assert sign_in("zhangsan", "guess", "10.0.0.77", secrets, throttle)[1] > 0
    now[0] += 2.5
    user, wait = sign_in("zhangsan", "the right password", "10.0.0.9", secrets, throttle)
    assert user is not None and user.name == "张三" and wait == 0


# -------------------------------------------------------------------- 10, 11 the command line's output

@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_10_sql_csv_neutralises_formulas_as_the_dashboard_does(tmp_path):
    from metrics.kpi.explore import csv_bytes as dashboard_csv

    cells = ["=HYPERLINK(\"http://127.0.0.1:9/x\",\"点这里\")", "@SUM(1+1)*cmd|' /C calc'!A0", "+cmd|' /C calc'!A0",
             "-2+3", "平常的单位"]
    sessions = "场次编号,培训日期,乡镇,培训主题,培训形式,承办单位\n" + "".join(
        f'S{i},2023-03-01,禾木,直播带货,线下,"{c.replace(chr(34), chr(34) * 2)}"\n' for i, c in enumerate(cells))
    db = tmp_path / "k.duckdb"
    con = store.connect(db)
    assert ingest.ingest_files(con, [("s.csv", sessions.encode())]).committed
    con.close()
    done = cli(db, "sql", "SELECT organizer FROM training_sessions ORDER BY session_id", "--csv")
    assert done.returncode == 0, done.stderr
    import csv
    import io

    written = [row[0] for row in csv.reader(io.StringIO(done.stdout))][1:]
    assert written == ["'" + c for c in cells[:4]] + [cells[4]]
    # The same function as the dashboard's download: the same cells.
    import pandas as pd

    dashboard = dashboard_csv(pd.DataFrame({"organizer": cells})).decode("utf-8-sig")
    assert [row[0] for row in csv.reader(io.StringIO(dashboard))][1:] == written


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_11_control_characters_in_a_cell_are_printed_escaped(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("场次编号,培训日期,乡镇,培训主题,培训形式\nS1,\x1b]0;PWNED\x07\x1b[2J\u202eevil,禾木,直播带货,线下\n",
                   encoding="utf-8")
    done = cli(tmp_path / "k.duckdb", "ingest", "training_sessions", str(bad))
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b]0;PWNED\\x07\\x1b[2J" in done.stderr and "第 2 行" in done.stderr
    # A usage error quotes what was typed: escaped too.
    usage = cli(tmp_path / "k.duckdb", "\x1b[2Jfrobnicate")
    assert usage.returncode == 2 and "\x1b" not in usage.stderr and "\\x1b[2Jfrobnicate" in usage.stderr


# ------------------------------------------------------------------------ 13 secrets file, 14 file modes

@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_13_a_name_cannot_break_the_secrets_file_and_the_password_is_asked_twice(tmp_path, monkeypatch):
    import tomllib

    from metrics.platform.auth import authenticate

    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('[auth]\nredirect_uri = "http://127.0.0.1:8501/oauth2callback"\ncookie_secret = "c"\n')
    env = {**os.environ, "KPI_SECRETS": str(secrets)}

    def user_add(*args: str, stdin: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "metrics", "--db", str(tmp_path / "k.duckdb"), "user-add", *args],
                              cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120)

    # As tried: a name ending in a backslash (and a quote, a bracket and a newline for good measure).
    done = user_add("bob", "--name", 'Bob\\', "--role", "editor", stdin="long password 1\nlong password 1\n")
    assert done.returncode == 0, done.stderr
    done = user_add("eve", "--name", 'E"]\n[local_users.eve]\nrole = "admin', stdin="long password 2\nlong password 2\n")
    assert done.returncode == 0, done.stderr
    data = tomllib.loads(secrets.read_text(encoding="utf-8"))  # still parses
    assert data["auth"]["cookie_secret"] == "c"  # everything else kept
    assert data["local_users"]["bob"]["name"] == "Bob\\" and data["local_users"]["eve"]["role"] == "editor"
    assert authenticate("bob", "long password 1", secrets).role == "editor"
    assert (secrets.stat().st_mode & 0o777) == 0o600
    # The password: never an argument; two different entries change nothing.
    before = secrets.read_bytes()
    assert user_add("carol", "--password", "long password 3", stdin="").returncode == 2
    refused = user_add("carol", stdin="long password 3\nlong password 4\n")
    assert refused.returncode == 1 and "不一致" in refused.stderr and secrets.read_bytes() == before
    assert not list(secrets.parent.glob(".secrets-*"))  # no temp file left behind


def test_13_a_write_that_would_not_read_back_leaves_the_old_file(tmp_path, monkeypatch):
    import tomli_w

    from metrics.platform.auth import add_local_account

    secrets = tmp_path / "secrets.toml"
    add_local_account("bob", "long password 1", "editor", "Bob", secrets)
    before = secrets.read_bytes()
    monkeypatch.setattr(tomli_w, "dumps", lambda data: '[local_users.bob]\nname = "Bob\\"\n')
    with pytest.raises(ValueError):
        add_local_account("eve", "long password 2", "editor", "Eve", secrets)
    assert secrets.read_bytes() == before


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_14_database_backups_and_evidence_are_private(tmp_path):
    db = tmp_path / "kpi.duckdb"
    done = cli(db, "ingest", str(ROOT / "tests" / "fixtures" / "happy" / "assets.csv"))
    assert done.returncode == 0, done.stderr
    assert (db.stat().st_mode & 0o777) == 0o600  # the evidence lives inside it
    db.chmod(0o644)  # a file made before this change is tightened on the next open
    assert cli(db, "loads").returncode == 0 and (db.stat().st_mode & 0o777) == 0o600
    backup = cli(db, "backup", str(tmp_path / "backups"))
    assert backup.returncode == 0, backup.stderr
    copy = Path(backup.stdout.strip())
    assert (copy.stat().st_mode & 0o777) == 0o600 and ((tmp_path / "backups").stat().st_mode & 0o077) == 0
    restored = cli(db, "restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    assert (db.stat().st_mode & 0o777) == 0o600
    assert all((f.stat().st_mode & 0o077) == 0 for f in tmp_path.glob("kpi.before-restore-*"))
