"""Whether any key is written twice in a small ledger file, answered by Arrow on the caller's thread.

rules.Checks asks this of every file before listing duplicates (which it does in DuckDB, only when there is one).
DuckDB's parallel hash aggregate is right for a million rows, but registering a table and planning a GROUP BY costs
1.6-2 ms even for 20 rows, and a clerk's usual upload (and the fast tests' ~400 loads) is tens to thousands of rows.
Measured on this machine (2026-12-07, issue 26), CPU per probe, Arrow / DuckDB: 20 rows 0.01-0.06 / 1.6-1.8 ms;
1,000 rows 0.06-0.24 / 1.8-2.1 ms; 10,000 rows 0.6-1.2 / 2.2-3.1 ms; 30,000 rows 2.4-3.4 / 3.3-4.7 ms; 100,000
rows 10 / 8-10 ms (one key / three keys): Arrow up to SMALL_FILE_ROWS, DuckDB beyond.

The answer must be DuckDB's exactly (tests/test_columnar.py checks both on random key tables): a key with a null in
any of its columns never matches (DuckDB's check filters `IS NOT NULL` on every key column), and values are equal
as DuckDB compares them. For strings (bytes) and dates Arrow's hashing agrees; for floats it would not (NaN, -0.0),
so only the contract's key types (VARCHAR and DATE columns) are answered here.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

SMALL_FILE_ROWS = 50_000  # below this, Arrow answers (see the measurements above)
ARROW_KEY_TYPES = (pa.string(), pa.large_string(), pa.date32())


def answers(table: pa.Table, keys: list[str]) -> bool:
    """Whether this module answers for these key columns of this table (small, and of types compared alike)."""
    return table.num_rows < SMALL_FILE_ROWS and all(table.schema.field(k).type in ARROW_KEY_TYPES for k in keys)


def any_key_twice(table: pa.Table, keys: list[str]) -> bool:
    """Whether two rows have the same key, among the rows with no null in their key columns."""
    whole = table.select(keys).drop_null()  # a row with a null anywhere in its key is never a duplicate
    if len(keys) == 1:
        return pc.count_distinct(whole[keys[0]]).as_py() < whole.num_rows
    return whole.group_by(keys).aggregate([]).num_rows < whole.num_rows
