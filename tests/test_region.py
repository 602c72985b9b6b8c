"""The region view on three small county snapshots with their own targets, plus a corrupt, a missing and an
other-version one. Every county is scored at 2023-03-31; the plan runs 2022-10-01 .. 2024-10-31, so the pace share
is 181 / 761 = 0.2378.

County   person-times target  person-times            progress    status (expected = target x 0.2378)
阿县 A   10                   S1, S2 x A1..A3 = 6     6/10 = 0.60  expected 2.38, 6 >= 2.38 -> 进度正常
乙县 B   4                    S1 x B1..B3 = 3         3/4 = 0.75   expected 0.95, 3 >= 0.95 -> 进度正常
丙县 C   6                    S1, S2 x C1..C3 = 6     6/6 = 1.00   6 >= 6 -> 已达标
League by progress against each county's own target: C 1, B 2, A 3 (A has more person-times than B, yet ranks
below it: its plan asks for more).
Every county: 3 people against 2,000 (expected 475.7; 3 < 0.7 x 475.7) -> 进度滞后; conversion 0 / 3 = 0 % < 0.7 x
2 % -> 进度滞后. B alone paid 50 万元: 50 / 500 = 10 % < 0.7 x 23.78 % -> 进度滞后. The other KPIs have no rows: 暂无数据.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil

import duckdb
import pytest

from metrics import demo
from metrics.__main__ import main
from metrics.core.config import DEFAULT_CONFIG
from metrics.load import ingest
from metrics.outputs import region, region_score
from metrics.platform import derived, store

from .ledgers import csv_bytes

AS_OF = dt.date(2023, 3, 31)
SESSIONS = "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-03-01,禾木,直播带货,线下\nS2,2023-03-05,禾木,网店运营,线下\n"


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_REGION_CACHE", str(tmp_path / "region-cache"))  # never the project's data/


def attendance(sessions: list[str], trainees: list[str]) -> str:
    return "场次编号,学员编号\n" + "".join(f"{s},{t}\n" for s in sessions for t in trainees)


def make_county(directory, stem: str, name: str, person_times_target: int, sessions: list[str], prefix: str,
                payment_wan: float | None = None, empty=None):
    """A county snapshot and its configuration; `empty`, the session's empty database, saves making the schema."""
    if empty is not None:
        shutil.copyfile(empty, directory / f"{stem}.duckdb")
    con = store.connect(directory / f"{stem}.duckdb")
    files = [("s.csv", csv_bytes(SESSIONS)),
             ("a.csv", csv_bytes(attendance(sessions, [f"{prefix}1", f"{prefix}2", f"{prefix}3"])))]
    if payment_wan:
        files.append(("e.csv", csv_bytes(f"凭证号,支付日期,预算科目,金额（万元）\nPZ1,2023-03-10,1.1,{payment_wan}\n")))
    assert ingest.ingest_files(con, files).committed
    con.close()
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace('name_zh = "布尔津县"', f'name_zh = "{name}"', 1)
    text = text.replace("[targets.training_person_times]\nmin = 4000",
                        f"[targets.training_person_times]\nmin = {person_times_target}", 1)
    (directory / f"{stem}.toml").write_text(text, encoding="utf-8")


@pytest.fixture(scope="session")  # session: made once per worker even when xdist splits the module's tests
def folder(tmp_path_factory, empty_template):
    import os

    os.environ.setdefault("KPI_HASH_KEY", "test-hash-key-not-secret")
    directory = tmp_path_factory.mktemp("region")
    make_county(directory, "a", "阿县", 10, ["S1", "S2"], "A", empty=empty_template)
    make_county(directory, "b", "乙县", 4, ["S1"], "B", payment_wan=50, empty=empty_template)
    make_county(directory, "c", "丙县", 6, ["S1", "S2"], "C", empty=empty_template)
    (directory / "corrupt.duckdb").write_bytes(b"this is not a database " * 200)
    # A snapshot from another version of the dashboard.
    (directory / "old.duckdb").write_bytes((directory / "a.duckdb").read_bytes())
    con = duckdb.connect(str(directory / "old.duckdb"))
    con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    con.close()
    (directory / "region.toml").write_text("""
[[counties]]
snapshot = "a.duckdb"
config = "a.toml"
[[counties]]
snapshot = "b.duckdb"
config = "b.toml"
[[counties]]
snapshot = "c.duckdb"
config = "c.toml"
[[counties]]
name = "坏县"
snapshot = "corrupt.duckdb"
[[counties]]
name = "缺县"
snapshot = "missing.duckdb"
[[counties]]
name = "旧县"
snapshot = "old.duckdb"
config = "a.toml"
""", encoding="utf-8")
    return directory


def digest_of(directory) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.glob("*.duckdb"))}


def test_league_table_ranks_by_each_countys_own_target(folder):
    before = digest_of(folder)
    view = region.read_region(folder, AS_OF, isolate=False)
    league = view.league("training_person_times")
    assert league[["county", "value", "target", "status", "rank"]].values.tolist() == [
        ["丙县", 6.0, 6.0, "achieved", 1], ["乙县", 3.0, 4.0, "on_track", 2], ["阿县", 6.0, 10.0, "on_track", 3]]
    assert league["progress"].tolist() == [1.0, 0.75, 0.6]
    assert digest_of(folder) == before  # read-only: no byte of any snapshot changed
    assert not list(folder.glob("*.wal"))


def test_status_counts_and_budget_per_county(folder):
    view = region.read_region(folder, AS_OF, isolate=False)
    counts = {row["county"]: {k: v for k, v in row.items() if k != "county" and v}
              for row in view.status_counts().to_dict("records")}
    assert counts == {"阿县": {"on_track": 1, "behind": 2, "no_data": 19},
                      "乙县": {"on_track": 1, "behind": 3, "no_data": 18},
                      "丙县": {"achieved": 1, "behind": 2, "no_data": 19}}
    assert view.budget().values.tolist() == [["阿县", 500.0, 0.0, 0.0], ["乙县", 500.0, 50.0, 0.1],
                                             ["丙县", 500.0, 0.0, 0.0]]
    # The budget KPI ranks B first (10 %), A and C have no payment: no data, no rank.
    league = view.league("budget_execution_rate")
    assert league["county"].tolist()[0] == "乙县" and league["rank"].tolist()[0] == 1
    assert league["rank"].isna().tolist() == [False, True, True]


def test_unreadable_snapshots_are_listed_with_the_reason_and_the_rest_show(folder):
    view = region.read_region(folder, AS_OF, isolate=False)
    assert [c.name for c in view.readable] == ["阿县", "乙县", "丙县"]
    problems = {c.name: c.problem("zh") for c in view.unreadable}
    assert problems["缺县"] == "找不到快照文件 missing.duckdb"
    assert problems["坏县"].startswith("无法读取（文件损坏或不是 DuckDB 数据库）")
    assert problems["旧县"] == (f"数据库结构版本为 0.{derived.DERIVED_VERSION}，本系统为 {store.STRUCTURE_VERSION}，"
                               "请用同一版本的系统重新备份")
    assert {c.name: c.problem("en")[:22] for c in view.unreadable} == {
        "坏县": "unreadable (corrupt, o", "缺县": "snapshot file missing.", "旧县": f"schema version 0.{derived.DERIVED_VERSION}, this"[:22]}


@pytest.mark.slow  # scores in child processes
def test_region_command_prints_the_tables_and_the_unreadable(folder, capsys):
    assert main(["region", str(folder), "--as-of", "2023-03-31", "--kpi", "training_person_times"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "地区汇总：3 / 6 个县可读" in out
    assert any(line.startswith("  ✗ 缺县（missing.duckdb）：找不到快照文件") for line in out)
    assert "各县统一截至 2023-03-31 计算排名（所选日期）" in out
    # Every county's data ends before the date asked for (A, C: the 2023-03-05 session; B: its 03-10 payment).
    assert "  ! 乙县的数据只到 2023-03-10，早于排名截至日期 2023-03-31：此后的进度未计入，排名可能偏低" in out
    league = out[out.index("电商培训人次（截至 2023-03-31）") + 1:]
    assert league == ["    1  丙县  6 人次 / ≥ 6 人次  已达标  ⚠ 数据只到 2023-03-05",
                      "    2  乙县  3 人次 / ≥ 4 人次  进度正常  ⚠ 数据只到 2023-03-10",
                      "    3  阿县  6 人次 / ≥ 10 人次  进度正常  ⚠ 数据只到 2023-03-05"]


def test_a_folder_without_manifest_reads_every_snapshot_and_its_toml(tmp_path):
    make_county(tmp_path, "b", "乙县", 4, ["S1"], "B")
    (tmp_path / "x.duckdb").write_bytes(b"\0" * 10)
    view = region.read_region(tmp_path, AS_OF, isolate=False)
    assert [(c.name, c.ok) for c in view.counties] == [("乙县", True), ("x", False)]


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_snapshots_are_attached_read_only_beside_another_reader(folder):
    """Another process reading a snapshot (a shared lock) does not stop the region view; a writable attach would."""
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               f"c = duckdb.connect({str(folder / 'b.duckdb')!r}, read_only=True); "
                               "print('ready', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        view = region.read_region(folder, AS_OF)
        assert "乙县" in [c.name for c in view.readable]
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow  # the page scores in child processes
def test_region_page_shows_the_league_the_unreadable_and_a_drill(folder, tmp_path, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KPI_REGION_DIR", str(folder))
    monkeypatch.setenv("KPI_DB", str(tmp_path / "own.duckdb"))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/region.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == ["以下县的数据暂时无法读取，其余县照常显示："]
    problems = sorted(line.split("：")[0] for line in at.code[0].value.splitlines())  # plain text, not markdown
    assert problems == ["坏县", "旧县", "缺县"]  # county names; the files are the administrator's (below)
    # Issue 24: a viewer reads no path and no file name; the date field opens at the date used, as YYYY-MM-DD.
    words = "\n".join(e.value for kind in (at.caption, at.markdown, at.error, at.info, at.code, at.text) for e in kind)
    assert str(folder) not in words and ".duckdb" not in words and "快照" not in words, words
    field = at.date_input(key="region_as_of")
    assert field.value == dt.date(2023, 3, 5) and field.proto.format == "YYYY-MM-DD"
    league = at.dataframe[2].value  # status counts, budget, then the league of the first KPI (person-times)
    assert league[["排名", "县", "本县目标", "状态"]].values.tolist() == [
        [1, "丙县", "≥ 6 人次", "已达标"], [2, "乙县", "≥ 4 人次", "进度正常"], [3, "阿县", "≥ 10 人次", "进度正常"]]
    # By default every county is ranked as of the earliest latest data date (A and C end 2023-03-05, B 03-10).
    assert "各县统一截至 2023-03-05 计算排名（各县最新数据日期中最早的一个）" in [c.value for c in at.caption]
    assert set(league["排名截至"]) == {dt.date(2023, 3, 5)} and len(at.code) == 1  # the problems; no warning
    at.date_input(key="region_as_of").set_value(dt.date(2023, 3, 31)).run()  # a later date picked: all end before
    assert "各县统一截至 2023-03-31 计算排名（所选日期）" in [c.value for c in at.caption]
    assert sorted(line.split("的数据")[0] for line in at.code[-1].value.splitlines()) == ["丙县", "乙县", "阿县"]
    at.selectbox(key="region_county").set_value("乙县").run()
    import json

    # the bar's label names the KPI, its status and value / target: B's own target, not the default 4,000
    labels = json.loads(at.get("plotly_chart")[-1].proto.spec)["layout"]["yaxis"]["ticktext"]
    label = next(t for t in labels if t.startswith("电商培训人次"))
    assert label == "电商培训人次<br><b>进度正常</b><br>3 人次 / ≥ 4 人次", label
    assert "乙县：数据截至 2023-03-31" in [t.value for t in at.text]  # the date picked above (plain text)


@pytest.mark.slow  # the page scores in child processes (metrics.outputs.region_score), like the test above
def test_region_page_names_files_and_folder_to_the_administrator(folder, tmp_path, monkeypatch):
    import time
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from metrics.platform.auth import User

    monkeypatch.setenv("KPI_REGION_DIR", str(folder))
    monkeypatch.setenv("KPI_DB", str(tmp_path / "own.duckdb"))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"), default_timeout=90)
    at.session_state["user"] = User("root", "管理员", "admin", "local")
    at.session_state["user_seen"] = time.time()
    at.run()
    at.switch_page("pages/region.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == ["以下快照未能读取或被拒绝，其余县照常显示："]
    assert sorted(line.split("：")[0] for line in at.code[0].value.splitlines()) == [
        "坏县（corrupt.duckdb）", "旧县（old.duckdb）", "缺县（missing.duckdb）"]  # plain text, with the files
    assert any(str(folder) in re.sub(r"\\(.)", r"\1", c.value) for c in at.caption)  # markdown-escaped (ui.say)
    assert any("快照文件" in t.value and ".duckdb" in t.value for t in at.text)


def test_the_score_cache_rereads_only_a_replaced_snapshot(folder, tmp_path, monkeypatch):
    import shutil

    directory = tmp_path / "copy"
    directory.mkdir()
    for name in ("a.duckdb", "a.toml", "b.duckdb", "b.toml"):
        shutil.copyfile(folder / name, directory / name)
    scored = []
    original = region_score.scorecard
    monkeypatch.setattr(region_score, "scorecard", lambda con, *a, **k: scored.append(1) or original(con, *a, **k))
    cache = tmp_path / "cache"
    first = region.read_region(directory, AS_OF, cache_dir=cache, isolate=False)
    assert len(scored) == 2
    again = region.read_region(directory, AS_OF, cache_dir=cache, isolate=False)
    assert len(scored) == 2  # nothing changed: both from the cache, with the same tables
    assert again.league("training_person_times").equals(first.league("training_person_times"))
    assert again.budget().equals(first.budget())
    # B sends a new snapshot with a 20 万元 payment: only B is scored again; 50 + 20 = 70 万元 of 500 = 14 %.
    con = store.connect(directory / "b.duckdb")
    result = ingest.ingest_files(con, [("e2.csv", csv_bytes("凭证号,支付日期,预算科目,金额（万元）\n"
                                                          "PZ2,2023-03-20,1.1,20\n"))])
    assert result.committed, [(p.code, p.params) for o in result.outcomes for p in o.problems]
    con.close()
    third = region.read_region(directory, AS_OF, cache_dir=cache, isolate=False)
    assert len(scored) == 3
    assert third.budget().values.tolist() == [["阿县", 500.0, 0.0, 0.0], ["乙县", 500.0, 70.0, 0.14]]


def test_a_bad_manifest_is_refused_with_the_reason(tmp_path, capsys):
    (tmp_path / "region.toml").write_text("[[counties]]\nname = \"甲县\"\n", encoding="utf-8")
    assert main(["region", str(tmp_path)]) == 1
    assert "第 1 个 [[counties]] 缺少 snapshot" in capsys.readouterr().err
    (tmp_path / "region.toml").write_text("[[counties\n", encoding="utf-8")
    assert main(["--lang", "en", "region", str(tmp_path)]) == 1
    assert "region.toml is not valid TOML" in capsys.readouterr().err


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_scoring_in_child_processes_gives_the_same_region(folder, monkeypatch):
    here = region.read_region(folder, AS_OF, isolate=False)
    alone = region.read_region(folder, AS_OF, workers=1)  # one child for the six snapshots
    monkeypatch.setattr(region_score, "PER_CHILD_FROM", 1)  # the six snapshots shared among two children
    shared = region.read_region(folder, AS_OF, workers=2)
    for view in (alone, shared):
        assert [(c.name, c.ok, c.problem("zh")) for c in view.counties] == \
            [(c.name, c.ok, c.problem("zh")) for c in here.counties]
        assert view.league("training_person_times").equals(here.league("training_person_times"))
        assert view.status_counts().equals(here.status_counts())
        assert view.budget().equals(here.budget())
        # The latest data dates too were found in the children: A and C end 2023-03-05, B 2023-03-10.
        assert [c.latest for c in view.readable] == [dt.date(2023, 3, 5), dt.date(2023, 3, 10), dt.date(2023, 3, 5)]


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_region_benchmark_rows_smoke():
    """The benchmark's region rows at three synthetic counties (figures, not timings, are what it is for)."""
    from benchmarks.bench import region_rows

    rows = region_rows(3)
    assert [r["measure"] for r in rows] == ["region view, 3 counties, first read", "region view, 3 counties, unchanged"]
    assert all(r["value"] > 0 and r["memory_mb"] > 0 for r in rows)


def test_the_demo_writes_seven_altay_counties_with_their_own_targets(tmp_path, demo_template, monkeypatch):
    import functools

    from metrics import actions
    from metrics.platform.auth import ANONYMOUS, PermissionDenied, User

    # The counties are made from the run's demo database (load_demo into a new file, as write_demo does itself)
    # rather than a third load of the demo ledgers in this worker.
    monkeypatch.setattr(demo, "write_demo", functools.partial(demo.write_demo, loaded=demo_template))
    with pytest.raises(PermissionDenied):
        actions.write_region_demo(ANONYMOUS, tmp_path)
    assert list(tmp_path.iterdir()) == []
    actions.write_region_demo(User("ed", "编辑", "editor", "local"), tmp_path)
    view = region.read_region(tmp_path, isolate=False)
    assert sorted(c.name for c in view.readable) == sorted(["布尔津县", "阿勒泰市", "哈巴河县", "吉木乃县", "福海县",
                                                            "富蕴县", "青河县"])
    assert all(c.demo for c in view.readable)  # labelled 演示数据 wherever shown
    targets = dict(zip(*view.league("training_person_times")[["county", "target"]].T.values))
    assert (targets["阿勒泰市"], targets["布尔津县"], targets["青河县"]) == (6000.0, 4000.0, 2500.0)
    assert len(set(view.budget()["spent_wan"])) == 7  # each county spent differently


def test_every_county_is_ranked_as_of_one_shared_date(tmp_path):
    """A stale snapshot is not ranked beside a current one as if of the same day.

    甲县 (stale): sessions S1 2023-03-01, S2 2023-03-05, 3 trainees each: 6 person-times, target 10; data ends 03-05.
    乙县 (current): sessions S1 2023-03-01, S2 2023-06-30, 3 trainees each, target 8; data ends 06-30.
    Default shared date = the earlier of 03-05 and 06-30 = 2023-03-05:
        甲 6 / 10 = 0.60 -> rank 1;  乙 only S1 counted: 3 / 8 = 0.375 -> rank 2.
    (Each as of its own date, as before: 乙 6 / 8 = 0.75 would rank 1 above 甲 0.60.)
    Asked for 2023-06-30: 甲 0.60 (rank 2), 乙 0.75 (rank 1), and 甲 is warned: its data ends on 03-05.
    """
    import os

    os.environ.setdefault("KPI_HASH_KEY", "test-hash-key-not-secret")
    for stem, name, target, second_day, prefix in (("jia", "甲县", 10, "2023-03-05", "J"),
                                                   ("yi", "乙县", 8, "2023-06-30", "Y")):
        con = store.connect(tmp_path / f"{stem}.duckdb")
        sessions = SESSIONS.replace("S2,2023-03-05", f"S2,{second_day}")
        assert ingest.ingest_files(con, [("s.csv", csv_bytes(sessions)), ("a.csv", csv_bytes(
            attendance(["S1", "S2"], [f"{prefix}1", f"{prefix}2", f"{prefix}3"])))]).committed
        con.close()
        text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace('name_zh = "布尔津县"', f'name_zh = "{name}"', 1)
        (tmp_path / f"{stem}.toml").write_text(text.replace(
            "[targets.training_person_times]\nmin = 4000", f"[targets.training_person_times]\nmin = {target}", 1),
            encoding="utf-8")
    cache = tmp_path / "cache"
    view = region.read_region(tmp_path, cache_dir=cache, isolate=False)
    assert view.as_of == dt.date(2023, 3, 5) and not view.as_of_asked
    league = view.league("training_person_times")
    assert league[["county", "value", "target", "progress", "rank"]].values.tolist() == [
        ["甲县", 6.0, 10.0, 0.6, 1], ["乙县", 3.0, 8.0, 0.375, 2]]
    assert set(league["as_of"]) == {dt.date(2023, 3, 5)}
    assert league["latest"].tolist() == [dt.date(2023, 3, 5), dt.date(2023, 6, 30)]
    assert view.as_of_note("zh") == "各县统一截至 2023-03-05 计算排名（各县最新数据日期中最早的一个）"
    assert view.warnings("zh") == []  # nobody's data ends before the earliest latest date
    again = region.read_region(tmp_path, cache_dir=cache, isolate=False)  # the same from the cache
    assert again.as_of == view.as_of and again.league("training_person_times").equals(league)

    asked = region.read_region(tmp_path, dt.date(2023, 6, 30), cache_dir=cache, isolate=False)
    assert asked.league("training_person_times")[["county", "progress", "rank"]].values.tolist() == [
        ["乙县", 0.75, 1], ["甲县", 0.6, 2]]
    assert asked.as_of_note("en") == "Ranks as of 2023-06-30 for every county (the date chosen)"
    assert asked.warnings("zh") == ["甲县的数据只到 2023-03-05，早于排名截至日期 2023-06-30：此后的进度未计入，排名可能偏低"]
    assert "  ! 甲县's data ends on 2023-03-05, before 2023-06-30: its progress after that is not counted, so its " \
           "rank may be too low" in region.region_text(asked, "en").splitlines()


def test_the_demo_counties_are_written_on_the_first_start_and_again_after_an_upgrade(tmp_path):
    folder = tmp_path / "region"
    assert demo.demo_needs_writing(folder)  # first start: no folder
    for stem in ("burqin", "altay"):  # demo counties of this version (empty databases are enough here)
        store.connect(folder / f"{stem}.duckdb").close()
    assert not demo.demo_needs_writing(folder)
    con = store.connect(folder / "altay.duckdb")  # as an earlier version wrote it
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    assert demo.demo_needs_writing(folder)
    store.connect(folder / "our_county.duckdb").close()  # the county's own snapshot beside them: never rewritten
    assert not demo.demo_needs_writing(folder)
