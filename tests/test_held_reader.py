"""A page run's reads share one read-only connection (dashboard_ui/state.py), and a writer that finds the file
taken gets its turn from the readers (metrics/platform/writer_turn.py)."""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

from dashboard_ui import state
from metrics.platform import store, writer_turn


@pytest.fixture
def db(tmp_path, monkeypatch, empty_template):
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


def test_a_run_that_stops_reading_lets_go_of_the_file_before_it_ends(db):
    """A run that reads, then draws or scores snapshots for long, does not keep DuckDB's lock all that time: a
    command-line load would be refused after its 5 s of tries. The connection goes LINGER_SECONDS after the last
    read; a read soon after a read reuses it."""
    from dashboard_ui import held_reader

    with state.page_run():
        with state.reading():
            pass
        with pytest.raises(store.StoreBusy):  # held: a read-write connection is refused in this process
            store.connect(db, retries=0)
        time.sleep(held_reader.LINGER_SECONDS + 0.3)  # the run goes on without reading
        writer = store.connect(db, retries=0)  # let go of: in at once
        store.bump_data_version(writer)
        writer.close()
        with state.reading() as con:  # and a later read of the run opens it again
            assert store.data_version(con) == 1


def test_a_write_in_the_same_run_lets_go_of_the_runs_read_connection_first(db, monkeypatch):
    """An editor's load on a page: the run has read already; its write must not wait on its own reader (with a
    linger longer than the write's 10 s of tries, it would be refused)."""
    from dashboard_ui import held_reader

    monkeypatch.setattr(held_reader, "LINGER_SECONDS", 60)
    with state.page_run():
        with state.reading() as con:
            before = store.data_version(con)
        with state.connection() as con:
            store.bump_data_version(con)
        with state.reading() as con:  # opened anew, reading the write
            assert store.data_version(con) == before + 1


def test_a_writer_waiting_gets_its_turn_at_the_holding_runs_next_read(db):
    """Another session's run reads every 50 ms (never idle long enough to let go by itself); a writer in this
    process (DuckDB: not while a read-only connection is open here) announces itself, and the run lets go at its
    next read, long before the run ends."""
    events: dict[str, float] = {}
    first_read = threading.Event()
    reads_after: list[int] = []

    def session_run():
        with state.page_run():
            end = time.monotonic() + 3.0
            while time.monotonic() < end:
                with state.reading() as con:
                    count = store.one(con, "SELECT count(*) FROM loads")[0]
                if first_read.is_set() and "writer_in" in events:
                    reads_after.append(count)
                first_read.set()
                time.sleep(0.05)
        events["run_end"] = time.monotonic()

    session = threading.Thread(target=session_run)
    session.start()
    first_read.wait(10)
    time.sleep(0.2)
    writer = store.connect(db, retries=10)
    events["writer_in"] = time.monotonic()
    assert not writer_turn.marker(db).exists()  # in: the marker is withdrawn
    writer.close()
    session.join(20)
    assert events["writer_in"] < events["run_end"] - 1.0  # got in at a read of the run, not at its end
    assert reads_after and set(reads_after) == {0}  # and the run read on after it


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
    old = time.time() - writer_turn.FRESH_SECONDS - 1
    os.utime(writer_turn.marker(db), (old, old))
    assert not writer_turn.waiting(db)
    store.connect(db, read_only=True, retries=0).close()


# Found by the review of these changes (a helper's independent pass), each test seen failing with its defect.

def test_a_marker_dated_in_the_future_holds_no_reader_up(db):
    """A writer killed while waiting leaves its marker; if the clock then steps back (NTP correcting a VM's clock
    after a restore, a wrong time set by hand and fixed), the marker's time lies ahead of now. Read as "touched
    -3600 s ago", it was taken for fresh for the whole hour: every dashboard read waited its 10 s and failed."""
    marker = writer_turn.marker(db)
    marker.touch()
    ahead = time.time() + 3600
    os.utime(marker, (ahead, ahead))
    assert not writer_turn.waiting(db)
    store.connect(db, read_only=True, retries=0).close()  # opens at once, as with no marker


def test_a_read_of_another_file_nested_in_a_read_gets_that_file(db, tmp_path):
    """reading(path=...) names its file; nested inside a read of the run's held file (cursors in use), it was handed
    a cursor of the held file instead, silently answering from the wrong database."""
    other = tmp_path / "other.duckdb"
    shutil.copyfile(db, other)
    con = store.connect(other)
    store.bump_data_version(con)  # other: version 1; db: version 0
    con.close()
    with state.page_run():
        with state.reading() as outer, state.reading(path=str(other)) as inner:
            assert store.data_version(outer) == 0
            assert store.data_version(inner) == 1
        with state.reading() as again:  # the held connection is still the run's own file
            assert store.data_version(again) == 0
