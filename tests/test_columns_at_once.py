"""metrics.core.columns_at_once: a large file's columns on the shared threads, in order, with the caller's errors;
and never a wait on the shared threads from a shared thread (two uploads at once must not wait on each other)."""

from __future__ import annotations

import threading

import pytest

from metrics.core import columns_at_once


def test_a_large_file_is_worked_on_the_shared_threads_in_order():
    seen = []

    def work(item):
        seen.append(threading.current_thread().name)
        return item * item

    assert columns_at_once.map_columns(work, [1, 2, 3, 4], rows=columns_at_once.MANY_ROWS) == [1, 4, 9, 16]
    assert all(name.startswith("columns_at_once") for name in seen)


def test_a_small_file_stays_on_the_callers_thread():
    names = columns_at_once.map_columns(lambda _: threading.current_thread().name, [1, 2],
                                        rows=columns_at_once.MANY_ROWS - 1)
    assert names == [threading.current_thread().name] * 2
    assert columns_at_once.in_background(lambda: 1, rows=10) is None


def test_an_error_in_one_column_is_the_callers_error():
    def work(item):
        if item == 3:
            raise ValueError("column 3")
        return item

    with pytest.raises(ValueError, match="column 3"):
        columns_at_once.map_columns(work, [1, 2, 3, 4], rows=columns_at_once.MANY_ROWS)


@pytest.mark.skipif(columns_at_once.WORKERS < 2, reason="one core: nothing runs on shared threads")
def test_work_started_in_the_background_that_maps_columns_does_not_wait_on_itself():
    # Two uploads' background work at once, each holding one of the two shared threads and then mapping columns:
    # had they queued their columns behind each other on the (busy) shared threads, both would wait for ever.
    both_started = threading.Barrier(columns_at_once.WORKERS, timeout=10)

    def upload(n):
        both_started.wait()
        return columns_at_once.map_columns(lambda i: i + n, [1, 2, 3], rows=columns_at_once.MANY_ROWS)

    futures = [columns_at_once.in_background(lambda n=n: upload(n), rows=columns_at_once.MANY_ROWS)
               for n in range(columns_at_once.WORKERS)]
    assert [f.result(timeout=20) for f in futures] == [[1 + n, 2 + n, 3 + n] for n in range(columns_at_once.WORKERS)]
