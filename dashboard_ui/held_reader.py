"""The read connection a page run's reads share (state.reading, inside state.page_run).

Opening the database costs DuckDB ~15 ms each time (it builds its catalogue for each new instance), and a page's
first run opened it 2-8 times (the service page: 8 openings, 115 ms of a 415 ms run). Within a run the reads take
cursors of one read-only connection instead: a cursor of an open database costs microseconds.

A held connection keeps DuckDB's lock, and a command-line load cannot get in while any process holds it. So the
connection is let go of:
- when the run ends;
- LINGER_SECONDS after its last read, if no other read came (a run drawing charts, or scoring a region's
  snapshots for half a minute, does not keep the file);
- at once, when a writer is waiting for its turn (metrics/platform/writer_turn.py), at the next read or the end of
  the current one;
- before a write of this same run (state.connection).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import duckdb

from metrics.platform import store, writer_turn

LINGER_SECONDS = 0.25  # a page's reads come within milliseconds of each other; a pause longer than this lets go


class Hold:
    """One session thread's held connection. Its own thread opens it and takes cursors; a timer thread may close it
    once idle, so every change is made under the lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.path: str | None = None
        self.in_use = 0  # cursors handed out and not yet closed: the connection stays until they are
        self.timer: threading.Timer | None = None  # one at a time, not one per read (a thread costs ~0.1 ms)
        self.idle_since = 0.0  # when the last cursor closed
        self.active = 0  # page_run depth on this thread

    @contextmanager
    def cursor(self, path: str, retries: float):
        cursor = None
        with self.lock:
            if self.con is not None and self.in_use == 0 and (self.path != path or writer_turn.waiting(path)):
                self._close()
            other_file = self.con is not None and self.path != path  # the held one's cursors are in use
            if self.con is not None and not other_file:
                cursor = self._take()
        if other_file:  # a read of another file, nested in one of the held file: a connection of its own, not held
            with opened(path, retries) as con:
                yield con
            return
        if cursor is None:  # opened outside the lock: it may wait seconds for a writer
            con = store.connect(path, read_only=True, retries=retries)
            with self.lock:
                self.con, self.path = con, path
                cursor = self._take()
        try:
            yield cursor
        finally:
            cursor.close()
            with self.lock:
                self.in_use -= 1
                if self.in_use == 0:
                    if writer_turn.waiting(path):
                        self._close()
                    else:
                        self.idle_since = time.monotonic()
                        if self.timer is None:
                            self._start_timer(LINGER_SECONDS)

    def release(self) -> None:
        """Let go now, unless a cursor is still in use (its own end lets go then)."""
        with self.lock:
            self._stop_timer()
            if self.in_use == 0:
                self._close()

    def _take(self):
        self.in_use += 1
        return self.con.cursor()

    def _close_if_idle(self) -> None:
        """The timer's end: close if idle for LINGER_SECONDS; if a read came meanwhile, wait out the rest of the
        linger after the last one; if one is under way, its end starts the next timer."""
        with self.lock:
            self.timer = None
            if self.con is None or self.in_use:
                return
            idle = time.monotonic() - self.idle_since
            if idle >= LINGER_SECONDS:
                self._close()
            else:
                self._start_timer(LINGER_SECONDS - idle)

    def _start_timer(self, seconds: float) -> None:
        self.timer = threading.Timer(seconds, self._close_if_idle)
        self.timer.daemon = True
        self.timer.start()

    def _close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


@contextmanager
def opened(path: str, retries: float):
    """A read-only connection of its own, closed at the end (a read outside a page run)."""
    con = store.connect(path, read_only=True, retries=retries)
    try:
        yield con
    finally:
        con.close()


_local = threading.local()


def hold() -> Hold:
    """This thread's hold (each Streamlit session runs its script on a thread of its own)."""
    if not hasattr(_local, "hold"):
        _local.hold = Hold()
    return _local.hold


@contextmanager
def page_run():
    """One run of the app's script: its reads share one connection, let go of when the run ends at the latest."""
    mine = hold()
    mine.active += 1
    try:
        yield
    finally:
        mine.active -= 1
        if not mine.active:
            mine.release()
