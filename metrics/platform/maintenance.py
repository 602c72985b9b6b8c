"""Backups, restores and rotating the ID-hashing key: the operations that keep a county's ledgers safe.

A backup is a consistent copy of the database file: it is taken while holding the database open (so no other
process can write mid-copy) right after a CHECKPOINT (so everything committed is in the file, not the WAL).
A restore checks the backup opens and holds ledgers before it replaces anything, and keeps the replaced file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import shutil
from pathlib import Path

import duckdb

from metrics.core.datasets import DATASETS
from metrics.core.errors import DashboardError
from metrics.platform import faults, privacy, store


class MaintenanceError(DashboardError):
    """A backup, restore or key rotation refused: its code (a message key) and values say why."""


DEFAULT_KEEP = 14  # copies kept by `metrics backup`: two weeks of the nightly timer (docs/deploy.md)


def backup(db_path: Path, directory: Path | None = None, keep: int | None = DEFAULT_KEEP) -> Path:
    """A consistent, verified copy of the database in `directory` (default: faults.backup_dir()), named by time;
    then only the newest `keep` copies are kept (None: all). Older copies go only once the new one reads back."""
    directory = Path(directory or faults.backup_dir())
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    # To the microsecond: names sort by time (faults.backups) and two backups in one second never collide.
    target = directory / f"kpi-backup-{dt.datetime.now():%Y%m%d-%H%M%S-%f}.duckdb"
    con = store.connect(db_path, retries=30)
    try:
        con.execute("CHECKPOINT")
        partial = target.with_suffix(".partial")
        shutil.copyfile(db_path, partial)  # copied while we hold the file: nobody writes in between
        os.chmod(partial, 0o600)  # as private as the database itself
        os.replace(partial, target)
    finally:
        con.close()
    verify(target)
    if keep is not None:
        prune(directory, keep)
    return target


def prune(directory: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups (at least one is always kept); returns what was removed."""
    old = faults.backups(directory)[:-max(1, keep)]
    for path in old:
        path.unlink()
    return old


def verify(path: Path) -> dict[str, int]:
    """Open a database file read-only and count its ledgers; raises MaintenanceError when it is not one of ours."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0]
        raise MaintenanceError("maintenance_unreadable", path=path, reason=reason) from None
    try:
        return {name: store.one(con, f'SELECT count(*) FROM "{name}"')[0] for name in DATASETS}
    except duckdb.Error:
        raise MaintenanceError("maintenance_no_ledgers", path=path) from None
    finally:
        con.close()


def restore(backup_path: Path, db_path: Path) -> Path | None:
    """Replace the database with a backup; the current file is kept beside it. Returns where it was kept."""
    verify(backup_path)
    kept = None
    try:
        con = store.connect(db_path, retries=30) if db_path.exists() else None  # wait until no one else holds it
    except faults.DatabaseDamaged:
        con = None  # the reason for this restore: nobody can open it, so nobody holds it; kept as it is
    try:
        staged = db_path.with_suffix(".restoring")
        shutil.copyfile(backup_path, staged)
        os.chmod(staged, 0o600)
        if db_path.exists():
            kept = db_path.with_name(f"{db_path.stem}.before-restore-{dt.datetime.now():%Y%m%d-%H%M%S}.duckdb")
            if con is not None:
                con.execute("CHECKPOINT")
            shutil.copyfile(db_path, kept)
            os.chmod(kept, 0o600)
    finally:
        if con is not None:
            con.close()
    wal = Path(str(db_path) + ".wal")
    if wal.exists():
        wal.unlink()  # belongs to the replaced file
    os.replace(staged, db_path)
    return kept


# ------------------------------------------------------------------------------------------ key rotation

def rotate_key(con: duckdb.DuckDBPyConnection, key_file: Path | None = None) -> int:
    """Re-key every stored ID hash with a new key, without knowing any ID number.

    A stored hash h = HMAC(k1, id) becomes HMAC(k2, h). The key file keeps the chain k1, k2, and a new ID number is
    hashed through the whole chain, so it still matches the people already stored; someone holding only the old
    key can no longer test guesses against the database. Trainee ids derived from hashes ("H...") follow.
    Returns the number of rows re-keyed.
    """
    if os.environ.get("KPI_HASH_KEY"):
        raise MaintenanceError("maintenance_key_from_environment")
    path = Path(os.environ.get("KPI_HASH_KEY_FILE") or key_file or privacy.DEFAULT_KEY_FILE)
    old_chain = privacy.hash_key(path)
    new_key = secrets.token_hex(32)
    new_chain = old_chain + b"\n" + new_key.encode()

    def rekey(value: str | None) -> str | None:
        return None if value is None else hmac.new(new_key.encode(), value.encode(), hashlib.sha256).hexdigest()

    con.create_function("kpi_rekey", rekey, ["VARCHAR"], "VARCHAR", side_effects=False)
    changed = 0
    with store.transaction(con):
        for name in ("training_attendance", "conversions"):
            for table in (name, f"{name}__replaced"):
                # A trainee known only by ID number has trainee_id = 'H' + the first 16 hex of its hash.
                changed += store.one(con, f"""
                    UPDATE "{table}" SET
                        trainee_id = CASE WHEN id_hash IS NOT NULL AND trainee_id = 'H' || left(id_hash, 16)
                                          THEN 'H' || left(kpi_rekey(id_hash), 16) ELSE trainee_id END,
                        id_hash = kpi_rekey(id_hash)
                    WHERE id_hash IS NOT NULL""")[0]
        con.execute("UPDATE meta SET value = ? WHERE key = 'hash_key'", [privacy.key_fingerprint(new_chain)])
        # The new chain is written only once the database has been re-keyed (inside this transaction, before
        # commit); the previous key file is kept so a failed commit can be recovered by hand.
        shutil.copyfile(path, path.with_name(path.name + ".previous"))
        tmp = path.with_name(path.name + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_chain.decode())
        os.replace(tmp, path)
        store.bump_data_version(con)
    con.remove_function("kpi_rekey")
    return changed
