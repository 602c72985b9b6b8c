"""The scorecard's queries for a group of attached databases at once: one query per KPI over the group, not one per
database per KPI (issue 26: a region of 1,489 county snapshots is read group by group in its scoring children).

Each query is the KPI's own (metrics/core/registry.py) with its tables qualified by the attached database's name
(`snapshot3.main.expenditures`) and its parameters suffixed with the database's place in the group (`$as_of_3`, so
each county keeps its own as-of date and configuration), the group's copies joined by UNION ALL under a `_place`
column. Qualifying is done by DuckDB's own parser (json_serialize_sql, then back to SQL), not by string matching:
a CTE named like a table stays a CTE. Planning one query for the group costs less than planning each county's
(tests/test_region_grouped.py checks the answers are the one-by-one scorer's, field by field). Any error (a value
in one snapshot that a query cannot take) is the caller's to handle: it scores that group one by one.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import threading

import duckdb

from metrics.core.config import CountyConfig
from metrics.core.registry import KPIS
from metrics.kpi.scorecard import LOADED_SQL, LedgerFacts, latest_of, latest_sql, query_params, value_of

_PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")
_parser: duckdb.DuckDBPyConnection | None = None
_parser_lock = threading.Lock()


def _parse(sql: str) -> dict:
    global _parser
    with _parser_lock:  # a private in-memory connection: parsing touches no database
        _parser = _parser or duckdb.connect(":memory:")
        return json.loads(_parser.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])


def _unparse(tree: dict) -> str:
    with _parser_lock:
        return _parser.execute("SELECT json_deserialize_sql(?)", [json.dumps(tree)]).fetchall()[0][0]


_DATABASE = "kpi_group_database"  # a name none of our statements uses: each place's database is put in its stead
_PLACE = "kpi_group_place"


@functools.lru_cache(maxsize=256)  # ~25 statements
def _template(sql: str) -> str:
    """`sql` (our own statement) qualified once, for a stand-in database and place: parsing and printing cost ~1 ms
    a statement, 400 of them a child's first group (~1 s); naming each place's database is then a replacement."""
    tree = _parse(sql)
    if tree.get("error"):
        raise ValueError(tree.get("error_message", "not parsed"))
    _qualify(tree, _DATABASE, frozenset())
    text = _unparse(tree)
    if text.count(_DATABASE) != _count_tables(tree) or _PLACE in text:
        raise ValueError("the stand-in database's name is used by the statement itself")
    return _PARAMETER.sub(lambda m: f"${m.group(1)}_{_PLACE}", text)


def _count_tables(node) -> int:
    if isinstance(node, list):
        return sum(_count_tables(item) for item in node)
    if not isinstance(node, dict):
        return 0
    own = node.get("type") == "BASE_TABLE" and node.get("catalog_name") == _DATABASE
    return own + sum(_count_tables(value) for value in node.values())


def qualified(sql: str, database: str, place: int) -> str:
    """`sql` (our own statement) reading its tables from the attached `database`, its parameters `$name_<place>`."""
    return _template(sql).replace(_DATABASE, database).replace(_PLACE, str(place))


def _qualify(node, database: str, ctes: frozenset[str]) -> None:
    """Every table reference of the parsed statement (not a CTE's name in scope) pointed at `database`."""
    if isinstance(node, list):
        for item in node:
            _qualify(item, database, ctes)
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("cte_map"), dict):
        ctes = ctes | {entry["key"] for entry in node["cte_map"].get("map", [])}
    if node.get("type") == "BASE_TABLE" and not node.get("catalog_name") and node["table_name"] not in ctes:
        node["catalog_name"], node["schema_name"] = database, node.get("schema_name") or "main"
        node["qualified_name"] = {"path": [database, node["schema_name"], node["table_name"]]}
    for value in node.values():
        _qualify(value, database, ctes)


def _union(con: duckdb.DuckDBPyConnection, sql: str, databases: list[str],
           params: list[dict]) -> tuple[list[str], dict[int, list[tuple]]]:
    """`sql` run for every database of the group in one statement: its column names and each place's rows."""
    if not databases:
        return [], {}
    parts, bound = [], {}
    for place, (database, own) in enumerate(zip(databases, params)):
        parts.append(f"SELECT {place} AS _place, * FROM ({qualified(sql, database, place)})")
        bound.update({f"{name}_{place}": value for name, value in own.items()})
    cursor = con.execute(" UNION ALL ".join(parts), bound)
    rows: dict[int, list[tuple]] = {place: [] for place in range(len(databases))}
    for row in cursor.fetchall():
        rows[row[0]].append(row[1:])
    return [d[0] for d in cursor.description][1:], rows


def latest_data_dates(con: duckdb.DuckDBPyConnection, databases: list[str],
                      today: dt.date | None = None) -> list[dt.date]:
    """Each database's latest data date (scorecard.latest_data_date), in one query for the group."""
    today = today or dt.date.today()
    _, rows = _union(con, latest_sql(dated_only=True), databases, [{"as_of": today}] * len(databases))
    return [latest_of(dict(rows[place]), today) for place in range(len(databases))]


def scorecard_inputs(con: duckdb.DuckDBPyConnection, databases: list[str], as_ofs: list[dt.date],
                     configs: list[CountyConfig]) -> list[tuple[LedgerFacts, dict[str, tuple[float | None, dict]]]]:
    """For each database: its ledger facts and every KPI's (value, detail) at its as-of date with its configuration,
    what `scorecard(..., facts=, values=)` takes; two queries for the facts and one per KPI for the whole group."""
    _, loaded = _union(con, LOADED_SQL, databases, [{}] * len(databases))
    _, latest = _union(con, latest_sql(), databases, [{"as_of": day} for day in as_ofs])
    facts = [LedgerFacts(frozenset(row[0] for row in loaded[place]), dict(latest[place]))
             for place in range(len(databases))]
    values: list[dict] = [{} for _ in databases]
    for kpi in KPIS:
        params = [query_params(kpi.sql, day, config) for day, config in zip(as_ofs, configs)]
        names, rows = _union(con, kpi.sql, databases, params)
        for place, found in rows.items():  # the query's first row, as values_at takes it
            values[place][kpi.id] = value_of(kpi, dict(zip(names, found[0])) if found else None, facts[place])
    return list(zip(facts, values))
