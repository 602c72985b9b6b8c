"""Load ledger files into the store: parse -> check -> stage -> one transaction -> load log. And undo.

A batch (the files of one `ingest` call or one upload) is all or nothing: if any file has an error, nothing is
written and every problem of every file is reported. Files are loaded in dependency order, so attendance may refer
to sessions uploaded in the same batch. A row whose key is already stored replaces it; the replaced version moves
to `<dataset>__replaced`, tagged with the load that replaced it, so `undo` can put it back.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from metrics.core.config import CountyConfig, default_config
from metrics.core.datasets import DATASETS, Dataset, load_order
from metrics.core.i18n import t
from metrics.load import plausible
from metrics.load.problems import Problem
from metrics.load.understood import Understood, summarise
from metrics.load.validate import ParsedFile, parse_upload
from metrics.platform import faults, privacy, store

MAX_WARNINGS_KEPT = 200  # per load, in the load log; the full list is in the report shown at load time


WHOLE_LEDGER_SHARE = 0.8  # the share of the stored rows' keys a file must hold to be offered as the whole ledger
MAX_STALE = 1000  # stored rows the file lacks listed by key in the preview (the count is always exact)


@dataclass
class FileOutcome:
    file_name: str
    dataset: str | None
    status: str  # "loaded", "unchanged", "refused" or "not_loaded" (fine, but another file of the batch is not)
    load_id: int | None = None
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    removed: int = 0  # stored rows not in the file, removed because the file is the whole ledger (replace)
    stale: list[str] = field(default_factory=list)  # keys (as shown) of stored rows the file lacks, first MAX_STALE
    stale_count: int = 0  # how many stored rows the file lacks
    stored_before: int = 0  # rows of this ledger stored before the batch
    sheets: str | None = None  # the sheets of a workbook of several this ledger was read from

    def _file(self, lang: str) -> str:
        name = Path(self.file_name).name
        if not self.sheets:
            return name
        return t("ingest_dataset_sheets", lang, name=name, sheets=self.sheets)
    previous_load: int | None = None  # an active load of the very same file, if any
    problems: list[Problem] = field(default_factory=list)
    understood: Understood | None = None  # rows, sums, dates and the form's totals, for the preview

    def looks_whole(self) -> bool:
        """Whether the file may be the whole ledger: it holds at least WHOLE_LEDGER_SHARE of the stored rows' keys.
        Adding 3 new rows to 86 stored must not invite deleting 83 of them (「以本文件为准」 is offered only then)."""
        if not self.stored_before:
            return False
        return (self.stored_before - self.stale_count) / self.stored_before >= WHOLE_LEDGER_SHARE

    def summary(self, lang: str = "zh") -> str:
        ds = DATASETS[self.dataset] if self.dataset else None
        name = ds.label(lang) if ds else "?"
        if self.status == "not_loaded":
            return t("not_loaded", lang, file=self._file(lang), dataset=name)
        if self.status == "loaded" and not (self.added or self.replaced):
            return t("removed", lang, file=self._file(lang), dataset=name, removed=self.removed,
                     load_id=self.load_id)
        if self.status == "loaded":
            text = t("loaded", lang, file=self._file(lang), dataset=name, added=self.added, replaced=self.replaced,
                     unchanged=self.unchanged, load_id=self.load_id)
            if self.removed:
                text += t("semicolon_separator", lang) + t("removed", lang, file=self._file(lang),
                                                            dataset=name, removed=self.removed, load_id=self.load_id)
            return text
        if self.status == "unchanged":
            if self.previous_load is not None:
                return t("noop_same_file", lang, file=self._file(lang), dataset=name, load_id=self.previous_load)
            return t("noop", lang, file=self._file(lang), dataset=name, unchanged=self.unchanged)
        return t("refused", lang, file=self._file(lang), errors=sum(p.is_error for p in self.problems))


@dataclass
class BatchResult:
    outcomes: list[FileOutcome]
    committed: bool
    dry_run: bool = False
    probed: tuple | None = None  # a dry run's probe answers (before, after); see ingest_files
    kpi_changes: list = field(default_factory=list)  # a preview's effect on the KPIs (filled by metrics.actions)

    @property
    def problems(self) -> list[Problem]:
        return [p for o in self.outcomes for p in o.problems]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


@dataclass
class UndoResult:
    ok: bool
    message_key: str
    params: dict

    def message(self, lang: str = "zh") -> str:
        return t(self.message_key, lang, **self.params)


def _stored_values(con: duckdb.DuckDBPyConnection, table: str, column: str) -> set:
    return {r[0] for r in con.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall()}


# (ledger, column, the ledger it must be found in, severity, message): attendance needs its session; a conversion
# or a follower count for someone unknown is only worth a warning (it simply will not count).
# A conversion naming its trainee only by 身份证号 is found through the hashed ID number (the 6th item: the other key
# that may match; metrics.platform.derived.PERSON_SQL matches people the same way), and the report says so.
REFERENCES = (
    ("training_attendance", "session_id", "training_sessions", "error", "unknown_session", None),
    ("conversions", "trainee_id", "training_attendance", "warning", "w_unknown_trainee", "id_hash"),
    ("follower_snapshots", "talent_id", "talents", "warning", "w_unknown_talent", None),
)


def _check_references(con: duckdb.DuckDBPyConnection, parsed: list[ParsedFile]) -> None:
    """Checks that need other datasets: stored rows or files of the same batch."""
    in_batch: dict[str, list[ParsedFile]] = {}
    for p in parsed:
        if p.dataset is not None and p.table is not None:
            in_batch.setdefault(p.dataset.name, []).append(p)

    def known(dataset: str, column: str) -> set:
        values = _stored_values(con, dataset, column)
        for p in in_batch.get(dataset, []):
            values.update(p.column_values(column))
        return values

    for dataset, column, refers_to, severity, code, other_key in REFERENCES:
        if dataset not in in_batch:
            continue
        targets = known(refers_to, column)
        others = known(refers_to, other_key) - {None} if other_key else set()
        header = DATASETS[dataset].column(column).zh
        for p in in_batch[dataset]:
            alternates = p.column_values(other_key) if other_key else [None] * len(p.source_rows())
            matched_other = 0
            for row, value, other in zip(p.source_rows(), p.column_values(column), alternates):
                if value is not None and value not in targets:
                    if other is not None and other in others:
                        matched_other += 1
                    else:
                        p.problems.append(Problem(severity, code, p.file_name, p.sheet_name, row, header, value))
            if matched_other:
                p.problems.append(Problem("warning", "w_cell_matched_by_id", p.file_name, p.sheet_name,
                                          params={"count": matched_other, "ledger": DATASETS[refers_to].label("zh"),
                                                  "ledger_en": DATASETS[refers_to].label("en")}))


def _merge(con: duckdb.DuckDBPyConnection, ds: Dataset, parsed: ParsedFile, load_id: int,
           empty: bool = False) -> tuple[int, int, int]:
    """Merge the parsed rows by key. Returns (added, replaced, unchanged). `empty`: the ledger's table is known to
    hold no row (so no stored row can be unchanged or replaced: the query comparing them is skipped)."""
    con.register("stage", parsed.table)  # DuckDB reads the Arrow table in place: no staging copy
    try:
        return _merge_stage(con, ds, load_id, empty)
    finally:
        con.unregister("stage")


def _merge_stage(con: duckdb.DuckDBPyConnection, ds: Dataset, load_id: int, empty: bool = False
                 ) -> tuple[int, int, int]:
    stored = [c for c, _ in store.stored_columns(ds)]
    keys = [c.stored_as for c in ds.key_columns]
    table = f'"{ds.table}"'
    on_key = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
    same = " AND ".join(f't."{c}" IS NOT DISTINCT FROM s."{c}"' for c in stored)
    unchanged, replaced = (0, 0) if empty else store.one(
        con, f"SELECT count(*) FILTER (WHERE {same}), count(*) FILTER (WHERE NOT ({same})) "
             f"FROM stage s JOIN {table} t ON {on_key}")
    all_cols = ", ".join(f'"{c}"' for c in stored + ["_load_id", "_source_row", "_extra"])
    t_cols = ", ".join(f't."{c}"' for c in stored + ["_load_id", "_source_row", "_extra"])
    if replaced:
        con.execute(
            f'INSERT INTO "{ds.table}__replaced" ({all_cols}, "_replaced_by") '
            f"SELECT {t_cols}, ? FROM {table} t JOIN stage s ON {on_key} WHERE NOT ({same})", [load_id])
        con.execute(f"DELETE FROM {table} t USING stage s WHERE {on_key} AND NOT ({same})")
    s_cols = ", ".join(f's."{c}"' for c in stored)
    added_and_replaced = store.one(con,
        f"INSERT INTO {table} ({all_cols}) SELECT {s_cols}, ?, s._source_row, s._extra FROM stage s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on_key})", [load_id])[0]
    return added_and_replaced - replaced, replaced, unchanged


def _warnings_json(problems: list[Problem]) -> str:
    kept = [{"code": p.code, "sheet": p.sheet, "row": p.row, "column": p.column, "value": p.value,
             "params": p.params} for p in problems if not p.is_error][:MAX_WARNINGS_KEPT]
    return json.dumps(kept, ensure_ascii=False, default=str)


class _Preview(Exception):
    """Raised inside the transaction of a dry run, so everything it wrote is rolled back."""


def ingest_files(con: duckdb.DuckDBPyConnection, files: list[tuple[str, bytes]], dataset: str | None = None,
                 user: str | None = None, config: CountyConfig | None = None, is_demo: bool = False,
                 today: dt.date | None = None, dry_run: bool = False,
                 probe: Callable[[duckdb.DuckDBPyConnection, set[str]], Any] | None = None,
                 replace: bool = False) -> BatchResult:
    """Parse, check and (if nothing is wrong anywhere) load a batch of files in one transaction.

    dry_run: do all of it, then roll back. `probe(con, datasets the batch touches)` is called before the load and
    again inside its transaction; the two answers come back in `BatchResult.probed` (the preview's KPI movement is
    measured this way by metrics.actions, so ingest knows nothing of KPIs).
    replace: the batch's files are each ledger whole: stored rows of that ledger not in them are removed (kept in
    `<dataset>__replaced`, so undoing the load puts them back). Without it they are only reported.
    """
    config = config or default_config()
    key = privacy.hash_key()
    user = user or _current_user()
    parsed = [p for name, content in files for p in parse_upload(name, content, dataset, config, key, today)]
    if not _key_matches(con, key):
        for p in parsed:
            p.problems.insert(0, Problem("error", "key_mismatch", p.file_name))
    _check_references(con, parsed)
    plausible.check(con, parsed)

    if any(p.errors for p in parsed):
        outcomes = [FileOutcome(p.file_name, p.dataset.name if p.dataset else None,
                                "refused" if p.errors else "not_loaded", problems=p.problems, sheets=p.from_sheets)
                    for p in parsed]
        return BatchResult(outcomes, committed=False)

    order = load_order([p.dataset.name for p in parsed])
    by_order = sorted(parsed, key=lambda p: order.index(p.dataset.name))
    touched = {p.dataset.name for p in parsed}
    before = probe(con, touched) if dry_run and probe else None
    outcomes: dict[int, FileOutcome] = {}
    probed = None
    try:
        # A full disk ends in faults.DiskFull (rolled back, with the room still missing), raised to the caller.
        with store.transaction(con, faults.write_estimate(sum(p.table.nbytes for p in parsed if p.table is not None))):
            _load_batch(con, by_order, outcomes, user, is_demo, key, replace)
            if dry_run:
                probed = (before, probe(con, touched)) if probe else None
                raise _Preview  # roll back everything the preview wrote
    except _Preview:
        for outcome in outcomes.values():
            outcome.load_id = None  # nothing was stored
    except _Refused as exc:  # replacing would leave rows of another ledger without what they refer to
        problem = Problem("error", exc.key, exc.params.pop("file"), params=exc.params)
        return BatchResult([FileOutcome(p.file_name, p.dataset.name, "refused" if p.file_name == problem.file
                                        else "not_loaded", problems=p.problems + [problem] * (p.file_name == problem.file))
                            for p in parsed], committed=False)
    return BatchResult([outcomes[id(p)] for p in parsed], committed=not dry_run, dry_run=dry_run, probed=probed)


def _load_batch(con, by_order: list[ParsedFile], outcomes: dict[int, FileOutcome], user: str, is_demo: bool,
                key: bytes, replace: bool = False) -> None:
    """Merge each file in dependency order and record a load for each that changed anything; then, per ledger,
    the stored rows that none of its files hold: reported, or removed when the files are the whole ledger."""
    now = dt.datetime.now().replace(microsecond=0)
    # max + 1 rather than a sequence: a load that turns out unchanged leaves no gap in the numbering. Read once per
    # batch (this transaction is the only one writing loads: a concurrent one fails its commit): each load recorded
    # takes the next number.
    next_id = store.one(con, "SELECT coalesce(max(load_id), 0) + 1 FROM loads")[0]
    batch_id = None
    changed: set[str] = set()  # the ledger tables this batch changed: their derived tables are rebuilt
    last_of: dict[str, ParsedFile] = {}
    held_before: dict[str, int] = {}  # per ledger, the rows stored before this batch
    for p in by_order:
        ds = p.dataset
        first_of_ledger = ds.name not in held_before
        if first_of_ledger:
            held_before[ds.name] = store.one(con, f'SELECT count(*) FROM "{ds.table}"')[0]
        # The ledger's first file of the batch, into a ledger holding nothing: no stored row to compare its rows with
        # (a second file of the same ledger meets the first one's rows).
        empty = first_of_ledger and not held_before[ds.name]
        # An earlier active load of the very same file, named when this one turns out unchanged (a file with rows,
        # into an empty ledger, adds them all: no need to look).
        previous = None if empty and p.table.num_rows else store.one(
            con, "SELECT max(load_id) FROM loads WHERE dataset = ? AND sha256 = ? AND status = 'active'",
            [ds.name, p.sha256])[0]
        load_id = next_id
        batch_id = batch_id or load_id
        added, replaced, unchanged = _merge(con, ds, p, load_id, empty)
        outcome = FileOutcome(p.file_name, ds.name, "unchanged", added=added, replaced=replaced,
                              unchanged=unchanged, previous_load=previous, problems=p.problems, sheets=p.from_sheets,
                              understood=summarise(p))
        if added or replaced:
            outcome.status, outcome.load_id, outcome.previous_load = "loaded", load_id, None
            _record_load(con, load_id, batch_id, p, outcome, user, now, is_demo)
            next_id += 1
            changed.add(ds.table)
        outcomes[id(p)] = outcome
        last_of[ds.name] = p
    for p in last_of.values():
        outcome = outcomes[id(p)]
        ds = p.dataset
        if not held_before[ds.name]:
            continue  # nothing was stored, so nothing stored can be missing from the files
        files = [q for q in by_order if q.dataset is ds]
        missing = _stored_not_in(con, ds, files)
        if not missing:
            continue
        outcome.stored_before = held_before[ds.name]
        outcome.stale, outcome.stale_count = missing[:MAX_STALE], len(missing)
        if not replace:
            shown = "、".join(missing[:5]) + ("…" if len(missing) > 5 else "")
            outcome.problems.append(Problem("warning", "w_stored_not_in_file", p.file_name, p.sheet_name,
                                            params={"count": len(missing), "examples": shown}))
            continue
        if outcome.load_id is None:
            outcome.load_id, next_id = next_id, next_id + 1
            batch_id = batch_id or outcome.load_id
            outcome.status, outcome.previous_load = "loaded", None
            _record_load(con, outcome.load_id, batch_id, p, outcome, user, now, is_demo)
        outcome.removed = _remove_not_in(con, ds, files, outcome.load_id)
        con.execute("UPDATE loads SET rows_replaced = rows_replaced + ? WHERE load_id = ?",
                    [outcome.removed, outcome.load_id])
        changed.add(ds.table)
        if ds.name == "training_sessions":
            orphans = store.one(con,
                "SELECT count(*), min(a.session_id) FROM training_attendance a "
                "WHERE NOT EXISTS (SELECT 1 FROM training_sessions s WHERE s.session_id = a.session_id)")
            if orphans[0]:
                raise _Refused("replace_blocked_orphans", {"count": orphans[0], "example": orphans[1],
                                                           "file": p.file_name})
    if changed:
        store.bump_data_version(con, changed)
        con.execute("INSERT INTO meta VALUES ('hash_key', ?) ON CONFLICT (key) DO NOTHING",
                    [privacy.key_fingerprint(key)])


def _record_load(con, load_id: int, batch_id: int, p: ParsedFile, outcome: FileOutcome, user: str,
                 now: dt.datetime, is_demo: bool) -> None:
    con.execute(
        "INSERT INTO loads (load_id, batch_id, dataset, file_name, sha256, rows_added, rows_replaced, "
        "rows_unchanged, loaded_by, loaded_at, warnings, is_demo) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [load_id, batch_id, p.dataset.name, Path(p.file_name).name, p.sha256, outcome.added, outcome.replaced,
         outcome.unchanged, user, now, _warnings_json(p.problems), is_demo])


def _batch_keys(con, ds: Dataset, files: list[ParsedFile]) -> tuple[str, str]:
    """Registers the keys of these files as `batch_keys`; returns the join condition on them and the key list."""
    keys = [c.stored_as for c in ds.key_columns]
    con.register("batch_keys", pa.concat_tables([f.table.select(keys) for f in files]))
    return " AND ".join(f't."{k}" IS NOT DISTINCT FROM b."{k}"' for k in keys), ", ".join(f't."{k}"' for k in keys)


def _stored_not_in(con, ds: Dataset, files: list[ParsedFile]) -> list[str]:
    """The keys (as shown) of stored rows of this ledger that none of the files hold."""
    on, cols = _batch_keys(con, ds, files)
    try:
        rows = con.execute(f'SELECT {cols} FROM "{ds.table}" t WHERE NOT EXISTS '
                           f"(SELECT 1 FROM batch_keys b WHERE {on}) ORDER BY {cols}").fetchall()
    finally:
        con.unregister("batch_keys")
    return [" / ".join(str(v) for v in row) for row in rows]


def _remove_not_in(con, ds: Dataset, files: list[ParsedFile], load_id: int) -> int:
    """Move the stored rows none of the files hold to `<dataset>__replaced`, tagged with this load (undo restores)."""
    stored = [c for c, _ in store.stored_columns(ds)] + ["_load_id", "_source_row", "_extra"]
    all_cols = ", ".join(f'"{c}"' for c in stored)
    t_cols = ", ".join(f't."{c}"' for c in stored)
    on, _ = _batch_keys(con, ds, files)
    try:
        gone = f"NOT EXISTS (SELECT 1 FROM batch_keys b WHERE {on})"
        con.execute(f'INSERT INTO "{ds.table}__replaced" ({all_cols}, "_replaced_by") '
                    f'SELECT {t_cols}, ? FROM "{ds.table}" t WHERE {gone}', [load_id])
        return store.one(con, f'DELETE FROM "{ds.table}" t WHERE {gone}')[0]
    finally:
        con.unregister("batch_keys")


def _key_matches(con: duckdb.DuckDBPyConnection, key: bytes) -> bool:
    """A database remembers the fingerprint of the key its ID hashes were made with."""
    row = store.one(con, "SELECT value FROM meta WHERE key = 'hash_key'")
    return row is None or row[0] == privacy.key_fingerprint(key)


def ingest_paths(con, paths: list[Path], dataset: str | None = None, **kw) -> BatchResult:
    return ingest_files(con, [(str(p), Path(p).read_bytes()) for p in paths], dataset, **kw)


def undo(con: duckdb.DuckDBPyConnection, load_id: int, user: str | None = None) -> UndoResult:
    """Restore exactly the state before `load_id`: its rows removed, the rows it replaced put back.

    Refused (nothing changed) when a later active load replaced some of its rows (undo that one first), or when
    removing training sessions would leave attendance rows without their session.
    """
    row = store.one(con, "SELECT dataset, status, undone_at FROM loads WHERE load_id = ?", [load_id])
    if row is None:
        return UndoResult(False, "undo_unknown", {"load_id": load_id})
    dataset, status, undone_at = row
    if status != "active":
        return UndoResult(False, "undo_already", {"load_id": load_id, "when": str(undone_at)})
    ds = DATASETS[dataset]
    table = f'"{ds.table}"'
    later = [r[0] for r in con.execute(
        f'SELECT DISTINCT h._replaced_by FROM "{ds.table}__replaced" h JOIN loads l ON l.load_id = h._replaced_by '
        f"WHERE h._load_id = ? AND l.status = 'active' ORDER BY 1", [load_id]).fetchall()]
    if later:
        return UndoResult(False, "undo_blocked_later", {"load_id": load_id, "later": ", ".join(map(str, later))})
    stored = [c for c, _ in store.stored_columns(ds)] + ["_load_id", "_source_row", "_extra"]
    cols = ", ".join(f'"{c}"' for c in stored)
    with store.transaction(con, faults.write_estimate(0)):
        removed = store.one(con, f"DELETE FROM {table} WHERE _load_id = ?", [load_id])[0]
        restored = store.one(con,
            f'INSERT INTO {table} ({cols}) SELECT {cols} FROM "{ds.table}__replaced" WHERE _replaced_by = ?',
            [load_id])[0]
        con.execute(f'DELETE FROM "{ds.table}__replaced" WHERE _replaced_by = ?', [load_id])
        if dataset == "training_sessions":
            orphans = store.one(con,
                "SELECT count(*), min(a.session_id) FROM training_attendance a "
                "WHERE NOT EXISTS (SELECT 1 FROM training_sessions s WHERE s.session_id = a.session_id)")
            if orphans[0]:
                raise _Refused("undo_blocked_orphans", {"count": orphans[0], "example": orphans[1]})
        con.execute("UPDATE loads SET status = 'undone', undone_at = ?, undone_by = ? WHERE load_id = ?",
                    [dt.datetime.now().replace(microsecond=0), user or _current_user(), load_id])
        store.bump_data_version(con, {ds.table})
    return UndoResult(True, "undone", {"load_id": load_id, "removed": removed, "restored": restored})


class _Refused(Exception):
    def __init__(self, key: str, params: dict):
        self.key, self.params = key, params


def undo_checked(con, load_id: int, user: str | None = None) -> UndoResult:
    try:
        return undo(con, load_id, user)
    except _Refused as exc:
        return UndoResult(False, exc.key, exc.params)


def load_log(con: duckdb.DuckDBPyConnection):
    return store.query(con, "SELECT load_id, batch_id, dataset, file_name, sha256, rows_added, rows_replaced, "
                            "rows_unchanged, loaded_by, loaded_at, status, undone_at, undone_by, is_demo "
                            "FROM loads ORDER BY load_id")


def _current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"
