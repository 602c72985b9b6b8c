"""A county snapshot is someone else's file (issue 25, items 1, 2 and 8): it can do nothing but be scored.

The attacks as reported: a snapshot whose `meta` "table" is a view over read_text('<a secret file>') put the file's
text in the page (the schema-version message quoted it); a view over glob('*') listed the folder; a raising view,
a dangling symlink and a view summing 10^12 rows each took the whole view down. Fast tests read in this process
with the same locked-down connection and catalogue check; the slow ones go through the capped children.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from metrics.core.i18n import LANGUAGES
from metrics.outputs import region, region_score, snapshot_check
from metrics.platform import store

from .test_region import AS_OF, make_county

SECRET = "smtp_password = 'S3CRET-hunter2'"


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_REGION_CACHE", str(tmp_path / "region-cache"))


@pytest.fixture(scope="session")  # session: made once per worker even when xdist splits the module's tests
def template(tmp_path_factory, empty_template):
    """One good county snapshot (阿县, 6 person-times of a target of 10) and its configuration."""
    os.environ.setdefault("KPI_HASH_KEY", "test-hash-key-not-secret")
    directory = tmp_path_factory.mktemp("template")
    make_county(directory, "a", "阿县", 10, ["S1", "S2"], "A", empty=empty_template)
    make_county(directory, "b", "乙县", 4, ["S1"], "B", empty=empty_template)
    return directory


@pytest.fixture
def folder(template, tmp_path):
    """A region folder with 阿县 and 乙县, and a secret file outside it."""
    directory = tmp_path / "region"
    directory.mkdir()
    for name in ("a.duckdb", "a.toml", "b.duckdb", "b.toml"):
        shutil.copyfile(template / name, directory / name)
    (tmp_path / "secrets.toml").write_text(SECRET + "\n", encoding="utf-8")
    return directory


def evil_copy(folder, stem: str, *statements: str) -> None:
    """Another county's snapshot, altered by its sender with `statements`."""
    shutil.copyfile(folder / "a.duckdb", folder / f"{stem}.duckdb")
    con = duckdb.connect(str(folder / f"{stem}.duckdb"))
    for statement in statements:
        con.execute(statement)
    con.close()


def everything_shown(view: region.Region) -> str:
    return "".join(region.region_text(view, lang) for lang in LANGUAGES) + \
        "".join(c.problem(lang) for c in view.counties for lang in LANGUAGES)


def read_secret_view(tmp_path) -> str:
    return ("CREATE VIEW meta AS SELECT 'schema_version' AS key, content AS value "
            f"FROM read_text('{tmp_path / 'secrets.toml'}')")


# --------------------------------------------------------------------------------------- 1: nothing leaks

@pytest.mark.parametrize("attack", ["meta_read_text", "ledger_glob"])
def test_a_snapshot_cannot_read_server_files_and_the_rest_show(folder, tmp_path, attack):
    """On main before the fix, meta_read_text showed "数据库结构版本为 smtp_password = 'S3CRET-hunter2'…"."""
    if attack == "meta_read_text":
        evil_copy(folder, "evil", "DROP TABLE meta", read_secret_view(tmp_path))
        refused = "view meta"
    else:
        evil_copy(folder, "evil", "DROP TABLE training_sessions",
                  f"CREATE VIEW training_sessions AS SELECT file AS session_id FROM glob('{tmp_path}/*')")
        refused = "view training_sessions"
    view = region.read_region(folder, AS_OF, isolate=False)
    shown = everything_shown(view)
    assert "S3CRET" not in shown and "secrets.toml" not in shown
    assert view.county("evil").problem("en").startswith(f"holds an object this dashboard does not accept: {refused}")
    assert sorted(c.name for c in view.readable) == ["乙县", "阿县"]


def test_the_connection_itself_refuses_files_even_without_the_catalogue_check(folder, tmp_path):
    """Second line of defence: a view that slipped past the check still cannot reach the file system."""
    evil_copy(folder, "evil", "DROP TABLE meta", read_secret_view(tmp_path))
    con = snapshot_check.open_snapshot(folder / "evil.duckdb")
    try:
        with pytest.raises(duckdb.PermissionException):
            con.execute("SELECT * FROM meta").fetchall()
        with pytest.raises(duckdb.Error):  # and the lock cannot be undone
            con.execute("SET enable_external_access = true")
    finally:
        con.close()


# ------------------------------------------------------------------------------------- the catalogue check

@pytest.mark.parametrize("statements, kind, name", [
    (["CREATE VIEW extra AS SELECT 1 AS x"], "view", "extra"),
    (["CREATE MACRO leak() AS 1"], "macro", "leak"),
    (["CREATE MACRO rows_of() AS TABLE SELECT 1 AS x"], "macro", "rows_of"),
    (["CREATE SEQUENCE counter"], "sequence", "counter"),
    (["CREATE TYPE mood AS ENUM ('a', 'b')"], "type", "mood"),
    (["CREATE SCHEMA side"], "schema", "side"),
    (["CREATE INDEX by_date ON training_sessions (date)"], "index", "by_date"),
    (["CREATE TABLE notes (x INTEGER)"], "table", "notes"),
    (["CREATE SCHEMA side", "CREATE TABLE side.meta (key VARCHAR, value VARCHAR)"], "schema", "side"),
])
def test_the_catalogue_check_refuses_anything_but_our_tables_naming_it(folder, statements, kind, name):
    evil_copy(folder, "evil", *statements)
    con = snapshot_check.open_snapshot(folder / "evil.duckdb")
    try:
        assert snapshot_check.catalog_problem(con) == ("region_object_refused", {"kind": kind, "object": name})
    finally:
        con.close()


@pytest.mark.parametrize("column", ["x AS (1 + 1)", "x VARCHAR DEFAULT (current_database())"])
def test_a_table_with_computed_or_extra_columns_is_refused(folder, column):
    """A generated column is computed when read, a DEFAULT is an expression: neither is ours."""
    evil_copy(folder, "evil", "DROP TABLE online_retail",
              f'CREATE TABLE online_retail("month" DATE, total DOUBLE, agri DOUBLE, "source" VARCHAR, '
              f"_load_id BIGINT, _source_row INTEGER, _extra VARCHAR, {column})")
    con = snapshot_check.open_snapshot(folder / "evil.duckdb")
    try:
        key, values = snapshot_check.catalog_problem(con)
    finally:
        con.close()
    assert key == "region_table_refused" and values["table"] == "online_retail"
    assert values["column"].startswith("x ")


def test_our_own_snapshot_passes_the_check(folder):
    con = snapshot_check.open_snapshot(folder / "a.duckdb")
    try:
        assert snapshot_check.catalog_problem(con) is None
    finally:
        con.close()


# --------------------------------------------------------------------- 2: one snapshot never takes it down

def test_a_raising_view_and_a_view_over_a_trillion_rows_are_rows_with_their_reason(folder):
    """Both ran on main (the first outside any try: the view died; the second never ended). Refused unrun now."""
    evil_copy(folder, "raising", "DROP TABLE meta",
              "CREATE VIEW meta AS SELECT 'schema_version' AS key, error('boom') AS value")
    evil_copy(folder, "huge", "DROP TABLE online_retail", "CREATE VIEW online_retail AS SELECT DATE '2023-01-01' "
              "AS month, sum(i)::DOUBLE AS total, 0.0 AS agri FROM range(1000000000000) t(i)")
    view = region.read_region(folder, AS_OF, isolate=False)
    assert view.county("raising").problem("en").endswith("view meta (only its own tables are read); not scored")
    assert view.county("huge").problem("en").endswith("view online_retail (only its own tables are read); not scored")
    assert sorted(c.name for c in view.readable) == ["乙县", "阿县"]


def test_symlinks_out_of_the_folder_and_dangling_ones_are_reported_not_followed(folder, tmp_path):
    from dashboard_ui import region_state

    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copyfile(folder / "a.duckdb", outside / "o.duckdb")
    (folder / "out.duckdb").symlink_to(outside / "o.duckdb")
    (folder / "gone.duckdb").symlink_to(tmp_path / "nowhere.duckdb")
    shutil.copyfile(folder / "b.duckdb", folder / "c.duckdb")
    (folder / "c.toml").symlink_to(tmp_path / "secrets.toml")  # a "configuration" that is the secrets file
    (folder / "loop.duckdb").symlink_to(folder / "loop.duckdb")  # a link to itself: never resolves
    assert region_state._signature(folder)  # the page's signature step: no exception for the dangling link
    view = region.read_region(folder, AS_OF, isolate=False)
    problems = {c.snapshot.name: c.problem("en") for c in view.unreadable}
    assert problems == {"out.duckdb": "out.duckdb leads out of the region folder; not read",
                        "gone.duckdb": f"gone.duckdb is a symbolic link to nothing ({tmp_path / 'nowhere.duckdb'});"
                                       " not read",
                        "c.duckdb": "c.toml leads out of the region folder; not read",
                        "loop.duckdb": f"loop.duckdb is a symbolic link to nothing ({folder / 'loop.duckdb'}); not read"}
    assert "S3CRET" not in everything_shown(view)
    assert sorted(c.name for c in view.readable) == ["乙县", "阿县"]


def test_a_manifest_path_out_of_the_folder_is_refused(folder, template):
    (folder / "region.toml").write_text('[[counties]]\nsnapshot = "a.duckdb"\nconfig = "a.toml"\n'
                                        f'[[counties]]\nname = "外县"\nsnapshot = "../../{template.name}/b.duckdb"\n'
                                        '[[counties]]\nname = "绝对"\nsnapshot = "/etc/hostname"\n',
                                        encoding="utf-8")
    view = region.read_region(folder, AS_OF, isolate=False)
    assert {c.name: c.problem("en") for c in view.unreadable} == {
        "外县": "b.duckdb leads out of the region folder; not read",
        "绝对": "hostname leads out of the region folder; not read"}
    assert [c.name for c in view.readable] == ["阿县"]


def test_a_binary_or_missing_configuration_is_its_countys_row(folder):
    (folder / "b.toml").write_bytes(b"\xff\xfe\x00binary")
    (folder / "region.toml").write_text('[[counties]]\nsnapshot = "a.duckdb"\nconfig = "gone.toml"\n'
                                        '[[counties]]\nsnapshot = "b.duckdb"\nconfig = "b.toml"\n', encoding="utf-8")
    view = region.read_region(folder, AS_OF, isolate=False)
    assert [(c.snapshot.name, c.ok) for c in view.counties] == [("a.duckdb", False), ("b.duckdb", False)]
    assert view.counties[0].problem("en").startswith("configuration problems:")
    assert view.counties[1].problem("en").startswith("could not be scored: 'utf-8' codec can't decode")


# ----------------------------------------------------------------------------------- 8: two claim one county

def test_two_snapshots_claiming_one_county_are_flagged_and_both_shown_with_their_files(folder):
    shutil.copyfile(folder / "a.duckdb", folder / "a2.duckdb")
    shutil.copyfile(folder / "a.toml", folder / "a2.toml")
    view = region.read_region(folder, AS_OF, isolate=False)
    assert sorted(c.name for c in view.readable) == ["乙县", "阿县（a.duckdb）", "阿县（a2.duckdb）"]
    notes = {c.duplicate_note for c in view.counties if c.duplicate_note}
    assert notes == {"a.duckdb、a2.duckdb 都自称是 阿县：两份都列出并注明文件名，请核对哪一份是该县的"}
    assert "  ! " + notes.pop() in region.region_text(view).splitlines()
    assert "乙县" not in {c.name for c in view.counties if c.duplicate_note}


# ------------------------------------------------------------------------------- the cache, by file content

def test_a_snapshot_touched_but_unchanged_is_not_scored_again(folder, tmp_path, monkeypatch):
    scored = []
    original = region_score.scorecard
    monkeypatch.setattr(region_score, "scorecard", lambda con, *a, **k: scored.append(1) or original(con, *a, **k))
    cache = tmp_path / "cache"
    first = region.read_region(folder, AS_OF, cache_dir=cache, isolate=False)
    assert len(scored) == 2
    os.utime(folder / "a.duckdb", (1_700_000_000, 1_700_000_000))  # copied again, same bytes: a new mtime
    again = region.read_region(folder, AS_OF, cache_dir=cache, isolate=False)
    assert len(scored) == 2  # hashed again (its mtime changed), found by content
    assert again.league("training_person_times").equals(first.league("training_person_times"))
    con = duckdb.connect(str(folder / "a.duckdb"))  # one byte of data changed: scored again
    con.execute("UPDATE training_sessions SET topic = '网店运营' WHERE session_id = 'S1'")
    con.close()
    region.read_region(folder, AS_OF, cache_dir=cache, isolate=False)
    assert len(scored) == 3


# --------------------------------------------------------------------------- through the capped children

def patched_child(tmp_path, body: str) -> list[str]:
    """The scoring child, with `score` made to misbehave for one snapshot (a runaway, a memory hog) as a snapshot
    past the catalogue check could in the scorecard's own queries; it writes its pid first."""
    code = (f"import os\nfrom metrics.outputs import region_score as r\nreal = r.score_attached\n"
            f"def score(con, database, job, problem):\n    if job.county.snapshot.name == 'bad.duckdb':\n"
            f"        open({str(tmp_path / 'pid')!r}, 'w').write(str(os.getpid()))\n        {body}\n"
            f"    return real(con, database, job, problem)\nr.score_attached = score\nr._child()\n")
    return [sys.executable, "-c", code]


@pytest.mark.slow  # child processes
def test_through_the_children_the_secret_does_not_leak(folder, tmp_path):
    evil_copy(folder, "evil", "DROP TABLE meta", read_secret_view(tmp_path))
    view = region.read_region(folder, AS_OF)
    assert "S3CRET" not in everything_shown(view)
    assert view.county("evil").problem("en").startswith("holds an object this dashboard does not accept: view meta")
    assert sorted(c.name for c in view.readable) == ["乙县", "阿县"]


@pytest.mark.slow  # child processes
def test_a_runaway_snapshot_is_stopped_at_its_limit_and_the_rest_show(folder, tmp_path, monkeypatch):
    shutil.copyfile(folder / "a.duckdb", folder / "bad.duckdb")
    monkeypatch.setattr(region_score, "CHILD_COMMAND", patched_child(tmp_path, "while True: pass"))
    view = region.read_region(folder, AS_OF, time_limit_s=2)  # bad sorts between a and b: b needs a fresh child
    assert view.county("bad").problem("en") == "scoring took longer than the 2 s limit and was stopped"
    assert sorted(c.name for c in view.readable) == ["乙县", "阿县"]
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):  # killed, not left burning CPU after the viewers leave
        os.kill(pid, 0)


@pytest.mark.slow  # child processes
def test_a_snapshot_over_the_memory_cap_is_its_own_row(folder, tmp_path, monkeypatch):
    shutil.copyfile(folder / "a.duckdb", folder / "bad.duckdb")
    monkeypatch.setattr(region_score, "CHILD_COMMAND", patched_child(tmp_path, "x = bytearray(3 * 2**30)"))
    view = region.read_region(folder, AS_OF)
    assert view.county("bad").problem("en") == "the scoring process ended (probably over its 1024 MB memory cap)"
    assert sorted(c.name for c in view.readable) == ["乙县", "阿县"]


@pytest.mark.slow  # child processes
def test_the_region_page_shows_snapshot_text_as_plain_text(folder, tmp_path, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    image = "![x](http://203.0.113.9/p.png)"
    evil_copy(folder, "evil", "CREATE VIEW extra AS SELECT 1")
    (folder / "region.toml").write_text(
        '[[counties]]\nsnapshot = "a.duckdb"\nconfig = "a.toml"\n[[counties]]\nsnapshot = "b.duckdb"\n'
        f'config = "b.toml"\n[[counties]]\nname = "{image}"\nsnapshot = "evil.duckdb"\n', encoding="utf-8")
    monkeypatch.setenv("KPI_REGION_DIR", str(folder))
    monkeypatch.setenv("KPI_DB", str(tmp_path / "own.duckdb"))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/region.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert image in at.code[0].value  # said, as text
    for element in (*at.markdown, *at.error, *at.warning, *at.info, *at.caption):
        assert "](" not in element.value, element.value
    assert len(at.dataframe) >= 3  # the other counties still show


def test_a_snapshot_of_another_structure_version_names_its_version(folder):
    con = duckdb.connect(str(folder / "b.duckdb"))
    con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    con.close()
    view = region.read_region(folder, dt.date(2023, 3, 31), isolate=False)
    assert view.county("乙县").problem("en").startswith(f"schema version 0.{store.STRUCTURE_VERSION.split('.')[1]}")


def test_a_snapshot_named_with_backslashes_and_markup_is_read(tmp_path):
    """A snapshot's file name is someone else's text: DuckDB's ATTACH read `\\` in it as a folder separator, so the
    browser test's hostile name (`x![x](http:\\\\host\\x.png).duckdb`) was listed as unreadable. It is attached through
    a plain-named link instead, and reads like any other."""
    from metrics.outputs.snapshot_check import open_snapshot

    plain = tmp_path / "c.duckdb"
    store.connect(plain).close()
    path = plain.rename(tmp_path / "c![c](http:\\\\198.51.100.7\\c.png)<img src=x>.duckdb")  # as a county named it
    con = open_snapshot(path)
    try:
        assert con.execute("SELECT count(*) FROM meta").fetchone()[0] > 0
    finally:
        con.close()
    assert not list(Path(tempfile.gettempdir()).glob("kpi-snapshots-*"))  # the links are gone
