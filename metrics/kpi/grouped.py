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
from metrics.core.datasets import DATASETS
from metrics.core.registry import KPIS
from metrics.kpi.scorecard import LedgerFacts, latest_of, query_params, value_of

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
    dated = [name for name, ds in DATASETS.items() if ds.date_column]
    facts = _ledger_facts(con, databases, [today] * len(databases), dated)
    return [latest_of(latest, today) for _, latest in facts]


def ledger_facts(con: duckdb.DuckDBPyConnection, databases: list[str], as_ofs: list[dt.date]) -> list[LedgerFacts]:
    """Each database's LedgerFacts at its as-of date (scorecard.LedgerFacts.read), in one query for the group."""
    return [LedgerFacts(frozenset(loaded), latest) for loaded, latest in
            _ledger_facts(con, databases, as_ofs, list(DATASETS))]


def _ledger_facts(con: duckdb.DuckDBPyConnection, databases: list[str], as_ofs: list[dt.date],
                  ledgers: list[str]) -> list[tuple[set[str], dict[str, dt.date | None]]]:
    """Which of `ledgers` hold any row and each one's latest record on or before the as-of date, per database: what
    scorecard.LOADED_SQL and latest_sql ask of one database (attendance dated by its session, an undated ledger by
    when its active data was loaded, whatever the date), asked as one aggregate per ledger over the group's copies of
    it (`GROUP BY _place`). The one-database form, a UNION of a query per ledger per database, spent ~6 ms a county
    planning 36 aggregates; this one plans one per ledger for the whole group (tests/test_region_grouped.py holds the
    two equal, ledger by ledger)."""
    if not databases:
        return []
    parts = []
    for name in ledgers:
        column = DATASETS[name].date_column
        if name == "training_attendance":
            source, date = "{db}.main.training_attendance LEFT JOIN {db}.main.training_sessions s USING (session_id)", \
                "s.date"
        else:
            source, date = f'{{db}}.main."{name}"', f'"{column}"' if column else "NULL::DATE"
        parts.append(_per_place(f"'{name}', true", source, date, f"{date} <= $as_of_{{place}}", databases))
        if column is None and name != "training_attendance":  # undated: its latest is its latest active load
            parts.append(_per_place(f"'{name}', false", f"{{db}}.main.loads WHERE dataset = '{name}' AND "
                                    "status = 'active'", "loaded_at", "true", databases))
    bound = {f"as_of_{place}": day for place, day in enumerate(as_ofs)}
    found: list[tuple[set[str], dict[str, dt.date | None]]] = [(set(), dict.fromkeys(ledgers)) for _ in databases]
    for place, name, is_ledger, latest in con.execute(" UNION ALL ".join(parts), bound).fetchall():
        loaded, dates = found[place]
        if is_ledger:  # a row of the ledger itself: it holds rows
            loaded.add(name)
        if latest is not None:
            dates[name] = latest
    return found


def _per_place(label: str, source: str, date: str, upto: str, databases: list[str]) -> str:
    """One aggregate over every place's copy of `source` (`{db}`: its database): the latest `date` where `upto`."""
    rows = " UNION ALL ".join(f"SELECT {place} AS _place, {date} AS d, {upto.format(place=place)} AS upto "
                              f"FROM {source.format(db=database)}" for place, database in enumerate(databases))
    return f"SELECT _place, {label}, max(d) FILTER (WHERE upto)::DATE FROM ({rows}) GROUP BY _place"


def scorecard_inputs(con: duckdb.DuckDBPyConnection, databases: list[str], as_ofs: list[dt.date],
                     configs: list[CountyConfig]) -> list[tuple[LedgerFacts, dict[str, tuple[float | None, dict]]]]:
    """For each database: its ledger facts and every KPI's (value, detail) at its as-of date with its configuration,
    what `scorecard(..., facts=, values=)` takes; one query for the facts and one per KPI for the whole group."""
    facts = ledger_facts(con, databases, as_ofs)
    values: list[dict] = [{} for _ in databases]
    for kpi in KPIS:
        params = [query_params(kpi.sql, day, config) for day, config in zip(as_ofs, configs)]
        names, rows = _union(con, kpi.sql, databases, params)
        for place, found in rows.items():  # the query's first row, as values_at takes it
            values[place][kpi.id] = value_of(kpi, dict(zip(names, found[0])) if found else None, facts[place])
    return list(zip(facts, values))
