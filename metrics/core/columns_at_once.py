"""Work over a large file's columns on both cores at once.

Arrow's compute kernels, hashlib and DuckDB release the GIL, so the columns of a million-row ledger are checked
on two threads in about half the time; a small file stays on the caller's thread, where a pool's hand-off would
cost more than it saves (and a traceback stays simple).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many rows a column's work is a few milliseconds: not worth a thread.
MANY_ROWS = 100_000
# The machines we serve on have two cores; more threads than cores only adds switching.
WORKERS = max(1, min(2, os.cpu_count() or 1))

_PREFIX = "columns_at_once"
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> ThreadPoolExecutor:
    """One pool for the process: a dashboard serving many sessions must not start threads per upload."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(WORKERS, thread_name_prefix=_PREFIX)
        return _pool


def map_columns(work: Callable[[T], R], items: Iterable[T], rows: int) -> list[R]:
    """[work(item) for item in items], in order; on the shared threads when the file has MANY_ROWS rows or more.
    An exception in any item is raised here, as the plain loop would raise it."""
    items = list(items)
    if rows < MANY_ROWS or WORKERS == 1 or len(items) < 2 or _on_shared_thread():
        # On a shared thread already (work started by in_background), waiting there for more shared threads
        # could leave every thread waiting on the others: the work stays on this one.
        return [work(item) for item in items]
    return list(_shared_pool().map(work, items))


def _on_shared_thread() -> bool:
    return threading.current_thread().name.startswith(_PREFIX)


def in_background(work: Callable[[], R], rows: int) -> Future | None:
    """Start work() on a shared thread for a large file (the caller takes .result() when it needs the answer), or
    None for a small one: the caller then does it itself."""
    if rows < MANY_ROWS or WORKERS == 1:
        return None
    return _shared_pool().submit(work)
