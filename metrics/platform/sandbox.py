"""SQL for power users, read-only and sandboxed.

Each query runs in a child process of its own (`python -m metrics.platform.sandbox`), in an in-memory DuckDB holding copies
of the ledger tables and nothing else:
- the child's address space is capped (resource.setrlimit) before it reads anything, so a query asking for
  gigabytes fails there, not in the dashboard; DuckDB's own memory_limit does not cover every allocation
  (`repeat('x', 1e9)` grew the server to 8 GB);
- past the time limit the child is killed (SIGKILL): the work stops with it, it does not go on in the background;
- external access is disabled and the configuration locked before any user text reaches DuckDB, so read_csv,
  read_text, glob, COPY ... TO, ATTACH, INSTALL and LOAD have nothing to reach, and SET or PRAGMA cannot undo it;
- there is no temp directory (DuckDB would allow reading its own, `.tmp` under the working directory), and the
  child runs in an empty folder;
- only one SELECT statement is accepted, and results are capped: at ROW_CAP rows, and at RESULT_CAP_BYTES in the
  child, counted as rows are fetched (`SELECT repeat('x',100000) FROM range(10000)` is 1 GB in 10,000 rows; it
  is refused at 50 MB, before the child holds it all); the parent reads at most a little more than that from the
  pipe, whatever the child sends.
The ledger copies are read once per data version in the parent (`build_sandbox`) and handed to each child over a
pipe; no file is written.
"""

from __future__ import annotations

import os
import pickle
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:  # pandas and pyarrow cost ~0.3 s to import: the region's scoring children need neither
    import pandas as pd
    import pyarrow as pa

from metrics.core.config import PROJECT_ROOT
from metrics.core.datasets import DATASETS
from metrics.core.errors import DashboardError
from metrics.core.i18n import t

ROW_CAP = 10_000
RESULT_CAP_BYTES = 50 * 2**20  # text as UTF-8 plus 16 bytes a value: what the dashboard is asked to hold and render
TIME_LIMIT_S = 10.0
MEMORY_LIMIT = "512MB"  # DuckDB's own limit, inside the child
CHILD_COMMAND = [sys.executable, "-m", "metrics.platform.sandbox"]
ADDRESS_SPACE_BYTES = 1536 * 2**20  # the child's hard cap: Python, DuckDB, the data copy and the query together
SLOTS = 2  # query children at once per database, over all the dashboard's processes (query_slot)
SLOT_WAIT_S = 5.0


class SandboxError(DashboardError):
    """A query refused or failed: its code (a message key) and values say why."""


@dataclass
class SandboxResult:
    frame: pd.DataFrame
    truncated: bool


@dataclass
class Sandbox:
    """The ledger copies a query child is given (Arrow tables, without bookkeeping or personal columns), and where
    the query slots' lock files are (None: no limit, e.g. the command line's one query)."""
    tables: dict[str, pa.Table]
    slots: Path | None = None


def build_sandbox(source: duckdb.DuckDBPyConnection, slots: Path | None = None) -> Sandbox:
    tables = {}
    for name, ds in DATASETS.items():
        # Hashed ID numbers and masked phones stay out: nothing an analyst needs, one less thing to leak.
        cols = ", ".join(f'"{c.stored_as}"' for c in ds.columns if c.personal is None)
        tables[name] = source.sql(f'SELECT {cols} FROM "{name}"').to_arrow_table()
    return Sandbox(tables, slots)


@contextmanager
def query_slot(prefix: Path | None, wait_s: float = SLOT_WAIT_S):
    """One of SLOTS query children at a time, across every dashboard process serving a database (scripts/serve.sh
    runs several): an exclusive flock on one of the files `<prefix>-0` … `<prefix>-{SLOTS-1}`. Each child may use
    ADDRESS_SPACE_BYTES, so without a shared limit N processes would allow N times the queries' memory. Waits up to
    `wait_s`, then refuses with SandboxError."""
    if prefix is None:
        yield
        return
    import fcntl

    deadline = time.monotonic() + wait_s
    fds = [os.open(f"{prefix}-{i}", os.O_RDWR | os.O_CREAT, 0o600) for i in range(SLOTS)]
    try:
        while True:
            for fd in fds:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                yield  # the lock goes with the descriptor, closed below
                return
            if time.monotonic() >= deadline:
                raise SandboxError("sandbox_slots_busy", slots=SLOTS)
            time.sleep(0.1)
    finally:
        for fd in fds:
            os.close(fd)


def check_statement(sql: str) -> None:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SandboxError("sandbox_sql_syntax_error", first_line=_first_line(exc)) from None
    if len(statements) != 1:
        raise SandboxError("sandbox_one_statement")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise SandboxError("sandbox_only_select", name=statements[0].type.name)


def answer_cap(result_cap: int) -> int:
    """The most the parent reads from a child: the result's cap plus the pickle's own overhead."""
    return result_cap + result_cap // 4 + 2**20


def run_query(sandbox: Sandbox, sql: str, row_cap: int = ROW_CAP, time_limit_s: float = TIME_LIMIT_S,
              address_space: int = ADDRESS_SPACE_BYTES, result_cap: int = RESULT_CAP_BYTES,
              slot_wait_s: float = SLOT_WAIT_S) -> SandboxResult:
    check_statement(sql)
    with query_slot(sandbox.slots, slot_wait_s):
        return _run_in_child(sandbox, sql, row_cap, time_limit_s, address_space, result_cap)


def _run_in_child(sandbox: Sandbox, sql: str, row_cap: int, time_limit_s: float, address_space: int,
                  result_cap: int) -> SandboxResult:
    job = pickle.dumps({"sql": sql, "row_cap": row_cap, "tables": sandbox.tables, "address_space": address_space,
                        "result_cap": result_cap, "answer_cap": answer_cap(result_cap)})
    with tempfile.TemporaryDirectory(prefix="kpi-sql-") as empty:
        child = start_child(CHILD_COMMAND, empty)
        try:
            out = exchange(child, job, time.monotonic() + time_limit_s, answer_cap(result_cap))
        except subprocess.TimeoutExpired:
            raise SandboxError("sandbox_timeout", time_limit_s=time_limit_s) from None
        finally:
            stop_child(child)
    if out is None:  # the child sent more than any allowed answer: refused without reading the rest
        raise _refusal({"error": "result_size", "result_cap": result_cap})
    try:
        answer = pickle.loads(out)  # noqa: S301 -- our own child's answer, over a pipe
    except Exception:  # killed by the memory cap (MemoryError while writing, or abort)
        answer = {"error": "memory"}
    if "error" in answer:
        raise _refusal(answer)
    return SandboxResult(answer["frame"], answer["truncated"])


# ------------------------------------------------------------------ the capped child, shared with the region view
# metrics/outputs/region_score.py scores county snapshots (someone else's files) with these same mechanisms.

def open_settings(memory_limit: str = MEMORY_LIMIT, threads: int = 2) -> dict:
    """DuckDB settings given to `duckdb.connect(config=...)` for untrusted SQL or an untrusted database file: bounded
    memory and threads, no extension autoloaded or installed behind our back, and no temp directory (DuckDB lets a
    query read its own spill folder even with external access off; for a file opened read-only that folder would be
    `<file>.tmp` beside it). Then `lock_down`, before anything untrusted runs: DuckDB refuses `temp_directory` once
    external access is off, so the two cannot be given to connect() together."""
    return {"memory_limit": memory_limit, "threads": threads, "temp_directory": "",
            "autoload_known_extensions": False, "autoinstall_known_extensions": False}


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """No file system or network from here on (read_text, glob, read_csv, COPY, ATTACH, INSTALL, LOAD), and the
    configuration locked so that SET or PRAGMA cannot undo it."""
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def cap_address_space(cap: int) -> None:
    """In a child, before it reads anything untrusted: an allocation past `cap` fails there (DuckDB's own
    memory_limit does not cover every allocation)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def start_child(command: list[str], cwd: str) -> subprocess.Popen:
    """A child in its own session (killed with all it starts), in `cwd` (an empty folder), without the dashboard's
    KPI_* settings, pipes on stdin and stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KPI_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    # glibc reserves 64 MB of address space per thread's arena; under RLIMIT_AS those reservations, not data,
    # ran out first (a 1 GB result failed on its first 16 MB block instead of reaching the result cap).
    env["MALLOC_ARENA_MAX"] = "2"
    return subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def stop_child(child: subprocess.Popen) -> None:
    """Kill the child and everything in its session if it still runs (SIGKILL: its work stops with it)."""
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()


def exchange(child: subprocess.Popen, job: bytes, deadline: float, cap: int,
             progress: Callable[[bytearray], float | None] | None = None) -> bytearray | None:
    """Send the job and read the answer, at most `cap` bytes of it (None when the child sends more); raise
    TimeoutExpired at the deadline. `progress(answer so far)`, called after each read, may move the deadline (a
    child answering item by item gets a limit per item). The job is written from a thread so a child that answers
    before reading it all cannot deadlock us."""
    def feed():
        try:
            child.stdin.write(job)
            child.stdin.close()
        except OSError:  # the child died or was killed: its answer (or silence) says why
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    out = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise subprocess.TimeoutExpired(child.args, 0)
            chunk = os.read(child.stdout.fileno(), 1 << 20)
            if not chunk:
                break
            if len(out) + len(chunk) > cap:
                return None
            out += chunk
            if progress is not None:
                deadline = progress(out) or deadline
    writer.join(timeout=1)
    return out


def _refusal(answer: dict) -> SandboxError:
    kind, detail = answer["error"], answer.get("detail", "")
    if kind == "result_size":
        cap = answer["result_cap"]
        limit = f"{cap // 2**20} MB" if cap >= 2**20 else f"{cap // 1024} kB"
        rows = answer.get("rows")
        where_zh = t("sandbox_reached_row", "zh", rows=rows) if rows else ""  # the message renders in either language
        where_en = t("sandbox_reached_row", "en", rows=rows) if rows else ""
        return SandboxError("sandbox_result_too_large", limit=limit, where_zh=where_zh, where_en=where_en)
    if kind == "memory":
        return SandboxError("sandbox_memory", mb=ADDRESS_SPACE_BYTES // 2 ** 20)
    if kind == "access":
        return SandboxError("sandbox_access")
    return SandboxError("sandbox_query_failed", detail=detail)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__


def _child() -> None:
    """In the child: cap memory first, then load the copies, lock DuckDB, run the one query, answer on stdout."""
    import pandas  # noqa: F401 -- imported before the cap: its frame is this child's answer

    job = pickle.load(sys.stdin.buffer)  # noqa: S301 -- written by run_query in the parent
    cap_address_space(job["address_space"])
    try:
        answer = _run(job)
        out = pickle.dumps(answer)
    except MemoryError:
        answer = {"error": "memory"}
        out = pickle.dumps(answer)
    if len(out) > job["answer_cap"]:  # more pickle overhead than allowed for (many tiny values): still too big
        out = pickle.dumps({"error": "result_size", "result_cap": job["result_cap"]})
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()


def _run(job: dict) -> dict:
    con = duckdb.connect(":memory:", config=open_settings())  # no spill folder: nothing to read there
    for name, table in job.pop("tables").items():
        con.register(name, table)  # a view over the Arrow table: no second copy
    lock_down(con)
    try:
        result = con.execute(job["sql"])
        names = [d[0] for d in result.description]
        rows, size = [], 0
        while len(rows) <= job["row_cap"]:  # in batches, counting: stop as soon as the result is over its cap
            batch = result.fetchmany(min(256, job["row_cap"] + 1 - len(rows)))
            if not batch:
                break
            size += sum(_size(v) for row in batch for v in row)
            if size > job["result_cap"]:
                return {"error": "result_size", "result_cap": job["result_cap"], "rows": len(rows) + len(batch)}
            rows += batch
    except duckdb.OutOfMemoryException:
        return {"error": "memory"}
    except duckdb.Error as exc:
        text = str(exc).lower()
        if "external access" in text or "disabled" in text or "permission" in text:
            return {"error": "access"}
        if "out of memory" in text or "bad allocation" in text or "bad_alloc" in text:
            return {"error": "memory"}
        return {"error": "query", "detail": _first_line(exc)}
    import pandas as pd

    return {"frame": pd.DataFrame(rows[:job["row_cap"]], columns=names), "truncated": len(rows) > job["row_cap"]}


def _size(value) -> int:
    """What a value costs the dashboard, roughly: its text as UTF-8 (nested lists and structs included) + 16."""
    if isinstance(value, str):
        return 16 + (len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass")))
    if isinstance(value, bytes | bytearray):
        return 16 + len(value)
    if isinstance(value, list | tuple):
        return 16 + sum(_size(v) for v in value)
    if isinstance(value, dict):
        return 16 + sum(_size(k) + _size(v) for k, v in value.items())
    return 16


if __name__ == "__main__":
    _child()
