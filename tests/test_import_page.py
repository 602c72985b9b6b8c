"""The import page: upload, check, preview, commit; a bad file's report; undo; roles enforced where actions run."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import actions
from metrics.load import ingest
from metrics.platform import store
from metrics.platform.auth import ANONYMOUS, PermissionDenied, User

from .ledgers import csv_bytes, snapshot

ROOT = Path(__file__).resolve().parent.parent
EDITOR = User("clerk", "李会计", "editor", "local")
SESSIONS = "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-03-01,禾木,直播带货,线下\n"
ATTENDANCE = "场次编号,学员编号\nS1,A\nS1,B\nS1,C\n"
MORE = "场次编号,学员编号\nS1,D\nS1,E\n"


@pytest.fixture
def db(tmp_path, monkeypatch, ledgers_db):
    path = ledgers_db((("s.csv", SESSIONS), ("a.csv", ATTENDANCE)), "import.duckdb")
    monkeypatch.setenv("KPI_DB", str(path))
    monkeypatch.setenv("KPI_SECRETS", str(tmp_path / "secrets.toml"))
    return path


def import_page(user: User | None, as_of: dt.date = dt.date(2023, 3, 31)) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.session_state["as_of"] = as_of
    if user is not None:
        at.session_state["user"] = user
        at.session_state["user_seen"] = time.time()
    at.run()
    at.switch_page("pages/data_import.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def person_times(path: Path) -> int:
    con = store.connect(path)
    try:
        return store.one(con, "SELECT count(*) FROM training_attendance")[0]
    finally:
        con.close()


def test_a_good_file_is_previewed_then_committed(db):
    at = import_page(EDITOR)
    at.file_uploader(key="uploads").set_value(("more.csv", csv_bytes(MORE), "text/csv")).run()
    at.button(key="check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # The preview: 2 rows added, and person-times would go from 3 to 5 (A, B, C + D, E) as of 2023-03-31.
    assert [m.value for m in at.metric if m.label == "新增行"] == ["2"]
    preview = next(d.value for d in at.dataframe if "指标" in d.value.columns)  # how the KPIs would move
    row = preview[preview["指标"] == "电商培训人次"].iloc[0]
    assert (row["导入前"], row["导入后"]) == ("3 人次", "5 人次")
    assert person_times(db) == 3  # nothing written by the preview
    at.button(key="commit").click().run()
    assert any("新增 2 行" in s.value for s in at.success)
    assert person_times(db) == 5
    # The overview now shows the new value.
    at.switch_page("pages/overview.py").run()
    assert next(m.value for m in at.metric if m.label == "当前值") == "5 人次"


def test_a_bad_file_shows_the_report_and_changes_nothing(db):
    con = store.connect(db)
    before = snapshot(con)
    con.close()
    at = import_page(EDITOR)
    bad = "场次编号,学员编号\nS9,X\n"  # no session S9
    at.file_uploader(key="uploads").set_value(("bad.csv", csv_bytes(bad), "text/csv")).run()
    at.button(key="check").click().run()
    report = at.dataframe[0].value
    assert list(report.iloc[0][["行号", "列", "值"]]) == [2, "场次编号", "S9"]
    assert "场次编号在培训场次中不存在" in report.iloc[0]["原因"]
    assert any("整批文件都不会导入" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "commit"]
    con = store.connect(db)
    assert snapshot(con) == before
    con.close()


def test_undo_restores_the_state_before(db):
    con = store.connect(db)
    assert ingest.ingest_files(con, [("more.csv", csv_bytes(MORE))]).committed
    con.close()
    assert person_times(db) == 5
    at = import_page(EDITOR)
    at.selectbox(key="undo_target").set_value(3).run()
    at.checkbox(key="undo_confirm").check().run()
    at.button(key="undo").click().run()
    assert any("已撤销导入 3" in s.value for s in at.success)
    assert person_times(db) == 3


def test_a_viewer_cannot_load(db):
    at = import_page(None)
    assert any("查看者只能浏览数据" in i.value for i in at.info)
    assert not [b for b in at.button if b.key in ("check", "commit")]
    assert not [b for b in at.button if b.key == "undo"]


def test_the_actions_refuse_a_viewer_whatever_the_request(db):
    con = store.connect(db)
    before = snapshot(con)
    with pytest.raises(PermissionDenied) as exc:
        actions.load_files(con, ANONYMOUS, [("more.csv", csv_bytes(MORE))])
    assert "没有权限" in exc.value.message()
    for call in (lambda: actions.undo_load(con, ANONYMOUS, 1),
                 lambda: actions.attach_evidence(con, ANONYMOUS, 1, "a.pdf", b"%PDF-1.4"),
                 lambda: actions.set_role(con, EDITOR, "someone@example.org", "admin")):
        with pytest.raises(PermissionDenied):
            call()
    assert snapshot(con) == before
    con.close()


def test_evidence_is_stored_by_hash_and_listed(db):
    con = store.connect(db)
    digest = actions.attach_evidence(con, EDITOR, 1, "签到表.pdf", b"%PDF-1.4 scan")
    again = actions.attach_evidence(con, EDITOR, 2, "copy.pdf", b"%PDF-1.4 scan")  # same content, another load
    assert digest == again
    assert store.one(con, "SELECT count(*) FROM evidence_files")[0] == 1
    listed = actions.evidence_list(con)
    assert list(listed["load_id"]) == [1, 2] and actions.evidence_content(con, digest) == b"%PDF-1.4 scan"
    with pytest.raises(actions.ActionRefused):
        actions.attach_evidence(con, EDITOR, 1, "virus.exe", b"MZ")
    con.close()


def test_local_accounts_sign_in(tmp_path):
    from metrics.platform.auth import add_local_account, authenticate

    path = tmp_path / "secrets.toml"
    add_local_account("clerk", "correct horse", "editor", "李会计", path)
    add_local_account("boss", "another one", "admin", None, path)
    assert authenticate("clerk", "correct horse", path) == User("clerk", "李会计", "editor", "local")
    assert authenticate("clerk", "wrong", path) is None
    assert authenticate("nobody", "correct horse", path) is None
    assert "correct horse" not in path.read_text()
    add_local_account("clerk", "new password", "viewer", "李会计", path)  # replaced, not duplicated
    assert authenticate("clerk", "new password", path).role == "viewer"
    assert authenticate("boss", "another one", path).role == "admin"


def test_sessions_expire(db, monkeypatch):
    from dashboard_ui import session

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.session_state["user"] = EDITOR
    at.session_state["user_seen"] = time.time() - session.IDLE_LIMIT_S - 5
    at.run()
    at.switch_page("pages/data_import.py").run()
    assert any("查看者只能浏览数据" in i.value for i in at.info)


def test_a_corrected_ledger_can_be_made_the_whole_ledger_in_the_preview(db):
    con = store.connect(db)
    assert ingest.ingest_files(con, [("more.csv", csv_bytes(MORE))]).committed  # stored: A, B, C, D, E
    con.close()
    at = import_page(EDITOR)
    # The clerk's corrected sign-in sheet: A to D (E was entered by mistake). It holds 4 of the 5 stored keys
    # (80 %, the least that looks like the whole ledger), so 「以本文件为准」 is offered.
    at.file_uploader(key="uploads").set_value(("a2.csv", csv_bytes("场次编号,学员编号\nS1,A\nS1,B\nS1,C\nS1,D\n"),
                                                "text/csv")).run()
    at.button(key="check").click().run()
    report = next(d.value for d in at.dataframe if "原因" in d.value.columns)
    assert any(r.startswith("库中有 1 行不在本文件中：S1 / E") for r in report["原因"])
    at.checkbox(key="import_replace").check().run()
    assert [m.value for m in at.metric if m.label == "删除行（不在文件中）"] == ["1"]
    # What would be deleted is listed, and the commit waits for the second confirmation.
    deleted = next(d.value for d in at.dataframe if "将删除的行（编号）" in d.value.columns)
    assert deleted["将删除的行（编号）"].tolist() == ["S1 / E"]
    assert at.button(key="commit").disabled
    kpis = next(d.value for d in at.dataframe if "指标" in d.value.columns)
    row = kpis[kpis["指标"] == "电商培训人次"].iloc[0]
    assert (row["导入前"], row["导入后"]) == ("5 人次", "4 人次")  # the preview counts the removal: 5 - 1
    assert person_times(db) == 5  # still a preview
    at.checkbox(key="import_replace_confirm").check().run()
    at.button(key="commit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # file names are shown markdown-escaped (ui.plain): compare the text a person reads
    assert any("已删除库中不在 a2.csv（培训签到）中的 1 行" in s.value.replace("\\", "") for s in at.success)
    assert person_times(db) == 4  # A, B, C, D: 5 - 1


def test_a_file_of_a_few_rows_is_not_offered_as_the_whole_ledger(db):
    at = import_page(EDITOR)
    # 3 stored rows (A, B, C); the file adds F and holds A only: 1 of 3 stored keys (33 % < 80 %). Deleting B and
    # C is not offered; the caption says why.
    at.file_uploader(key="uploads").set_value(("a3.csv", csv_bytes("场次编号,学员编号\nS1,A\nS1,F\n"),
                                                "text/csv")).run()
    at.button(key="check").click().run()
    assert not [c for c in at.checkbox if c.key == "import_replace"]
    assert any("1/3" in c.value and "不像完整台账" in c.value for c in at.caption)


def test_after_an_undo_the_history_and_the_confirm_box_refresh(db):
    con = store.connect(db)
    assert ingest.ingest_files(con, [("more.csv", csv_bytes(MORE))]).committed
    con.close()
    at = import_page(EDITOR)
    at.selectbox(key="undo_target").set_value(3).run()
    at.checkbox(key="undo_confirm").check().run()
    at.button(key="undo").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("已撤销导入 3" in s.value for s in at.success)
    history = next(d.value for d in at.dataframe if "导入编号" in d.value.columns)
    assert history.set_index("导入编号").loc[3, "状态"] == "已撤销"
    assert not at.checkbox(key="undo_confirm").value  # unticked: the next undo needs its own confirmation
    assert "3" not in at.selectbox(key="undo_target").options and "2" in at.selectbox(key="undo_target").options


def page_words(at: AppTest) -> str:
    """Every caption, markdown, info and warning text on the page."""
    return "\n".join(e.value for kind in (at.caption, at.markdown, at.info, at.warning, at.error) for e in kind)


def test_clerks_get_words_and_administrators_get_commands(db):
    """Issue 24: the import page told a clerk to run `python -m metrics digest --send…见 README`. A clerk (and a
    viewer) reads what happens in words; only an administrator is shown a command, pointing at the manual."""
    for user in (EDITOR, None):
        words = page_words(import_page(user))
        assert "尚未发送过工作简报。工作简报由系统管理员设置为定期自动发送" in words
        assert "python -m" not in words and "README" not in words, words
    words = page_words(import_page(User("root", "管理员", "admin", "local")))
    assert "python -m metrics digest --send" in words and "docs/deploy.md" in words
    assert "README" not in words
