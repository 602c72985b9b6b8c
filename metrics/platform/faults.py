"""Faults of the machine, told in words: a full disk during a write, a damaged database file.

DuckDB reports both as generic errors (`IOException: Could not write file …: No space left on device`, followed by
`TransactionException: Current transaction is aborted` from the next statement; `IOException: Could not read enough
bytes` from a truncated file). `store.transaction` and `store.connect` turn them into these two errors, so every
caller (the command line, the pages) shows one sentence a clerk can act on, never a traceback.

Backups live in one folder (`$KPI_BACKUP_DIR`, else `data/backups`), named `kpi-backup-<stamp>.duckdb`: the
damaged-file message names the latest of them and the command that restores it.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
from pathlib import Path

from metrics.core.config import PROJECT_ROOT
from metrics.core.errors import DashboardError

BACKUP_PATTERN = "kpi-backup-*.duckdb"
MB = 1024 * 1024

# What DuckDB says when a write finds no room (errno 28's text, and its own words for a failed extension).
_NO_SPACE = ("no space left on device", "disk is full", "not enough space")
# What DuckDB says when a file is cut short or its blocks do not check out.
_DAMAGE = ("could not read enough bytes", "checksum", "not a valid duckdb database", "corrupt",
           "database file is too small", "failed to read database header", "invalid metadata")


class DiskFull(DashboardError):
    """A write found the disk full: everything was rolled back; `mb` is about how much more room the write needs."""

    code = "fault_disk_full"


class DatabaseDamaged(DashboardError):
    """The database file cannot be read (cut short, bad blocks): say so, with the latest backup and how to restore."""

    def __init__(self, path: Path | str, reason: str):
        backup = latest_backup()
        if backup is None:
            super().__init__("fault_db_damaged_no_backup", path=path, reason=reason, directory=backup_dir())
        else:
            super().__init__("fault_db_damaged", path=path, reason=reason, backup=backup,
                             command=f"python -m metrics --db {path} restore {backup}")
        self.path, self.reason, self.backup = Path(path), reason, backup


def _chain(exc: BaseException):
    """The exception and every one it was raised from or during (DuckDB's real cause is often the context of a
    later `Current transaction is aborted`)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_disk_full(exc: BaseException) -> bool:
    return any((isinstance(e, OSError) and e.errno == errno.ENOSPC) or any(s in str(e).lower() for s in _NO_SPACE)
               for e in _chain(exc))


def is_damage(exc: BaseException) -> bool:
    import duckdb

    return any(isinstance(e, duckdb.Error) and any(s in str(e).lower() for s in _DAMAGE) for e in _chain(exc))


def first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


def disk_full(directory: Path | str, needs_bytes: int) -> DiskFull:
    """The error for a write of about `needs_bytes` into `directory` that found the disk full: the room still
    missing, in whole MB (at least 1), after what is free now (the write was rolled back)."""
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        free = 0
    return DiskFull(mb=max(1, math.ceil((needs_bytes - free) / MB)))


def write_estimate(data_bytes: int) -> int:
    """The room a write of rows taking `data_bytes` in memory (Arrow) needs, as an upper bound whatever the file's
    format (an .xlsx is zipped, a CSV is not): DuckDB's compressed columns take a fraction of it (200,000 subsidy
    rows: 11.8 MB in Arrow, 2 MB more on disk), plus its write-ahead log and block allocation, bounded by 4 MB."""
    return data_bytes + 4 * MB


def backup_dir() -> Path:
    return Path(os.environ.get("KPI_BACKUP_DIR") or PROJECT_ROOT / "data" / "backups")


def backups(directory: Path | None = None) -> list[Path]:
    """Every backup in the folder, oldest first (the stamp in the name sorts by time)."""
    directory = Path(directory or backup_dir())
    return sorted(directory.glob(BACKUP_PATTERN)) if directory.is_dir() else []


def latest_backup(directory: Path | None = None) -> Path | None:
    found = backups(directory)
    return found[-1] if found else None
