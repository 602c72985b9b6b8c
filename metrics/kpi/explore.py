"""Self-service exploration of any ledger: filter, group by one or two dimensions, measure, download.

The query is built from a spec whose every identifier is checked against the data contract (a column name that is
not in the dataset is refused), and every user value is a bound parameter: no user text is spliced into SQL.
The spec round-trips through URL query parameters so a view can be bookmarked or sent.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from metrics.core import spreadsheet
from metrics.core.datasets import DATASETS, Column
from metrics.core.errors import DashboardError
from metrics.core.spreadsheet import neutralise
from metrics.platform import store

MEASURES = ("count", "count_distinct", "sum", "avg")
DATE_PARTS = ("month", "year")
MAX_GROUPS = 2


class ExploreError(DashboardError, ValueError):
    """An exploration the library cannot build (a column, measure or filter it does not know)."""


@dataclass
class Filter:
    column: str
    op: str  # "between" (dates, numbers), "in" (enums, townships, text), "contains" (text), "is" (bool)
    values: list = field(default_factory=list)


@dataclass
class Spec:
    dataset: str
    filters: list[Filter] = field(default_factory=list)
    group_by: list[str] = field(default_factory=list)  # columns, or "month:<date col>" / "year:<date col>"
    measure: str = "count"
    measure_column: str | None = None


# Ledgers that make sense only with another's columns: attendance is dated and placed by its session, and a follower
# snapshot is easier to read with the talent's name. Each gets a joined source and extra (virtual) columns.
JOINED = {
    "training_attendance": (
        """(SELECT a.*, s.date AS session_date, s.township AS session_township, s.topic AS session_topic,
                   s.mode AS session_mode
            FROM training_attendance a LEFT JOIN training_sessions s USING (session_id))""",
        (Column("培训日期", "session_date", "date", en="session date"),
         Column("培训乡镇", "session_township", "township", en="session township"),
         Column("培训主题", "session_topic", "enum", choices=DATASETS["training_sessions"].column("topic").choices,
                en="session topic"),
         Column("培训形式", "session_mode", "enum", choices=("线上", "线下"), en="session mode"))),
    "follower_snapshots": (
        """(SELECT f.*, t.name AS talent_name FROM follower_snapshots f LEFT JOIN talents t USING (talent_id))""",
        (Column("达人姓名", "talent_name", "text", en="talent name"),)),
}
AS_OF_COLUMN = {**{name: ds.date_column for name, ds in DATASETS.items()}, "training_attendance": "session_date"}


def columns(dataset: str) -> list[Column]:
    """The columns a user may filter or group on (personal columns are never offered)."""
    own = [c for c in DATASETS[dataset].columns if c.personal is None]
    return own + list(JOINED.get(dataset, ("", ()))[1])


def _source(dataset: str) -> str:
    return JOINED[dataset][0] if dataset in JOINED else f'"{DATASETS[dataset].table}"'


def column_label(dataset: str, key: str, lang: str = "zh") -> str:
    for c in columns(dataset):
        if c.key == key:
            return c.label(lang)
    return key


def numeric_columns(dataset: str) -> list[Column]:
    return [c for c in columns(dataset) if c.type in ("int", "number")]


def dimensions(dataset: str) -> list[str]:
    dims = [c.key for c in columns(dataset) if c.type in ("enum", "township", "bool", "text", "budget_line")]
    for c in columns(dataset):
        if c.type in ("date", "month"):
            dims += [f"month:{c.key}", f"year:{c.key}"]
    return dims


def _column(dataset: str, key: str) -> Column:
    for c in columns(dataset):
        if c.key == key:
            return c
    raise ExploreError("explore_no_column_in", dataset=dataset, key=key)


def _dimension_sql(dataset: str, dim: str) -> str:
    if ":" in dim:
        part, key = dim.split(":", 1)
        col = _column(dataset, key)
        if part not in DATE_PARTS or col.type not in ("date", "month"):
            raise ExploreError("explore_bad_dimension", dim=dim)
        return f"date_trunc('month', \"{col.stored_as}\")::DATE" if part == "month" else f"year(\"{col.stored_as}\")"
    col = _column(dataset, dim)
    if col.type == "list":
        raise ExploreError("explore_list_dimension", dim=dim)
    return f'"{col.stored_as}"'


def _filter_sql(dataset: str, f: Filter) -> tuple[str, list]:
    col = _column(dataset, f.column)
    name = f'"{col.stored_as}"'
    if f.op == "between":
        low, high = (list(f.values) + [None, None])[:2]
        parts, params = [], []
        if low not in (None, ""):
            parts.append(f"{name} >= ?")
            params.append(low)
        if high not in (None, ""):
            parts.append(f"{name} <= ?")
            params.append(high)
        return (" AND ".join(parts) or "TRUE"), params
    if f.op == "in":
        if not f.values:
            return "TRUE", []
        return f"{name} IN ({', '.join('?' for _ in f.values)})", list(f.values)
    if f.op == "contains":
        text = str(f.values[0]) if f.values else ""
        if col.type == "list":
            return f"array_to_string({name}, '、') ILIKE ?", [f"%{text}%"]
        return f"CAST({name} AS VARCHAR) ILIKE ?", [f"%{text}%"]
    if f.op == "is":
        return f"{name} = ?", [bool(f.values[0])] if f.values else [True]
    raise ExploreError("explore_unknown_filter_operator", op=f.op)


def build_sql(spec: Spec, as_of: dt.date | None) -> tuple[str, list]:
    if spec.dataset not in DATASETS:
        raise ExploreError("explore_no_dataset", dataset=spec.dataset)
    if len(spec.group_by) > MAX_GROUPS:
        raise ExploreError("explore_group_by_at_most_two")
    where, params = [], []
    date_col = AS_OF_COLUMN.get(spec.dataset)
    if as_of and date_col:
        # Rows without a date (a brand still in progress) stay visible; dated rows after as-of do not.
        where.append(f'("{date_col}" IS NULL OR "{date_col}" <= ?)')
        params.append(as_of)
    for f in spec.filters:
        clause, values = _filter_sql(spec.dataset, f)
        where.append(clause)
        params += values
    where_sql = " AND ".join(where) or "TRUE"
    if spec.measure not in MEASURES:
        raise ExploreError("explore_unknown_measure", measure=spec.measure)
    if spec.measure == "count":
        measure = "count(*)"
    else:
        col = _column(spec.dataset, spec.measure_column or "")
        if spec.measure in ("sum", "avg") and col.type not in ("int", "number"):
            raise ExploreError("explore_is_not_numeric", key=col.key)
        measure = {"count_distinct": f'count(DISTINCT "{col.stored_as}")', "sum": f'sum("{col.stored_as}")',
                   "avg": f'avg("{col.stored_as}")'}[spec.measure]
    table = f"{_source(spec.dataset)} AS src"
    if not spec.group_by:
        return f"SELECT {measure} AS value FROM {table} WHERE {where_sql}", params
    dims = [_dimension_sql(spec.dataset, d) for d in spec.group_by]
    select = ", ".join(f"{sql} AS g{i}" for i, sql in enumerate(dims))
    group = ", ".join(f"g{i}" for i in range(len(dims)))
    return (f"SELECT {select}, {measure} AS value FROM {table} WHERE {where_sql} GROUP BY {group} "
            f"ORDER BY {group}"), params


def run(con: duckdb.DuckDBPyConnection, spec: Spec, as_of: dt.date | None) -> pd.DataFrame:
    sql, params = build_sql(spec, as_of)
    frame = store.query(con, sql, params)
    return frame.rename(columns={f"g{i}": d for i, d in enumerate(spec.group_by)})


def rows(con, spec: Spec, as_of: dt.date | None, limit: int = 5000) -> pd.DataFrame:
    """The filtered rows themselves (personal and bookkeeping columns left out)."""
    sql, params = build_sql(Spec(spec.dataset, spec.filters), as_of)
    where = sql.split(" WHERE ", 1)[1]
    cols = ", ".join(f'"{c.stored_as}"' for c in columns(spec.dataset))
    return store.query(con, f"SELECT {cols} FROM {_source(spec.dataset)} AS src WHERE {where} LIMIT {int(limit)}",
                       params)


def pivot(frame: pd.DataFrame, spec: Spec) -> pd.DataFrame | None:
    if len(spec.group_by) != 2 or frame.empty:
        return None
    return frame.pivot_table(index=spec.group_by[0], columns=spec.group_by[1], values="value", aggfunc="sum",
                             fill_value=0)


# ---------------------------------------------------------------------------------------- URL round trip

def to_params(spec: Spec) -> dict[str, str]:
    params = {"ds": spec.dataset, "m": spec.measure}
    if spec.measure_column:
        params["mc"] = spec.measure_column
    if spec.group_by:
        params["g"] = ",".join(spec.group_by)
    for i, f in enumerate(spec.filters):
        params[f"f{i}"] = "|".join([f.column, f.op, *[_encode(v) for v in f.values]])
    return params


def from_params(params: dict[str, str]) -> Spec | None:
    dataset = params.get("ds")
    if dataset not in DATASETS:
        return None
    filters = []
    i = 0
    while f"f{i}" in params:
        column, op, *values = params[f"f{i}"].split("|")
        filters.append(Filter(column, op, [_decode(v) for v in values]))
        i += 1
    group = [g for g in params.get("g", "").split(",") if g]
    return Spec(dataset, filters, group, params.get("m", "count"), params.get("mc") or None)


def _encode(value) -> str:
    if isinstance(value, bool):
        return "b:1" if value else "b:0"
    if isinstance(value, dt.date):
        return "d:" + value.isoformat()
    if isinstance(value, (int, float)):
        return f"n:{value}"
    return "s:" + str(value).replace("|", "／")


def _decode(text: str):
    kind, _, raw = text.partition(":")
    if kind == "b":
        return raw == "1"
    if kind == "d":
        return dt.date.fromisoformat(raw)
    if kind == "n":
        return float(raw) if "." in raw else int(raw)
    return raw


# -------------------------------------------------------------------------------------------- downloads

def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of the frame with every text cell and header neutralised: the dashboard's downloads and
    `python -m metrics sql --csv` both write through this one function."""
    safe = frame.copy()
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese correctly."""
    return neutralised(frame).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame) -> bytes:
    safe = neutralised(frame)
    buffer = io.BytesIO()
    # The safe workbook: a text cell is written as text even after neutralising, never as a formula.
    book = spreadsheet.new_workbook(buffer)
    sheet = book.add_worksheet("data")
    sheet.write_row(0, 0, [str(c) for c in safe.columns])
    for r, row in enumerate(safe.itertuples(index=False), start=1):
        for c, value in enumerate(row):
            if value is None or (isinstance(value, float) and pd.isna(value)):
                continue
            if isinstance(value, (bool, int, float)):
                sheet.write(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()
