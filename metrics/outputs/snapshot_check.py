"""Opening a county's snapshot, someone else's DuckDB file, so that it can do nothing but be read (issue 25).

A snapshot's catalogue is the sender's to write: its "ledger table" may be a view calling read_text('…secrets.toml'),
glob('*') or a macro, a generated column computing anything, a sequence. So a snapshot is opened
- read-only, with the SQL sandbox's settings (metrics/platform/sandbox.py: no extension autoloaded or installed, no
  spill folder, bounded memory and threads), then locked down as the sandbox does (no file system or network, the
  configuration locked) before any query;
- and then its catalogue is compared with the one this dashboard makes (`store._create_schema` on an empty in-memory
  database): only base tables of the expected names and column definitions; any view, macro, sequence, index,
  type, schema or unknown table is refused, named. A table whose columns differ (a generated column, a DEFAULT
  expression, a missing or extra column) is refused naming its first differing definition.
The caller (metrics/outputs/region_score.py) does this in a child process with a time limit and a memory cap.
"""

from __future__ import annotations

import functools
from pathlib import Path

import duckdb

from metrics.platform import sandbox, store

SNAPSHOT_MEMORY_LIMIT = "256MB"  # DuckDB's own limit per snapshot; the child's address space is capped too


def open_snapshot(path: Path | str, memory_limit: str = SNAPSHOT_MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    """The snapshot, read-only and locked down before any query touches it (raises duckdb.Error if unreadable).
    Opening reads only the catalogue's definitions; a view or macro runs when queried, by then without access."""
    con = duckdb.connect(str(path), read_only=True, config=sandbox.open_settings(memory_limit, threads=1))
    try:
        sandbox.lock_down(con)
    except BaseException:
        con.close()
        raise
    return con


def _columns(create_sql: str) -> list[str]:
    """The column and constraint definitions of a `CREATE TABLE name(…);` statement, split at top-level commas."""
    inner = create_sql[create_sql.index("(") + 1:create_sql.rindex(")")]
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(inner):
        if ch == '"' or ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            parts.append(inner[start:i].strip())
            start = i + 1
    parts.append(inner[start:].strip())
    return parts


def _table_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute("SELECT schema_name, table_name, sql FROM duckdb_tables() "
                       "WHERE database_name = current_database()").fetchall()


@functools.lru_cache(maxsize=1)
def expected_tables() -> dict[str, set[str]]:
    """Table name -> its column definitions, as this dashboard's own schema makes them."""
    con = duckdb.connect(":memory:")
    try:
        store._create_schema(con)  # the one definition of the schema; an empty in-memory database costs ~60 ms
        return {name: set(_columns(sql)) for _, name, sql in _table_rows(con)}
    finally:
        con.close()


# Every other kind of object a DuckDB catalogue can hold, with how to list the snapshot's own. Our schema has none
# of them, so any one found is refused.
_OTHER_OBJECTS = """
SELECT 'view', schema_name, view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
UNION ALL SELECT 'macro', schema_name, function_name FROM duckdb_functions()
    WHERE database_name = current_database() AND NOT internal
UNION ALL SELECT 'sequence', schema_name, sequence_name FROM duckdb_sequences() WHERE database_name = current_database()
UNION ALL SELECT 'index', schema_name, index_name FROM duckdb_indexes() WHERE database_name = current_database()
UNION ALL SELECT 'type', schema_name, type_name FROM duckdb_types() WHERE database_name = current_database()
    AND NOT internal
UNION ALL SELECT 'schema', 'main', schema_name FROM duckdb_schemas() WHERE database_name = current_database()
    AND NOT internal AND schema_name <> 'main'
"""


def _qualified(schema: str, name: str) -> str:
    return name if schema == "main" else f"{schema}.{name}"


def catalog_problem(con: duckdb.DuckDBPyConnection) -> tuple[str, dict] | None:
    """None when the snapshot holds only base tables of this dashboard's schema, else the reason (key, values) naming
    the first object refused. A missing table is not refused here: scoring says which (region_tables_missing)."""
    other = con.execute(_OTHER_OBJECTS).fetchall()
    if other:
        kind, schema, name = sorted(other)[0]
        return "region_object_refused", {"kind": kind, "object": _qualified(schema, name)}
    expected = expected_tables()
    for schema, name, sql in sorted(_table_rows(con)):
        if schema != "main" or name not in expected:
            return "region_object_refused", {"kind": "table", "object": _qualified(schema, name)}
        columns = set(_columns(sql))
        if columns != expected[name]:
            odd = sorted(columns - expected[name]) or sorted(expected[name] - columns)
            return "region_table_refused", {"table": name, "column": odd[0][:120]}
    return None
