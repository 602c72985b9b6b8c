"""A page run's reads share one read-only connection (dashboard_ui/state.py), and a writer that finds the file
taken gets its turn from the readers (metrics/platform/writer_turn.py)."""

from __future__ import annotations

import threading
import time

import pytest

from dashboard_ui import state
from metrics.platform import store, writer_turn


@pytest.fixture
def db(tmp_path, monkeypatch, empty_template):
    import shutil

    path = tmp_path / "kpi.duckdb"
    shutil.copyfile(empty_template, path)
    monkeypatch.setenv("KPI_DB", str(path))
    return path


@pytest.fixture
def opened(monkeypatch):
    """Every store.connect call, as (path, read_only)."""
    calls = []
    real = store.connect

    def counting(path=None, read_only=False, retries=0.0):
        calls.append((str(path), read_only))
        return real(path, read_only=read_only, retries=retries)

    monkeypatch.setattr(store, "connect", counting)
    return calls


def test_the_reads_of_a_page_run_open_the_file_once_and_let_go_at_its_end(db, opened):
    with state.page_run():
        for _ in range(3):
            with state.reading() as con:
                assert store.data_version(con) == 0
        with state.reading() as outer, state.reading() as inner:  # nested: two cursors of the one connection
            assert store.one(outer, "SELECT 1") == store.one(inner, "SELECT 1") == (1,)
    assert opened == [(str(db), True)]  # five reads, one opening
    # At the run's end the file is let go: this process may now open it read-write at once (DuckDB refuses a
    # read-write connection while a read-only one is open in the process).
    store.connect(db, retries=0).close()
    # Outside a run (a fragment's rerun, a command-line job) each read opens its own, as before.
    opened.clear()
    for _ in range(2):
        with state.reading():
            pass
    assert opened == [(str(db), True)] * 2


def test_a_write_in_the_same_run_lets_go_of_the_runs_read_connection_first(db):
    """An editor's load on a page: the run has read already; its write must not wait on its own reader (it would
    wait the whole 10 s and be refused)."""
    with state.page_run():
        with state.reading() as con:
            before = store.data_version(con)
        with state.connection() as con:
            store.bump_data_version(con)
        with state.reading() as con:  # opened anew, reading the write
            assert store.data_version(con) == before + 1


def test_a_writer_waiting_gets_its_turn_at_the_holding_runs_next_read(db):
    """Another session's run holds its read connection; a writer in this process (DuckDB: not while a read-only
    one is open here) announces itself, and the run lets go at its next read, not at its end."""
    events: dict[str, float] = {}
    first_read, writer_asked = threading.Event(), threading.Event()

    def session_run():
        with state.page_run():
            with state.reading() as con:
                store.data_version(con)
            first_read.set()
            writer_asked.wait(10)
            time.sleep(0.3)  # the writer has found the file taken and announced itself by now
            with state.reading() as con:  # lets go, waits for the writer's turn, then reads on
                events["second_read"] = store.one(con, "SELECT count(*) FROM loads")[0]
            time.sleep(1.0)  # the rest of the run: drawing
        events["run_end"] = time.monotonic()

    session = threading.Thread(target=session_run)
    session.start()
    first_read.wait(10)
    threading.Timer(0.05, writer_asked.set).start()
    writer = store.connect(db, retries=10)
    events["writer_in"] = time.monotonic()
    assert not writer_turn.waiting(db)  # in: the marker is gone
    store.bump_data_version(writer)
    writer.close()
    session.join(20)
    assert events["writer_in"] < events["run_end"]  # got in at the run's second read, before its end
    assert events["second_read"] == 0  # and that read was answered (through the writer's instance, or after it)


def test_a_reader_waits_while_a_writer_is_announced_and_a_stale_marker_is_ignored(db):
    turn = writer_turn.Turn(db)
    turn.announce()
    assert writer_turn.waiting(db)
    with pytest.raises(store.StoreBusy):  # retries=0: data_version keeps the last version instead of waiting
        store.connect(db, read_only=True, retries=0)
    refresh = threading.Event()

    def keep_fresh():  # the writer's tries touch the marker; it withdraws after 0.5 s
        end = time.monotonic() + 0.5
        while time.monotonic() < end and not refresh.is_set():
            turn.announce()
            time.sleep(0.05)
        turn.withdraw()

    threading.Thread(target=keep_fresh).start()
    t0 = time.monotonic()
    store.connect(db, read_only=True, retries=5).close()
    assert time.monotonic() - t0 >= 0.4  # waited for the withdrawal (a reader not waiting opens in ~15 ms)
    # A writer killed while waiting leaves its marker behind: stale after FRESH_SECONDS, it holds no one up.
    writer_turn.marker(db).touch()
    import os

    old = time.time() - writer_turn.FRESH_SECONDS - 1
    os.utime(writer_turn.marker(db), (old, old))
    assert not writer_turn.waiting(db)
    store.connect(db, read_only=True, retries=0).close()
