"""The scorecard at an as-of date: each KPI's value, target, pace, status, gap in words, forecast and freshness.
Also each KPI's history (its value at every month end), for progress charts against the pace line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

import duckdb

from metrics.core.config import CountyConfig, default_config
from metrics.core.datasets import DATASETS
from metrics.core.i18n import t
from metrics.core.registry import KPI_BY_ID, KPIS, Kpi
from metrics.kpi import status as rules
from metrics.kpi.formatting import format_value

TREND_DAYS = 180  # a count's forecast extrapolates its growth over this many days before the as-of date
NOT_READ = object()  # a value not read yet (None is a value: no data)


@dataclass
class KpiResult:
    id: str
    name: str
    area: str
    kind: str
    value: float | None
    unit: str
    target: float
    target_max: float | None
    expected: float | None
    progress: float | None
    status: str
    status_label: str
    deadline: dt.date
    clause: str
    gap: str
    forecast: float | None
    latest_record: dt.date | None
    detail: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self)}  # not asdict: its deep copy was half the time
        data["deadline"] = self.deadline.isoformat()
        data["latest_record"] = self.latest_record.isoformat() if self.latest_record else None
        data["detail"] = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in self.detail.items()}
        return data


def follower_threshold(config: CountyConfig) -> int:
    """Followers on one platform that make a streamer count (the plan's 1万+; configurable per county)."""
    return int(config.targets["streamers_10k"].extra.get("follower_threshold", 10000))


def query_params(sql: str, as_of: dt.date, config: CountyConfig | None = None) -> dict:
    """The named parameters a KPI query (its value or its rows) uses, from the as-of date and the configuration."""
    config = config or default_config()
    params = {"as_of": as_of} if "$as_of" in sql else {}  # DuckDB refuses a parameter the query does not use
    if "$baseline_year" in sql:
        params["baseline_year"] = config.retail_baseline_year
    if "$follower_threshold" in sql:
        params["follower_threshold"] = follower_threshold(config)
    if "$budget_wan" in sql:
        params["budget_wan"] = config.budget_wan
    return params


def values_at(con: duckdb.DuckDBPyConnection, kpi: Kpi, dates: list[dt.date], config: CountyConfig,
              facts: LedgerFacts | None = None) -> dict[dt.date, tuple[float | None, dict]]:
    """The KPI's value (and the detail columns its query returns) at each as-of date, in one query.

    The KPI's own query runs once per date as a LATERAL subquery over the dates, its `$as_of` bound to each date:
    a history of 27 month ends, or a value and its trend date, is one statement instead of one per date (at ×100,
    27 month ends of all 22 KPIs: 2.1 s one by one, 0.57 s this way). tests/test_derived.py checks it gives what the
    query gives date by date, for every KPI.
    """
    dates = sorted(set(dates))
    params = query_params(kpi.sql, dates[0], config)
    if "as_of" in params and len(dates) <= 2:
        # A LATERAL query costs ~5 ms to plan, a plain one ~2 ms: for one or two dates (a value, a value and its
        # trend date) the query itself, once per date, is cheaper.
        by_date = {}
        for day in dates:
            cursor = con.execute(kpi.sql, {**params, "as_of": day})
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
            if rows:
                by_date[day] = dict(zip(names, rows[0]))
    elif "as_of" in params:
        del params["as_of"]
        params["as_of_dates"] = dates
        sql = kpi.sql.replace("$as_of", "d.as_of")
        cursor = con.execute(f"SELECT d.as_of AS as_of, k.* FROM (SELECT unnest($as_of_dates) AS as_of) d, "
                             f"LATERAL ({sql}) k", params)
        names = [d[0] for d in cursor.description][1:]
        by_date = {row[0]: dict(zip(names, row[1:])) for row in cursor.fetchall()}
    else:  # a KPI of the ledger's current state (stations carry no dates): the same at every date
        cursor = con.execute(kpi.sql, params)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        by_date = {day: dict(zip(names, rows[0])) for day in dates} if rows else {}
    facts = facts or LedgerFacts.read(con)
    return {day: value_of(kpi, by_date.get(day), facts) for day in dates}


def value_of(kpi: Kpi, row: dict | None, facts: LedgerFacts) -> tuple[float | None, dict]:
    """The KPI's value and detail columns from its query's row (None: no row). One place for what a row means,
    whether the query ran for one county or for a group of snapshots at once (metrics/kpi/grouped.py)."""
    row = dict(row or {"value": None})
    value = row.pop("value")
    never_loaded = kpi.kind == "count" and kpi.datasets[0] not in facts.loaded
    return (None if value is None or never_loaded else float(value)), row  # nothing ever loaded: no data, not zero


def compute_value(con: duckdb.DuckDBPyConnection, kpi: Kpi, as_of: dt.date,
                  config: CountyConfig) -> tuple[float | None, dict]:
    return values_at(con, kpi, [as_of], config)[as_of]


@dataclass(frozen=True)
class LedgerFacts:
    """What every KPI of a scorecard asks of the ledgers besides its value, read for all of them at once: which
    ledgers hold any row (a count with none is "no data", not 0) and each ledger's latest record on or before the
    as-of date (the KPI's freshness). Two queries per scorecard instead of about forty."""
    loaded: frozenset[str]
    latest: dict[str, dt.date | None]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None) -> LedgerFacts:
        names = frozenset(row[0] for row in con.execute(LOADED_SQL).fetchall())
        return cls(names, latest_records(con, as_of) if as_of is not None else {})


# Which ledgers hold any row: (ledger name) rows. And each ledger's latest record on or before $as_of: (ledger
# name, date) rows. Written once here; metrics/kpi/grouped.py asks the same of a group of snapshots in one query.
LOADED_SQL = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in DATASETS)


def latest_records(con: duckdb.DuckDBPyConnection, as_of: dt.date,
                   dated_only: bool = False) -> dict[str, dt.date | None]:
    """Each ledger's latest record on or before `as_of` (one query); `dated_only`: of the ledgers with a date column
    only (what the latest data date is taken from)."""
    return dict(con.execute(latest_sql(dated_only), {"as_of": as_of}).fetchall())


def latest_sql(dated_only: bool = False) -> str:
    return " UNION ALL ".join(_latest_sql(name) for name, ds in DATASETS.items() if ds.date_column or not dated_only)


def _latest_sql(dataset: str) -> str:
    """The latest record date of a ledger on or before $as_of (one part of LedgerFacts' query)."""
    if dataset == "training_attendance":  # attendance is dated by its session
        return ("SELECT 'training_attendance', max(s.date)::DATE FROM training_attendance a "
                "JOIN training_sessions s USING (session_id) WHERE s.date <= $as_of")
    column = DATASETS[dataset].date_column
    if column is None:  # undated: when its active data was loaded
        return (f"SELECT '{dataset}', max(loaded_at)::DATE FROM loads "
                f"WHERE dataset = '{dataset}' AND status = 'active' AND $as_of IS NOT NULL")
    return f'SELECT \'{dataset}\', max("{column}")::DATE FROM "{dataset}" WHERE "{column}" <= $as_of'


def latest_data_date(con: duckdb.DuckDBPyConnection, today: dt.date | None = None) -> dt.date:
    """The default as-of date: the latest record date in any dated ledger, not after today."""
    today = today or dt.date.today()
    return latest_of(latest_records(con, today, dated_only=True), today)  # nor which ledgers hold rows


def latest_of(latest: dict[str, dt.date | None], today: dt.date) -> dt.date:
    """The latest record date among the dated ledgers (`latest`: each ledger's), else today."""
    dates = [latest[name] for name, ds in DATASETS.items() if ds.date_column and latest.get(name)]
    return max(dates) if dates else today


def gap_text(kpi: Kpi, value: float | None, target_min: float, target_max: float | None, lang: str = "zh") -> str:
    if value is None:
        return t("scorecard_no_data", lang)
    if target_max is not None and value > target_max:
        over = value - target_max
        over_text = format_value(kpi.id, over, lang)
        return t("scorecard_above_plan_range", lang, over_text=over_text)
    if value >= target_min:
        return t("target_met", lang)
    gap = target_min - value
    if kpi.is_fraction:
        return t("scorecard_percentage_points_to_go", lang, gap=gap * 100)
    shown = f"{gap:,.0f}" if gap >= 1 else f"{gap:.1f}"
    return t("scorecard_to_go", lang, shown=shown, unit=kpi.unit(lang, float(shown.replace(',', ''))))


def forecast_at_deadline(con, kpi: Kpi, value: float | None, as_of: dt.date, deadline: dt.date,
                         config: CountyConfig, earlier: float | None | object = NOT_READ) -> float | None:
    """Where the KPI will stand at its deadline if the recent trend holds (the value itself once past it).

    Counts extrapolate their growth over the last TREND_DAYS; rates keep their slope over the same span.
    `earlier` is the value TREND_DAYS before as-of when the caller has read it (evaluate reads both in one query).
    """
    if value is None or rules.deadline_passed(as_of, deadline):
        return value
    if earlier is NOT_READ:
        earlier, _ = compute_value(con, kpi, trend_start(as_of), config)
    if earlier is None:
        return value
    per_day = (value - earlier) / TREND_DAYS
    projected = value + per_day * (deadline - as_of).days
    return max(0.0, projected) if kpi.kind == "rate" else max(value, projected)


def trend_start(as_of: dt.date) -> dt.date:
    return as_of - dt.timedelta(days=TREND_DAYS)


def evaluate(con, kpi: Kpi, as_of: dt.date, config: CountyConfig, lang: str = "zh",
             with_forecast: bool = True, facts: LedgerFacts | None = None,
             value: tuple[float | None, dict] | None = None) -> KpiResult:
    """The KPI's result at `as_of`. `value`: its value and detail already read (a group of snapshots' values come
    from one query, metrics/kpi/grouped.py); only without a forecast, which needs a second date."""
    facts = facts or LedgerFacts.read(con, as_of)
    target = config.targets[kpi.id]
    deadline = target.deadline_for(as_of)
    start = dt.date(as_of.year, 1, 1) if target.deadline is None else config.start
    # The value and, for a forecast (only before the deadline), the value TREND_DAYS earlier.
    trend = with_forecast and not rules.deadline_passed(as_of, deadline)
    if value is not None and not trend:
        at = {as_of: value}
    else:
        at = values_at(con, kpi, [as_of, trend_start(as_of)] if trend else [as_of], config, facts)
    value, detail = at[as_of]
    expected = rules.expected_value(kpi.kind, target.min, as_of, start, deadline)
    state = rules.status(kpi.kind, value, target.min, expected, as_of, deadline, config.status_threshold)
    return KpiResult(
        id=kpi.id, name=kpi.name(lang), area=kpi.area, kind=kpi.kind, value=value,
        unit=kpi.unit(lang), target=target.min, target_max=target.max, expected=expected,
        progress=rules.progress(value, target.min), status=state, status_label=rules.status_name(state, lang),
        deadline=deadline, clause=target.clause, gap=gap_text(kpi, value, target.min, target.max, lang),
        forecast=forecast_at_deadline(con, kpi, value, as_of, deadline, config,
                                      at[trend_start(as_of)][0] if trend else NOT_READ) if with_forecast else None,
        latest_record=facts.latest[kpi.datasets[0]], detail=detail,
    )


def scorecard(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, config: CountyConfig | None = None,
              lang: str = "zh", with_forecast: bool = True, facts: LedgerFacts | None = None,
              values: dict[str, tuple[float | None, dict]] | None = None) -> list[KpiResult]:
    """Every KPI's result. `facts` and `values` (by KPI id): read already, for a group of snapshots at once."""
    config = config or default_config()
    as_of = as_of or latest_data_date(con)
    facts = facts or LedgerFacts.read(con, as_of)
    values = values or {}
    return [evaluate(con, kpi, as_of, config, lang, with_forecast, facts, values.get(kpi.id)) for kpi in KPIS]


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    ends = []
    month = dt.date(start.year, start.month, 1)
    while month <= end:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        ends.append(min(following - dt.timedelta(days=1), end))
        month = following
    return ends


def history(con: duckdb.DuckDBPyConnection, kpi_id: str, as_of: dt.date, config: CountyConfig | None = None,
            start: dt.date | None = None) -> list[dict]:
    """The KPI's value, expected value and status at every month end from the project start to as-of."""
    config = config or default_config()
    kpi = KPI_BY_ID[kpi_id]
    target = config.targets[kpi_id]
    points = []
    days = month_ends(start or config.start, as_of)
    values = values_at(con, kpi, days, config) if days else {}
    for day in days:
        deadline = target.deadline_for(day)
        pace_start = dt.date(day.year, 1, 1) if target.deadline is None else config.start
        value, _ = values[day]
        expected = rules.expected_value(kpi.kind, target.min, day, pace_start, deadline)
        points.append({"date": day, "value": value, "expected": expected, "target": target.min,
                       "status": rules.status(kpi.kind, value, target.min, expected, day, deadline,
                                              config.status_threshold)})
    return points
