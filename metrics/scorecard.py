"""The scorecard at an as-of date: each KPI's value, target, pace, status, gap in words, forecast and freshness.
Also each KPI's history (its value at every month end), for progress charts against the pace line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import duckdb

from . import status as rules
from . import store
from .config import ConfigError, CountyConfig, default_config
from .datasets import DATASETS
from .formatting import format_value
from .i18n import t
from .registry import KPI_BY_ID, KPIS, Kpi

TREND_DAYS = 180  # a count's forecast extrapolates its growth over this many days before the as-of date


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
        data = asdict(self)
        data["deadline"] = self.deadline.isoformat()
        data["latest_record"] = self.latest_record.isoformat() if self.latest_record else None
        data["detail"] = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in self.detail.items()}
        return data


def check_targets(config: CountyConfig) -> None:
    """Every KPI of the registry has a target and every target names a KPI; else a ConfigError listing all."""
    problems = [f"targets: no target for KPI '{k.id}'" for k in KPIS if k.id not in config.targets]
    problems += [f"targets.{t}: no such KPI" for t in config.targets if t not in KPI_BY_ID]
    if problems:
        raise ConfigError(config.path, problems)


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


def compute_value(con: duckdb.DuckDBPyConnection, kpi: Kpi, as_of: dt.date,
                  config: CountyConfig) -> tuple[float | None, dict]:
    cursor = con.execute(kpi.sql, query_params(kpi.sql, as_of, config))
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    row = dict(zip(names, rows[0])) if rows else {"value": None}
    value = row.pop("value")
    value = None if value is None else float(value)
    if value is not None and kpi.kind == "count" and not _has_rows(con, kpi):
        value = None  # nothing ever loaded for it: no data, rather than a misleading zero
    return value, row


def _has_rows(con, kpi: Kpi) -> bool:
    return bool(store.one(con, f"SELECT count(*) FROM {kpi.datasets[0]}")[0])


def latest_record(con, dataset: str, as_of: dt.date) -> dt.date | None:
    if dataset == "training_attendance":  # attendance is dated by its session
        row = store.one(con, "SELECT max(s.date) FROM training_attendance a JOIN training_sessions s USING (session_id) "
                             "WHERE s.date <= ?", [as_of])
        return row[0] if row else None
    column = DATASETS[dataset].date_column
    if column is None:
        row = store.one(con, "SELECT max(loaded_at) FROM loads WHERE dataset = ? AND status = 'active'", [dataset])
        return row[0].date() if row and row[0] else None
    row = store.one(con, f'SELECT max("{column}") FROM "{dataset}" WHERE "{column}" <= ?', [as_of])
    return row[0] if row else None


def latest_data_date(con: duckdb.DuckDBPyConnection, today: dt.date | None = None) -> dt.date:
    """The default as-of date: the latest record date in any dated ledger, not after today."""
    today = today or dt.date.today()
    dates = [latest_record(con, name, today) for name, ds in DATASETS.items() if ds.date_column]
    dates = [d for d in dates if d]
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
                         config: CountyConfig) -> float | None:
    """Where the KPI will stand at its deadline if the recent trend holds (the value itself once past it).

    Counts extrapolate their growth over the last TREND_DAYS; rates keep their slope over the same span.
    """
    if value is None or as_of >= deadline:
        return value
    earlier_date = as_of - dt.timedelta(days=TREND_DAYS)
    earlier, _ = compute_value(con, kpi, earlier_date, config)
    if earlier is None:
        return value
    per_day = (value - earlier) / TREND_DAYS
    projected = value + per_day * (deadline - as_of).days
    return max(0.0, projected) if kpi.kind == "rate" else max(value, projected)


def evaluate(con, kpi: Kpi, as_of: dt.date, config: CountyConfig, lang: str = "zh",
             with_forecast: bool = True) -> KpiResult:
    target = config.targets[kpi.id]
    deadline = target.deadline_for(as_of)
    start = dt.date(as_of.year, 1, 1) if target.deadline is None else config.start
    value, detail = compute_value(con, kpi, as_of, config)
    expected = rules.expected_value(kpi.kind, target.min, as_of, start, deadline)
    state = rules.status(kpi.kind, value, target.min, expected, as_of, deadline, config.status_threshold)
    return KpiResult(
        id=kpi.id, name=kpi.name(lang), area=kpi.area, kind=kpi.kind, value=value,
        unit=kpi.unit(lang), target=target.min, target_max=target.max, expected=expected,
        progress=rules.progress(value, target.min), status=state, status_label=rules.status_name(state, lang),
        deadline=deadline, clause=target.clause, gap=gap_text(kpi, value, target.min, target.max, lang),
        forecast=forecast_at_deadline(con, kpi, value, as_of, deadline, config) if with_forecast else None,
        latest_record=latest_record(con, kpi.datasets[0], as_of), detail=detail,
    )


def scorecard(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, config: CountyConfig | None = None,
              lang: str = "zh", with_forecast: bool = True) -> list[KpiResult]:
    config = config or default_config()
    check_targets(config)
    as_of = as_of or latest_data_date(con)
    return [evaluate(con, kpi, as_of, config, lang, with_forecast) for kpi in KPIS]


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
    for day in month_ends(start or config.start, as_of):
        deadline = target.deadline_for(day)
        pace_start = dt.date(day.year, 1, 1) if target.deadline is None else config.start
        value, _ = compute_value(con, kpi, day, config)
        expected = rules.expected_value(kpi.kind, target.min, day, pace_start, deadline)
        points.append({"date": day, "value": value, "expected": expected, "target": target.min,
                       "status": rules.status(kpi.kind, value, target.min, expected, day, deadline,
                                              config.status_threshold)})
    return points
