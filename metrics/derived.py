"""Small tables derived from the ledgers, kept in step with them, so the costliest KPIs read finished facts.

The training KPIs join every attendance row to its session's date at each as-of date they are asked for: at a
region's scale (×100: 448,200 attendance rows) that was 0.1 s per KPI per date, two thirds of a scorecard, and a KPI
history (27 month ends) cost seconds. What they need changes only when the ledgers change, so it is computed once
per change instead (issue 17):

- `derived_attendance_by_date`: attendance rows per session date (training person-times = their sum up to as-of);
- `derived_trainee_first_session`: each trainee's first session date (people trained = trainees whose first
  session is on or before as-of; the conversion rate's trainees and their start dates).

`refresh` rebuilds both from scratch. `store.bump_data_version` calls it, so it runs inside the same transaction
as every load, undo and re-key (the one place every change of the ledgers goes through): the derived tables can
never disagree with the ledgers they were computed from, and an undo restores them with the rows. Anything that
changes a ledger table must call `store.bump_data_version` (which the dashboard's caches are keyed by anyway).
tests/test_derived.py checks the KPIs read from these equal the same KPIs computed from the ledgers directly.
"""

from __future__ import annotations

import duckdb

# Bump when a derived table's definition changes: connecting read-write to a database made by an earlier version
# rebuilds them (store._create_schema).
DERIVED_VERSION = 1

_TABLES = {
    "derived_attendance_by_date": (
        "date DATE, attendances BIGINT",
        """SELECT s.date, count(*) FROM training_attendance a JOIN training_sessions s USING (session_id)
           GROUP BY s.date"""),
    "derived_trainee_first_session": (
        "trainee_id VARCHAR, first_session DATE",
        """SELECT a.trainee_id, min(s.date) FROM training_attendance a JOIN training_sessions s USING (session_id)
           GROUP BY a.trainee_id"""),
}


def create(con: duckdb.DuckDBPyConnection) -> None:
    for table, (columns, _) in _TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild every derived table from the ledgers (inside the caller's transaction, when it has one)."""
    for table, (_, select) in _TABLES.items():
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} {select}")
    con.execute("INSERT INTO meta VALUES ('derived_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [str(DERIVED_VERSION)])
