"""Opening a county's snapshot, someone else's DuckDB file, so that it can do nothing but be read (issue 25).

A snapshot's catalogue is the sender's to write: its "ledger table" may be a view calling read_text('…secrets.toml'),
glob('*') or a macro, a generated column computing anything, a sequence. So snapshots are
- attached read-only to an in-memory DuckDB opened with the SQL sandbox's settings (metrics/platform/sandbox.py: no
  extension autoloaded or installed, no spill folder, bounded memory and threads), then locked down as the sandbox
  does (no file system or network, the configuration locked) before any query touches them;
- and each catalogue is compared with the one this dashboard makes (`store._create_schema` on an empty in-memory
  database): only base tables of the expected names and column definitions; any view, macro, sequence, index,
  type, schema or unknown table is refused, named. A table whose columns differ (a generated column, a DEFAULT
  expression, a missing or extra column) is refused naming its first differing definition.
The caller (metrics/outputs/region_score.py) does this in a child process with a time limit and a memory cap.
"""

from __future__ import annotations

import functools
import re
import shutil
import tempfile
from pathlib import Path

import duckdb

from metrics.platform import sandbox, store

SNAPSHOT_MEMORY_LIMIT = "256MB"  # DuckDB's own limit per snapshot; the child's address space is capped too
# A path DuckDB opens as written. Others are attached through a plain-named link: ATTACH reads a backslash in a file
# name as a folder separator (a snapshot named `a\b.duckdb` was "unreadable"), and a name is someone else's text.
_PLAIN_PATH = re.compile(r"[\w.\-/ ]+")


def open_snapshots(paths: list[Path]) -> tuple[duckdb.DuckDBPyConnection, dict[int, str], dict[int, duckdb.Error]]:
    """An in-memory DuckDB with the SQL sandbox's settings, each snapshot attached read-only (as `snapshot<k>`),
    then locked down before any query touches them. Attaching reads the catalogue's definitions only: a view or
    macro runs when queried, by then without access. Returns the connection, the attached names by index, and the
    error of each snapshot that could not be attached (corrupt, not DuckDB)."""
    con = duckdb.connect(":memory:", config=sandbox.open_settings(SNAPSHOT_MEMORY_LIMIT, threads=1))
    attached, errors = {}, {}
    links = None  # a private folder of plain-named links, removed once every snapshot is attached (and open)
    try:
        for k, path in enumerate(paths):
            target = str(path)
            if not _PLAIN_PATH.fullmatch(target):
                links = links or Path(tempfile.mkdtemp(prefix="kpi-snapshots-"))
                link = links / f"snapshot{k}.duckdb"
                link.symlink_to(Path(path).resolve())
                target = str(link)
            try:
                con.execute(f"ATTACH '{target.replace(chr(39), chr(39) * 2)}' AS snapshot{k} (READ_ONLY)")
                attached[k] = f"snapshot{k}"
            except duckdb.Error as exc:
                errors[k] = exc
        sandbox.lock_down(con)
    except BaseException:
        con.close()
        raise
    finally:
        if links is not None:
            shutil.rmtree(links, ignore_errors=True)
    return con, attached, errors


def open_snapshot(path: Path | str) -> duckdb.DuckDBPyConnection:
    """One snapshot, as `open_snapshots` opens them, made the current database (raises duckdb.Error if unreadable)."""
    con, attached, errors = open_snapshots([Path(path)])
    if errors:
        con.close()
        raise errors[0]
    con.execute(f"USE {attached[0]}")
    return con


@functools.lru_cache(maxsize=1024)  # the same 43 statements come back in every snapshot
def _columns(create_sql: str) -> frozenset[str]:
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
    return frozenset(parts)


def _table_rows(con: duckdb.DuckDBPyConnection, databases: list[str] | None = None) -> list[tuple[str, ...]]:
    """(database, schema, table, CREATE statement) of each table in `databases` (None: the current one)."""
    where, params = _where(databases)
    return con.execute("SELECT database_name, schema_name, table_name, sql FROM duckdb_tables() WHERE " + where,
                       params).fetchall()


def _where(databases: list[str] | None) -> tuple[str, list]:
    if databases is None:
        return "database_name = current_database()", []
    return "list_contains(?, database_name)", [databases]


@functools.lru_cache(maxsize=1)
def expected_tables() -> dict[str, frozenset[str]]:
    """Table name -> its column definitions, as this dashboard's own schema makes them."""
    con = duckdb.connect(":memory:")
    try:
        store._create_schema(con)  # the one definition of the schema; an empty in-memory database costs ~60 ms
        return {name: _columns(sql) for _, _, name, sql in _table_rows(con)}
    finally:
        con.close()


# Every other kind of object a DuckDB catalogue can hold, with how to list a snapshot's own. Our schema has none of
# them, so any one found is refused. (Listing macros costs ~15 ms a query, whatever the number of databases: the
# built-in functions are listed too. The region's children attach several snapshots and ask once for them all.)
_OTHER_OBJECTS = """
SELECT database_name, 'view', schema_name, view_name FROM duckdb_views() WHERE {where} AND NOT internal
UNION ALL SELECT database_name, 'macro', schema_name, function_name FROM duckdb_functions() WHERE {where} AND NOT internal
UNION ALL SELECT database_name, 'sequence', schema_name, sequence_name FROM duckdb_sequences() WHERE {where}
UNION ALL SELECT database_name, 'index', schema_name, index_name FROM duckdb_indexes() WHERE {where}
UNION ALL SELECT database_name, 'type', schema_name, type_name FROM duckdb_types() WHERE {where} AND NOT internal
UNION ALL SELECT database_name, 'schema', 'main', schema_name FROM duckdb_schemas() WHERE {where}
    AND NOT internal AND schema_name <> 'main'
"""


def _qualified(schema: str, name: str) -> str:
    return name if schema == "main" else f"{schema}.{name}"


def catalog_problem(con: duckdb.DuckDBPyConnection) -> tuple[str, dict] | None:
    """None when the snapshot (the connection's own database) holds only base tables of this dashboard's schema,
    else the reason (key, values) naming the first object refused."""
    current = con.execute("SELECT current_database()").fetchall()[0][0]
    return catalog_problems(con, [current])[current]


def catalog_problems(con: duckdb.DuckDBPyConnection, databases: list[str]) -> dict[str, tuple[str, dict] | None]:
    """For each of the attached `databases`: None when it holds only base tables of this dashboard's schema, else
    the reason (key, values) naming the first object refused. A missing table is not refused here: scoring says
    which (region_tables_missing)."""
    where, params = _where(databases)
    found: dict[str, tuple[str, dict] | None] = dict.fromkeys(databases)
    for database, kind, schema, name in sorted(con.execute(_OTHER_OBJECTS.format(where=where),
                                                           params * 6).fetchall()):
        if found[database] is None:
            found[database] = ("region_object_refused", {"kind": kind, "object": _qualified(schema, name)})
    expected = expected_tables()
    for database, schema, name, sql in sorted(_table_rows(con, databases)):
        if found[database] is not None:
            continue
        if schema != "main" or name not in expected:
            found[database] = ("region_object_refused", {"kind": "table", "object": _qualified(schema, name)})
            continue
        columns = _columns(sql)
        if columns != expected[name]:
            odd = sorted(columns - expected[name]) or sorted(expected[name] - columns)
            found[database] = ("region_table_refused", {"table": name, "column": odd[0][:120]})
    return found
