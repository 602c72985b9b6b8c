"""Small tables derived from the ledgers, kept in step with them, so the costliest KPIs read finished facts.

The training KPIs join every attendance row to its session's date at each as-of date they are asked for: at a
region's scale (×100: 448,200 attendance rows) that was 0.1 s per KPI per date, two thirds of a scorecard, and a KPI
history (27 month ends) cost seconds. What they need changes only when the ledgers change, so it is computed once
per change instead (issue 17):

- `derived_attendance_by_date`: attendance rows per session date (training person-times = their sum up to as-of);
- `derived_person`: each trainee_id's person (people matched by the hashed ID number where the ledgers carry it);
- `derived_trainee_first_session`: each person's first session date and first conversion on or after it (people
  trained = trainees whose first session is on or before as-of; the conversion rate = those whose first
  conversion is on or before as-of, over them).

`refresh` rebuilds them from scratch. `store.bump_data_version` calls it, so it runs inside the same transaction
as every load, undo and re-key (the one place every change of the ledgers goes through): the derived tables can
never disagree with the ledgers they were computed from, and an undo restores them with the rows. Anything that
changes a ledger table must call `store.bump_data_version` (which the dashboard's caches are keyed by anyway),
saying which ledgers it changed when it knows (a load, an undo): only the derived tables that read one of them are
rebuilt (issue 26: every small load of a retail or budget ledger rebuilt all three, ~12 ms each time). Each table
declares what it reads beside its SQL (`Derived.reads`); tests/test_derived.py checks the declaration equals the
tables DuckDB's parser finds in the SQL, since a forgotten source would leave a stale table and a wrong KPI.
tests/test_derived.py also checks the KPIs read from these equal the same KPIs computed from the ledgers directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import duckdb

# Bump when a derived table's definition changes: connecting read-write to a database made by another version
# rebuilds them (store._create_schema calls ensure).
DERIVED_VERSION = 3

# One person, whatever key a ledger names them by (datasets.md, "People matched"): a ledger may name a trainee by 学员编号,
# by 身份证号 only (trainee_id 'H' + the hash's first 16 characters, rules.complete), or by both. Every trainee_id is
# mapped to a person: where its rows carry a hashed ID number, the person of that hash (the smallest 学员编号 seen
# with it in either ledger, or the hash's own 'H…' id when none was); otherwise itself. `matched_by` says which key
# joined it: 'id_hash' when the person came through the hashed ID number under another id, else 'trainee_id'.
PERSON_SQL = """
    WITH ids AS (SELECT DISTINCT trainee_id, id_hash FROM training_attendance WHERE trainee_id IS NOT NULL
                 UNION SELECT DISTINCT trainee_id, id_hash FROM conversions WHERE trainee_id IS NOT NULL),
         by_hash AS (SELECT id_hash, coalesce(min(trainee_id) FILTER (WHERE trainee_id <> 'H' || left(id_hash, 16)),
                                              min(trainee_id)) AS person
                     FROM ids WHERE id_hash IS NOT NULL GROUP BY id_hash)
    SELECT i.trainee_id, coalesce(min(b.person), i.trainee_id) AS person,
           CASE WHEN coalesce(min(b.person), i.trainee_id) <> i.trainee_id THEN 'id_hash' ELSE 'trainee_id' END
    FROM ids i LEFT JOIN by_hash b USING (id_hash) GROUP BY i.trainee_id"""

class Derived(NamedTuple):
    columns: str  # the table's columns, as CREATE TABLE takes them
    select: str  # the rows, from the ledgers (and derived tables built before it)
    reads: frozenset[str]  # every table `select` names: a ledger or an earlier derived table (checked by a test)


_TABLES = {
    "derived_attendance_by_date": Derived(
        "date DATE, attendances BIGINT",
        """SELECT s.date, count(*) FROM training_attendance a JOIN training_sessions s USING (session_id)
           GROUP BY s.date""",
        frozenset({"training_attendance", "training_sessions"})),
    "derived_person": Derived("trainee_id VARCHAR, person VARCHAR, matched_by VARCHAR", PERSON_SQL,
                              frozenset({"training_attendance", "conversions"})),
    # A trainee converts (kpis.md) with a start-up or job dated on or after their first session: the first such date
    # is kept, so "converted by as-of" is one comparison. One row per person (derived_person, built just before).
    "derived_trainee_first_session": Derived(
        "trainee_id VARCHAR, first_session DATE, first_conversion DATE",
        """WITH firsts AS (SELECT p.person, min(s.date) AS first_session
                           FROM training_attendance a JOIN training_sessions s USING (session_id)
                           JOIN derived_person p USING (trainee_id)
                           GROUP BY p.person),
                conv AS (SELECT p.person, c.date FROM conversions c JOIN derived_person p USING (trainee_id))
           SELECT f.person, f.first_session, min(c.date)
           FROM firsts f LEFT JOIN conv c ON c.person = f.person AND c.date >= f.first_session
           GROUP BY f.person, f.first_session""",
        frozenset({"training_attendance", "training_sessions", "conversions", "derived_person"})),
}


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """The derived tables exist and were built by this version's definitions (a database from before: built now)."""
    row = con.execute("SELECT value FROM meta WHERE key = 'derived_version'").fetchall()
    if row and row[0][0] == str(DERIVED_VERSION):
        for table, derived in _TABLES.items():
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({derived.columns})")
        return
    for table, derived in _TABLES.items():
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"CREATE TABLE {table} ({derived.columns})")
    refresh(con)


def refresh(con: duckdb.DuckDBPyConnection, changed: Iterable[str] | None = None) -> list[str]:
    """Rebuild the derived tables that read a ledger in `changed` (None: every one), inside the caller's transaction
    when it has one. A derived table rebuilt counts as changed for those built after it (derived_person feeds
    derived_trainee_first_session). Returns the tables rebuilt, in order."""
    changed = None if changed is None else set(changed)
    rebuilt = []
    for table, derived in _TABLES.items():
        if changed is not None and not derived.reads & changed:
            continue
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} {derived.select}")
        rebuilt.append(table)
        if changed is not None:
            changed.add(table)
    if changed is None:
        con.execute("INSERT INTO meta VALUES ('derived_version', ?) ON CONFLICT (key) DO UPDATE SET value = "
                    "excluded.value", [str(DERIVED_VERSION)])
    return rebuilt
