"""The briefing as the dashboard makes it: read the data, close the database, then render — one render at a time,
in a child process that is killed at the time limit.

Rendering (kaleido, then Chromium printing the PDF) takes seconds and has hung for good when several visitors
asked at once (kaleido's global server is not safe across threads). So:
- the data is read with a short read-only connection and the file is closed *before* anything is rendered, so a
  command-line load never waits on a renderer;
- one render runs at a time (a lock in the process, and a file lock beside the database for the other processes
  serving it: scripts/serve.sh); a second request waits up to `wait_s` and is then told to come back in N s;
- the render runs in a child process of its own session; past `timeout_s` the whole process group (kaleido's
  Chromium included) is killed, so a hang costs one request, not the server;
- the files are cached per (database, data version, as-of, compare, language): ten clicks cost one render.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path

from metrics.core.config import PROJECT_ROOT
from metrics.core.errors import DashboardError
from metrics.platform import store

RENDER_TIMEOUT_S = 180.0
WAIT_S = 45.0  # how long a request waits for the renderer before it is told to come back
TYPICAL_RENDER_S = 20.0  # for the "try again in N s" estimate when nothing has been measured yet
CACHE_ENTRIES = 16

_render_lock = threading.Lock()
_cache: OrderedDict[tuple, dict[str, bytes]] = OrderedDict()
_cache_lock = threading.Lock()
_running_since: float | None = None
_last_render_s: float | None = None
renders = 0  # how many renders ran in this process (the tests count them)


class RendererBusy(DashboardError):
    def __init__(self, retry_after_s: int):
        self.retry_after_s = retry_after_s
        super().__init__("briefing_renderer_busy", retry_after_s=retry_after_s)


class RenderFailed(DashboardError):
    pass


def _cached(key: tuple) -> dict[str, bytes] | None:
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    return None


def _retry_after(other_started: float | None = None) -> int:
    """Seconds until the render in progress should be done: this process's, or another's that began at
    `other_started` (time.time())."""
    typical = _last_render_s or TYPICAL_RENDER_S
    started = _running_since
    if other_started is not None and other_started == other_started:  # not NaN
        left = typical - (time.time() - other_started)
    else:
        left = typical - (time.monotonic() - started) if started else typical
    return max(5, int(left + 0.999))


def make(db_path: Path | str, as_of: dt.date | None, compare: dt.date | None, lang: str,
         wait_s: float = WAIT_S, timeout_s: float = RENDER_TIMEOUT_S) -> dict[str, bytes]:
    """{format name: bytes} for every format of briefing_formats.FORMATS, for this database's current data;
    RendererBusy or RenderFailed otherwise."""
    from metrics.kpi.scorecard import latest_data_date
    from metrics.outputs.briefing import build

    global _running_since, _last_render_s, renders
    con = store.connect(db_path, read_only=True, retries=10)
    try:
        as_of = as_of or latest_data_date(con)
        key = (str(db_path), store.data_version(con), as_of, compare, lang)
        hit = _cached(key)
        if hit is not None:
            return hit
        brief = build(con, as_of, compare, lang, with_charts=False)
    finally:
        con.close()  # nothing below touches the database
    deadline = time.monotonic() + wait_s
    if not _render_lock.acquire(timeout=wait_s):
        raise RendererBusy(_retry_after())
    try:
        with _machine_turn(db_path, deadline) as other_started:
            if other_started is not None:  # another dashboard process is rendering
                raise RendererBusy(_retry_after(other_started))
            hit = _cached(key)  # made by the request this one waited for
            if hit is not None:
                return hit
            _running_since = time.monotonic()
            renders += 1
            files = render_in_child(brief, timeout_s)
            _last_render_s = time.monotonic() - _running_since
        with _cache_lock:
            _cache[key] = files
            while len(_cache) > CACHE_ENTRIES:
                _cache.popitem(last=False)
        return files
    finally:
        _running_since = None
        _render_lock.release()


def lock_path(db_path: Path | str) -> Path:
    """The file whose lock is the renderer's turn, beside the database: every process serving it shares it."""
    db = Path(db_path)
    return db.with_name(db.name + ".briefing-lock")


@contextlib.contextmanager
def _machine_turn(db_path: Path | str, deadline: float):
    """The renderer's turn across processes (scripts/serve.sh runs several dashboards on one database): an
    exclusive flock on lock_path(), waited for until `deadline`. Yields None when this process has the turn, else
    when the other render started (time.time(), from the lock file), having not taken the turn. One Chromium
    render at a time on the machine, not one per process."""
    import fcntl

    if str(db_path) == ":memory:":
        yield None
        return
    path = lock_path(db_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    try:
                        started = float(os.pread(fd, 32, 0).decode() or "nan")
                    except ValueError:
                        started = float("nan")
                    yield started
                    return
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{time.time():.3f}".encode(), 0)  # when this render started, for the others' estimate
        yield None
    finally:
        os.close(fd)  # releases the lock


def render_in_child(brief, timeout_s: float = RENDER_TIMEOUT_S) -> dict[str, bytes]:
    child = subprocess.Popen([sys.executable, "-m", "metrics.outputs.briefing_jobs"], cwd=PROJECT_ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)  # its own process group: Chromium goes with it
    try:
        out, err = child.communicate(pickle.dumps(brief), timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(child)
        raise RenderFailed("briefing_render_timeout", timeout_s=timeout_s) from None
    finally:
        _kill_group(child)  # kaleido may leave Chromium behind even when the child exits
    if child.returncode != 0:
        last = (err.decode("utf-8", "replace").strip().splitlines() or ["?"])[-1][:300]
        raise RenderFailed("briefing_render_failed", last=last)
    return pickle.loads(out)  # noqa: S301 -- our own child's answer, over a pipe


def _kill_group(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    child.wait()


def _child() -> None:
    from metrics.outputs.briefing import render_charts
    from metrics.outputs.briefing_formats import FORMATS

    brief = pickle.load(sys.stdin.buffer)  # noqa: S301 -- written by make() in the parent
    render_charts(brief)
    files = {name: fmt.write(brief) for name, fmt in FORMATS.items()}
    sys.stdout.buffer.write(pickle.dumps(files))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _child()
