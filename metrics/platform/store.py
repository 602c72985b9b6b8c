"""The DuckDB file: connect, create and migrate the schema, run parameterised queries.

One table per dataset holds the current rows (contract columns, plus `_load_id`, `_source_row` and `_extra` for
columns kept aside). `<dataset>__replaced` keeps every row version a later load replaced, so a load can be undone.
`loads` is the load log; it is only ever appended to or marked undone, never deleted from.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import duckdb

from metrics.core.config import PROJECT_ROOT
from metrics.core.datasets import DATASETS, Dataset
from metrics.core.errors import DashboardError
from metrics.platform import derived, faults, writer_turn

DEFAULT_DB = PROJECT_ROOT / "data" / "kpi.duckdb"
SCHEMA_VERSION = 2  # 2: the derived tables the training KPIs read (metrics/platform/derived.py)
# What a reader of another database file (a region's county snapshot) must match: the ledgers' schema and the
# definitions of the derived tables the KPIs read.
STRUCTURE_VERSION = f"{SCHEMA_VERSION}.{derived.DERIVED_VERSION}"


def structure_version(con: duckdb.DuckDBPyConnection, database: str | None = None) -> str | None:
    """The structure version of a database (`database`: an attached one's name); None when it has no meta table."""
    try:
        return structure_versions(con, [database or current_database(con)])[0]
    except duckdb.CatalogException:
        return None


def current_database(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT current_database()").fetchall()[0][0]


def structure_versions(con: duckdb.DuckDBPyConnection, databases: list[str]) -> list[str]:
    """The structure version of each attached database, in one query (raises CatalogException if one has no meta)."""
    quoted = ['"' + name.replace('"', '""') + '"' for name in databases]  # a file's stem names its database
    parts = [f"SELECT {k}, (SELECT value FROM {name}.meta WHERE key = 'schema_version'), "
             f"(SELECT value FROM {name}.meta WHERE key = 'derived_version')" for k, name in enumerate(quoted)]
    rows = sorted(con.execute(" UNION ALL ".join(parts)).fetchall())
    return [f"{schema}.{built or 0}" for _, schema, built in rows]
META_COLUMNS = (("_load_id", "BIGINT"), ("_source_row", "INTEGER"), ("_extra", "VARCHAR"))


class StoreBusy(DashboardError):
    """Another process holds the database file for writing."""

    code = "db_busy"

    def __init__(self, detail: str):
        super().__init__(detail=detail)


def default_db_path() -> Path:
    return Path(os.environ.get("KPI_DB") or DEFAULT_DB)


def stored_columns(ds: Dataset) -> list[tuple[str, str]]:
    return [(c.stored_as, c.sql_type) for c in ds.columns]


# The system's own tables (not ledgers), created when missing. They are part of the schema fingerprint, so a table
# added here is created in a database made before it (the fingerprint shortcut would otherwise skip the creation).
SYSTEM_TABLES = (
    """CREATE TABLE IF NOT EXISTS loads (
        load_id BIGINT PRIMARY KEY, batch_id BIGINT, dataset VARCHAR NOT NULL, file_name VARCHAR,
        sha256 VARCHAR, rows_added BIGINT, rows_replaced BIGINT, rows_unchanged BIGINT,
        loaded_by VARCHAR, loaded_at TIMESTAMP, warnings VARCHAR,
        status VARCHAR NOT NULL DEFAULT 'active', undone_at TIMESTAMP, undone_by VARCHAR,
        is_demo BOOLEAN DEFAULT FALSE)""",
    # Evidence for acceptance: files stored once by content hash, linked to the loads they support.
    "CREATE TABLE IF NOT EXISTS evidence_files (sha256 VARCHAR PRIMARY KEY, content BLOB, size BIGINT, mime VARCHAR)",
    "CREATE TABLE IF NOT EXISTS evidence (load_id BIGINT, sha256 VARCHAR, file_name VARCHAR, "
    "added_by VARCHAR, added_at TIMESTAMP, PRIMARY KEY (load_id, sha256))",
    "CREATE TABLE IF NOT EXISTS user_roles (login VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, "
    "updated_by VARCHAR, updated_at TIMESTAMP)",
    # The 绩效自评表's words an editor wrote over the generated ones (实际完成情况, 偏差原因分析及改进措施), per sheet
    # ("2023", "project") and row (a KPI id, timeliness, cost, satisfaction, or goal), with who and when.
    "CREATE TABLE IF NOT EXISTS self_evaluation_edits (sheet VARCHAR, row_key VARCHAR, text VARCHAR, "
    "edited_by VARCHAR, edited_at TIMESTAMP, PRIMARY KEY (sheet, row_key))",
    # The digest (metrics/outputs/digest.py): each composed and sent digest, and every attempt to deliver it per
    # channel. Only aggregates and KPI names are stored here, never ledger rows or personal data.
    "CREATE TABLE IF NOT EXISTS digests (digest_id BIGINT PRIMARY KEY, created_at TIMESTAMP, "
    "since TIMESTAMP, as_of DATE, lang VARCHAR, change_key VARCHAR, statuses VARCHAR, spent_wan DOUBLE, "
    "last_load_id BIGINT, subject VARCHAR, markdown VARCHAR, text VARCHAR, html VARCHAR, attach_briefing BOOLEAN)",
    "CREATE TABLE IF NOT EXISTS digest_sends (digest_id BIGINT, channel VARCHAR, attempted_at TIMESTAMP, "
    "ok BOOLEAN, answer VARCHAR)",
    # 政务公开 (metrics/outputs/publish_record.py): each prepared publication, its files as a zip, who prepared and
    # who approved it. Only what the public site says is stored (screened for personal data before).
    "CREATE TABLE IF NOT EXISTS publications (publication_id BIGINT PRIMARY KEY, prepared_at TIMESTAMP, "
    "prepared_by VARCHAR, as_of DATE, lang VARCHAR, data_key VARCHAR, files_digest VARCHAR, file_count INTEGER, "
    "statuses VARCHAR, spent_wan DOUBLE, last_load_id BIGINT, demo BOOLEAN, site_zip BLOB, "
    "approved_by VARCHAR, approved_at TIMESTAMP)",
)


def _schema_fingerprint() -> str:
    """Changes whenever what _create_schema makes would change (the contract's columns, the system's tables, the
    versions)."""
    import hashlib

    text = repr([(ds.table, stored_columns(ds)) for ds in DATASETS.values()]) + repr(SYSTEM_TABLES) + STRUCTURE_VERSION
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    # A database already made by this very schema: nothing to create or migrate (one query instead of ~40
    # statements: a process's first write, and every test's copied database, open in milliseconds).
    if one(con, "SELECT value FROM meta WHERE key = 'schema_fingerprint'") == (_schema_fingerprint(),):
        return
    for ddl in SYSTEM_TABLES:
        con.execute(ddl)
    # One statement for all ledger tables and one catalogue read for the migration below: table by table this
    # cost 0.4 s per new database (every test's fresh database paid it, and so did each process's first write).
    statements = []
    for ds in DATASETS.values():
        ddl = ", ".join(f'"{name}" {sql_type}' for name, sql_type in stored_columns(ds) + list(META_COLUMNS))
        statements.append(f'CREATE TABLE IF NOT EXISTS "{ds.table}" ({ddl})')
        statements.append(f'CREATE TABLE IF NOT EXISTS "{ds.table}__replaced" ({ddl}, "_replaced_by" BIGINT)')
    con.execute(";\n".join(statements))
    # Migration: a column added to the contract later is added to existing tables.
    existing: dict[str, set[str]] = {}
    for table, column in con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                                     "WHERE schema_name = current_schema() AND database_name = current_database()"
                                     ).fetchall():
        existing.setdefault(table, set()).add(column)
    for ds in DATASETS.values():
        for table in (ds.table, f"{ds.table}__replaced"):
            for name, sql_type in stored_columns(ds) + list(META_COLUMNS):
                if name not in existing.get(table, set()):
                    con.execute(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {sql_type}')
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [str(SCHEMA_VERSION)],
    )
    con.execute("INSERT INTO meta VALUES ('data_version', '0') ON CONFLICT (key) DO NOTHING")
    derived.ensure(con)
    con.execute("INSERT INTO meta VALUES ('schema_fingerprint', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [_schema_fingerprint()])


def schema_current(con: duckdb.DuckDBPyConnection) -> bool:
    """The database was made or migrated by this very schema (its fingerprint in meta, written by _create_schema):
    checked read-only, since a reader cannot migrate. A file of an older version has another or no fingerprint."""
    try:
        return one(con, "SELECT value FROM meta WHERE key = 'schema_fingerprint'") == (_schema_fingerprint(),)
    except duckdb.CatalogException:  # not even a meta table
        return False


_migrated: set[str] = set()  # database files whose schema this process has already created or migrated


def connect(path: Path | str | None = None, read_only: bool = False, retries: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open the database, creating and migrating the schema when writable.

    DuckDB lets one process write a file, or many read it (read_only=True), not both; when another holds it the
    other way, wait up to `retries` seconds, then raise StoreBusy with a message a user can act on. A read-only
    connection neither creates nor migrates the schema: whoever starts the dashboard has done that (start.sh).
    """
    path = Path(path or default_db_path())
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + retries
    turn = writer_turn.Turn(path)  # a writer that finds the file taken asks readers for a turn
    try:
        con, read_only = _open(path, read_only, deadline, turn)
    finally:
        turn.withdraw()
    if str(path) != ":memory:" and not read_only:
        make_private(path)
    if not read_only and str(path) not in _migrated:
        try:
            _create_schema(con)
        except duckdb.Error as exc:  # a file cut short opens, then fails on its first read
            con.close()
            if faults.is_damage(exc):
                raise faults.DatabaseDamaged(path, faults.first_line(exc)) from None
            raise
        if str(path) != ":memory:":
            _migrated.add(str(path))
    return con


def _open(path: Path, read_only: bool, deadline: float,
          turn: writer_turn.Turn) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """duckdb.connect, trying until `deadline` while another holds the file the other way; with whether it opened
    read-only. A reader first gives a waiting writer its turn; a writer that finds the file taken announces itself
    at each try (writer_turn)."""
    while True:
        if read_only and str(path) != ":memory:" and writer_turn.waiting(path):
            if time.monotonic() >= deadline:
                raise StoreBusy(f"{path}: {writer_turn.marker(path).name}")
            time.sleep(0.02)
            continue
        try:
            if read_only and not path.exists():
                read_only = False  # nothing to read yet: create it
            return duckdb.connect(str(path), read_only=read_only), read_only
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                if "lock" in str(exc).lower():
                    raise StoreBusy(str(exc).splitlines()[0]) from None
                if faults.is_damage(exc):  # cut short or bad blocks: say so, with the backup to restore
                    raise faults.DatabaseDamaged(path, faults.first_line(exc)) from None
                raise
            if not read_only:
                turn.announce()
            time.sleep(0.2)
        except duckdb.ConnectionException as exc:
            # This process has the file open the other way: DuckDB refuses a second configuration of one file in a
            # process. The dashboard reads read-only and writes read-write from different sessions' threads. A
            # reader joins this process's read-write connection (one DuckDB instance: it reads committed data, as
            # before read-only reads existed); a writer waits for the read-only ones to close, as for another
            # process's lock.
            if read_only and "different configuration" in str(exc):
                read_only = False
                continue
            if "different configuration" not in str(exc) or time.monotonic() >= deadline:
                if "different configuration" in str(exc):
                    raise StoreBusy(str(exc).splitlines()[0]) from None
                raise
            turn.announce()
            time.sleep(0.02)
        except duckdb.Error as exc:  # a serialization error, a bad header: the file is not what it should be
            if faults.is_damage(exc) or "serializ" in type(exc).__name__.lower():
                raise faults.DatabaseDamaged(path, faults.first_line(exc)) from None
            raise


def make_private(path: Path) -> None:
    """The database holds ledgers, hashes and evidence: owner-only (0600), its WAL too, and so is every file this
    process creates from now on (umask), such as a WAL DuckDB writes later or a backup."""
    os.umask(os.umask(0o077) | 0o077)
    for file in (Path(path), Path(f"{path}.wal")):
        try:
            if file.exists() and file.stat().st_mode & 0o077:
                os.chmod(file, 0o600)
        except PermissionError:  # not ours to change (a shared install): leave it to its owner
            pass


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, needs_bytes: int = 0):
    """All or nothing: any exception rolls the whole block back. A disk that fills up during the block (or its
    commit) ends in `faults.DiskFull`, saying how much room is missing for a write of about `needs_bytes`; the
    database keeps its state before the block (DuckDB's own error, `Current transaction is aborted`, was shown as
    a traceback)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException as exc:
        con.execute("ROLLBACK")
        if faults.is_disk_full(exc):
            raise faults.disk_full(_directory(con), needs_bytes) from exc
        raise
    try:
        con.execute("COMMIT")
    except duckdb.Error as exc:
        if not faults.is_disk_full(exc):
            raise
        try:
            con.execute("ROLLBACK")  # a commit that failed may leave the transaction open
        except duckdb.Error:
            pass
        raise faults.disk_full(_directory(con), needs_bytes) from exc


def _directory(con: duckdb.DuckDBPyConnection) -> Path:
    """The folder of the connection's database file (where a write needs room)."""
    try:
        row = one(con, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
    except duckdb.Error:
        row = None
    return Path(row[0]).parent if row and row[0] else Path(".")


def bump_data_version(con: duckdb.DuckDBPyConnection, changed: Iterable[str] | None = None) -> None:
    """Every load or undo changes the data version, which keys the dashboard's caches; the derived tables the KPIs
    read are rebuilt here, in the same transaction (metrics/platform/derived.py): those that read a table in
    `changed` (the ledger tables the caller changed, as the derived SQL names them), or every one when the caller
    does not say."""
    derived.refresh(con, changed)
    con.execute("UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'data_version'")


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    row = one(con, "SELECT value FROM meta WHERE key = 'data_version'")
    return int(row[0]) if row else 0


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, with the result read to the end.

    DuckDB 2.0 streams results: a result left half-read (fetchone) owns the connection, and register() on it
    fails. Reading everything keeps the connection free for the next statement.
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None):
    """A parameterised query returning a pandas DataFrame (the result is fully read before returning)."""
    return con.execute(sql, params or []).df()


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {name: one(con, f'SELECT count(*) FROM "{name}"')[0] for name in DATASETS}


def demo_loaded(con: duckdb.DuckDBPyConnection) -> bool:
    row = one(con, "SELECT count(*) FROM loads WHERE status = 'active' AND is_demo")
    return bool(row and row[0])
