"""Results computed once per data version for every viewer and serving process (metrics.platform.results, issue 26):
the crowd that arrives after a load waits for one computation instead of each making its own, and a visitor's
clear_cache message does not throw the results away."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

from metrics.platform.results import SharedResults


def slow_compute(calls: list, value="result", seconds=0.2):
    def compute():
        calls.append(threading.get_ident())
        time.sleep(seconds)
        return value
    return compute


def test_a_crowd_missing_at_once_computes_once(tmp_path):
    store = SharedResults(tmp_path / "r")
    calls, got = [], []
    compute = slow_compute(calls, {"kpi": 1})
    threads = [threading.Thread(target=lambda: got.append(store.get("v1", ("scorecard", 1), compute)))
               for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and store.computed == 1  # 20 sessions, one computation
    assert got == [{"kpi": 1}] * 20


def test_another_process_reads_the_result_instead_of_computing_it(tmp_path):
    # Two stores on one folder stand for two serving processes: separate memories, one disk, one lock per key
    # (flock locks belong to an open file, so they exclude each other within one process too).
    first, second = SharedResults(tmp_path / "r"), SharedResults(tmp_path / "r")
    calls, got = [], {}
    compute = slow_compute(calls, [1, 2, 3], seconds=0.3)
    a = threading.Thread(target=lambda: got.update(a=first.get("v1", ("view", "x"), compute)))
    b = threading.Thread(target=lambda: got.update(b=second.get("v1", ("view", "x"), compute)))
    a.start()
    time.sleep(0.05)  # the first is computing when the second asks
    b.start()
    a.join()
    b.join()
    assert len(calls) == 1 and got == {"a": [1, 2, 3], "b": [1, 2, 3]}
    assert (first.computed, second.computed) == (1, 0)


def test_a_new_data_version_is_computed_anew_and_old_versions_are_pruned(tmp_path, monkeypatch):
    store = SharedResults(tmp_path / "r")
    assert store.get("v1", ("k",), lambda: "old") == "old"
    assert store.get("v1", ("k",), lambda: "never computed") == "old"
    old = next((tmp_path / "r").iterdir())
    os.utime(old, (time.time() - 3600, time.time() - 3600))  # unused for an hour: no process reads it any more
    assert store.get("v2", ("k",), lambda: "new") == "new"  # a load made version 2
    assert [p.name for p in (tmp_path / "r").iterdir()] != [old.name] and not old.exists()


def test_a_recent_older_version_is_kept_for_a_process_still_reading_it(tmp_path):
    store = SharedResults(tmp_path / "r")
    store.get("v1", ("k",), lambda: "old")
    store.get("v2", ("k",), lambda: "new")
    assert len(list((tmp_path / "r").iterdir())) == 2  # v1 was used a moment ago: a lagging process may read it


def test_a_damaged_result_file_is_a_miss_not_a_failure(tmp_path):
    SharedResults(tmp_path / "r").get("v1", ("k",), lambda: "first")
    (damaged,) = (tmp_path / "r").glob("*/*.pickle")
    damaged.write_bytes(b"\x80\x04cut sh")  # a copy cut short
    fresh = SharedResults(tmp_path / "r")
    assert fresh.get("v1", ("k",), lambda: "again") == "again" and fresh.computed == 1


def test_an_unwritable_folder_still_gives_the_result(tmp_path):
    blocker = tmp_path / "r"
    blocker.write_text("a file where the folder should be")
    store = SharedResults(blocker)
    assert store.get("v1", ("k",), lambda: 42) == 42 and store.computed == 1


def test_the_dashboards_scorecard_survives_clear_cache(demo_db, monkeypatch):
    """Streamlit's clear_cache message (any visitor can send it) empties st.cache_data; the next viewer reads the
    shared result instead of computing the scorecard again."""
    import streamlit as st

    from dashboard_ui import state
    from metrics.kpi import scorecard as scorecard_module

    monkeypatch.setenv("KPI_DB", str(demo_db))
    calls = []
    real = scorecard_module.scorecard
    monkeypatch.setattr(scorecard_module, "scorecard", lambda *a, **k: calls.append(1) or real(*a, **k))
    version, _ = state.data_version()
    first = state.scorecard(dt.date(2024, 6, 30), "zh", version)
    st.cache_data.clear()  # what the clear_cache message does
    again = state.scorecard(dt.date(2024, 6, 30), "zh", version)
    assert len(calls) == 1
    assert [(r.id, r.value, r.status) for r in again] == [(r.id, r.value, r.status) for r in first]


def test_results_of_another_version_of_the_code_are_not_read(tmp_path, monkeypatch):
    """After an upgrade the data version may stay the same, but a result pickled by the old code (an old KpiResult)
    must not reach the new pages: the code's stamp is part of the folder."""
    from metrics.platform import results

    assert SharedResults(tmp_path / "r").get("v1", ("k",), lambda: "old code's result") == "old code's result"
    monkeypatch.setattr(results, "CODE_STAMP", "another")
    fresh = SharedResults(tmp_path / "r")
    assert fresh.get("v1", ("k",), lambda: "new code's result") == "new code's result" and fresh.computed == 1
