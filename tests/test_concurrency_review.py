"""Defects found by the review of issue 26's concurrency changes (the held read connection, the writer's turn),
each with the test that shows it (tests/test_held_reader.py has the designed behaviour)."""

from __future__ import annotations

import os
import shutil
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
