"""SQL for power users, read-only and sandboxed.

The query runs in a DuckDB instance of its own, in memory, holding copies of the ledger tables and nothing else.
That instance has external access disabled and its configuration locked before any user text reaches it, so
read_csv, read_text, COPY ... TO, ATTACH, INSTALL and LOAD have nothing to reach, and SET or PRAGMA cannot undo it.
(enable_external_access is instance-wide: the sandbox must never share an instance with ingestion.) On top of that
only one SELECT statement is accepted, results are capped, and a query running past the time limit is interrupted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import duckdb
import pandas as pd

from .datasets import DATASETS
from .errors import BilingualError

ROW_CAP = 10_000
TIME_LIMIT_S = 10.0
MEMORY_LIMIT = "1GB"


class SandboxError(BilingualError):
    """A query refused or failed; `zh` and `en` say why."""


@dataclass
class SandboxResult:
    frame: pd.DataFrame
    truncated: bool


def build_sandbox(source: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A locked in-memory instance with a copy of every ledger (without bookkeeping columns)."""
    sandbox = duckdb.connect(":memory:")
    for name, ds in DATASETS.items():
        # Hashed ID numbers and masked phones stay out: nothing an analyst needs, one less thing to leak.
        cols = ", ".join(f'"{c.stored_as}"' for c in ds.columns if c.personal is None)
        table = source.sql(f'SELECT {cols} FROM "{name}"').to_arrow_table()
        sandbox.register("incoming", table)
        sandbox.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
        sandbox.unregister("incoming")
    sandbox.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    sandbox.execute("SET threads = 2")
    sandbox.execute("SET enable_external_access = false")
    sandbox.execute("SET lock_configuration = true")
    return sandbox


def check_statement(sql: str) -> None:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SandboxError(f"SQL 语法错误：{_first_line(exc)}", f"SQL syntax error: {_first_line(exc)}") from None
    if len(statements) != 1:
        raise SandboxError("只能输入一条 SELECT 语句", "enter exactly one SELECT statement")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise SandboxError(f"只允许 SELECT 查询（这是 {statements[0].type.name}）",
                           f"only SELECT is allowed (this is {statements[0].type.name})")


def run_query(sandbox: duckdb.DuckDBPyConnection, sql: str, row_cap: int = ROW_CAP,
              time_limit_s: float = TIME_LIMIT_S) -> SandboxResult:
    check_statement(sql)
    cursor = sandbox.cursor()
    outcome: dict = {}

    def work() -> None:
        try:
            result = cursor.execute(sql)
            names = [d[0] for d in result.description]
            rows = result.fetchmany(row_cap + 1)
            cursor.abort()  # the rest of a large result is not needed
            outcome["frame"] = pd.DataFrame(rows[:row_cap], columns=names)
            outcome["truncated"] = len(rows) > row_cap
        except Exception as exc:  # reported below, in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(time_limit_s)
    if thread.is_alive():
        cursor.interrupt()
        thread.join(5)
        raise SandboxError(f"查询超过 {time_limit_s:g} 秒，已中止", f"the query ran over {time_limit_s:g} s and was stopped")
    if "error" in outcome:
        exc = outcome["error"]
        if isinstance(exc, duckdb.Error) and ("external access" in str(exc).lower() or "disabled" in str(exc).lower()):
            raise SandboxError("不允许访问文件、网络或修改设置", "file, network and settings access is not allowed") from None
        raise SandboxError(f"查询出错：{_first_line(exc)}", f"query failed: {_first_line(exc)}") from None
    return SandboxResult(outcome["frame"], outcome["truncated"])


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
