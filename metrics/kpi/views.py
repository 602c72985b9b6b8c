"""The data behind each dashboard page, as DataFrames. Pages hold no SQL: they call these.

Every function takes the as-of date (records after it are ignored) and, where the ledger has townships, an
optional township filter. Column names are English identifiers; the pages label them in the chosen language.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from metrics.core.config import CountyConfig, default_config
from metrics.kpi.budget import budget_lines, spending_by_month, stage_acceptance  # noqa: F401  (page data, served through this module too)
from metrics.platform import store


def _township(alias: str, township: str | None) -> tuple[str, list]:
    """A WHERE fragment (and its parameter) restricting `alias.township`; empty when no filter is chosen."""
    if not township:
        return "TRUE", []
    return f"{alias}.township = ?", [township]


# ------------------------------------------------------------------------------------------- training

def training_monthly(con: duckdb.DuckDBPyConnection, as_of: dt.date, township: str | None = None) -> pd.DataFrame:
    """Per month: sessions, person-times, new trainees, and the running totals of person-times and people."""
    where, params = _township("s", township)
    return store.query(con, f"""
        WITH att AS (SELECT coalesce(p.person, a.trainee_id) AS trainee_id, s.session_id,
                            date_trunc('month', s.date)::DATE AS month
                     FROM training_attendance a JOIN training_sessions s USING (session_id)
                     LEFT JOIN derived_person p USING (trainee_id)
                     WHERE s.date <= ? AND {where}),
             firsts AS (SELECT trainee_id, min(month) AS month FROM att GROUP BY 1),
             monthly AS (SELECT month, count(DISTINCT session_id) AS sessions, count(*) AS person_times
                         FROM att GROUP BY 1),
             newcomers AS (SELECT month, count(*) AS new_people FROM firsts GROUP BY 1)
        SELECT m.month, m.sessions, m.person_times, coalesce(n.new_people, 0) AS new_people,
               sum(m.person_times) OVER (ORDER BY m.month) AS person_times_total,
               sum(coalesce(n.new_people, 0)) OVER (ORDER BY m.month) AS people_total
        FROM monthly m LEFT JOIN newcomers n USING (month) ORDER BY m.month""", [as_of, *params])


def sessions_by(con, as_of: dt.date, dimension: str, township: str | None = None) -> pd.DataFrame:
    """Sessions and person-times by topic, township or mode."""
    if dimension not in ("topic", "township", "mode"):
        raise ValueError(dimension)
    where, params = _township("s", township)
    return store.query(con, f"""
        SELECT s.{dimension} AS category, count(DISTINCT s.session_id) AS sessions, count(a.session_id) AS person_times
        FROM training_sessions s LEFT JOIN training_attendance a USING (session_id)
        WHERE s.date <= ? AND {where} GROUP BY 1 ORDER BY person_times DESC""", [as_of, *params])


def conversions_by_type(con, as_of: dt.date) -> pd.DataFrame:
    """Conversions by type; `counted` are those on or after the trainee's first session (the KPI's rule)."""
    return store.query(con, """
        WITH firsts AS (SELECT p.person, min(s.date) AS first_session
                        FROM training_attendance a JOIN training_sessions s USING (session_id)
                        JOIN derived_person p USING (trainee_id)
                        WHERE s.date <= $as_of GROUP BY 1)
        SELECT c.type, count(*) AS conversions,
               count(*) FILTER (WHERE f.first_session IS NOT NULL AND c.date >= f.first_session) AS counted
        FROM conversions c LEFT JOIN derived_person p USING (trainee_id) LEFT JOIN firsts f ON f.person = p.person
        WHERE c.date <= $as_of GROUP BY 1 ORDER BY conversions DESC""", {"as_of": as_of})


# --------------------------------------------------------------------------------------------- retail

def retail_monthly(con, as_of: dt.date, config: CountyConfig | None = None) -> pd.DataFrame:
    """Monthly totals, trailing-12-month sums, growth against the baseline year and agricultural year-on-year."""
    config = config or default_config()
    frame = store.query(con, """
        SELECT month, total, agri,
               sum(total) OVER w12 AS total_12m, count(*) OVER w12 AS months_12m,
               sum(agri) OVER w12 AS agri_12m,
               sum(agri) OVER (ORDER BY month RANGE BETWEEN INTERVAL 23 MONTH PRECEDING
                               AND INTERVAL 12 MONTH PRECEDING) AS agri_prev_12m,
               count(*) OVER (ORDER BY month RANGE BETWEEN INTERVAL 23 MONTH PRECEDING
                              AND INTERVAL 12 MONTH PRECEDING) AS months_prev_12m
        FROM online_retail WHERE month <= ?
        WINDOW w12 AS (ORDER BY month RANGE BETWEEN INTERVAL 11 MONTH PRECEDING AND CURRENT ROW)
        ORDER BY month""", [as_of])
    base = frame[pd.to_datetime(frame["month"]).dt.year == config.retail_baseline_year]
    baseline = float(base["total"].sum()) if len(base) == 12 else None
    complete = frame["months_12m"] == 12
    frame["growth_vs_baseline"] = (frame["total_12m"] / baseline - 1).where(complete) if baseline else None
    frame["agri_yoy"] = (frame["agri_12m"] / frame["agri_prev_12m"] - 1).where(complete & (frame["months_prev_12m"] == 12))
    frame.attrs["baseline_total"] = baseline
    return frame


def missing_retail_months(con, as_of: dt.date, config: CountyConfig | None = None) -> list[dt.date]:
    """Months from January of the baseline year to as-of with no retail figure (they make growth 'no data')."""
    config = config or default_config()
    rows = store.query(con, """
        SELECT m::DATE AS month FROM generate_series(make_date(?, 1, 1), ?::DATE, INTERVAL 1 MONTH) g(m)
        WHERE m::DATE NOT IN (SELECT month FROM online_retail) ORDER BY 1""",
                       [config.retail_baseline_year, as_of])
    return [pd.Timestamp(m).date() for m in rows["month"]]


# ------------------------------------------------------------------------------------ talents, streamers

def follower_series(con, as_of: dt.date, platform: str | None = None) -> pd.DataFrame:
    where = "f.platform = ?" if platform else "TRUE"
    return store.query(con, f"""
        SELECT f.talent_id, coalesce(t.name, f.talent_id) AS name, f.platform, f.date, f.followers
        FROM follower_snapshots f LEFT JOIN talents t USING (talent_id)
        WHERE f.date <= ? AND {where} ORDER BY f.talent_id, f.platform, f.date""",
                       [as_of, *([platform] if platform else [])])


def talents_by(con, as_of: dt.date, township: str | None = None) -> pd.DataFrame:
    where, params = _township("t", township)
    return store.query(con, f"""
        SELECT t.township, t.type, count(*) AS talents, count(*) FILTER (WHERE t.can_sell_live) AS can_sell_live
        FROM talents t WHERE t.incubated_on <= ? AND {where} GROUP BY ALL ORDER BY talents DESC""", [as_of, *params])


# ---------------------------------------------------------------------------------- brands and events

def brands(con, as_of: dt.date) -> pd.DataFrame:
    return store.query(con, """
        SELECT brand, kind, enterprise, industry, trademark_status, logo_done, packaging_done, completed_on,
               (completed_on IS NOT NULL AND completed_on <= ?) AS completed
        FROM brands ORDER BY kind, completed_on NULLS LAST, brand""", [as_of])


def products(con, as_of: dt.date) -> pd.DataFrame:
    return store.query(con, """
        SELECT product, brand, type, launched_on, units, sales,
               (launched_on IS NOT NULL AND launched_on <= ?) AS launched
        FROM products ORDER BY type, launched_on NULLS LAST""", [as_of])


def events(con, as_of: dt.date) -> pd.DataFrame:
    return store.query(con, """
        SELECT event_id, name, type, date, place, array_to_string(participants, '、') AS participants,
               len(coalesce(participants, [])) AS participant_count, deal_amount
        FROM events WHERE date <= ? ORDER BY date""", [as_of])


# ------------------------------------------------------------------------------------- service system

def stations_by_township(con, township: str | None = None) -> pd.DataFrame:
    where, params = _township("s", township)
    return store.query(con, f"""
        SELECT township, level, count(*) AS stations, count(*) FILTER (WHERE status = '运营中') AS operating,
               count(*) FILTER (WHERE status = '运营中' AND pickup_point) AS pickup_points
        FROM stations s WHERE {where} GROUP BY ALL ORDER BY township, level""", params)


def coverage_by_township(con, as_of: dt.date, township: str | None = None) -> pd.DataFrame:
    where, params = _township("c", township)
    return store.query(con, f"""
        SELECT township, type, count(*) AS places,
               count(*) FILTER (WHERE covered AND (covered_on IS NULL OR covered_on <= ?)) AS covered
        FROM communities c WHERE {where} GROUP BY ALL ORDER BY township, type""", [as_of, *params])


def digital_upgrades(con, as_of: dt.date) -> pd.DataFrame:
    """One row per enterprise, one column per upgrade item: True when completed by as-of."""
    frame = store.query(con, """
        SELECT enterprise, item, (completed_on IS NOT NULL AND completed_on <= ?) AS done
        FROM enterprise_upgrades""", [as_of])
    if frame.empty:
        return frame
    pivot = frame.pivot_table(index="enterprise", columns="item", values="done", aggfunc="max", fill_value=False)
    core = [c for c in ("在线下单", "在线支付", "在线库存管理") if c in pivot.columns]
    pivot["all_three"] = pivot[core].all(axis=1) if len(core) == 3 else False
    return pivot.reset_index()


def assets(con, as_of: dt.date) -> pd.DataFrame:
    return store.query(con, """
        SELECT asset_id, name, type, quantity, accepted_on, location,
               (accepted_on IS NOT NULL AND accepted_on <= ?) AS accepted
        FROM assets ORDER BY type, asset_id""", [as_of])


def logistics_monthly(con, as_of: dt.date) -> pd.DataFrame:
    return store.query(con, """
        SELECT date_trunc('month', date)::DATE AS month, count(*) AS orders, sum(amount) AS amount_yuan,
               sum(amount) / count(*) AS per_order
        FROM logistics_subsidies WHERE date <= ? GROUP BY 1 ORDER BY 1""", [as_of])


def logistics_by(con, as_of: dt.date, dimension: str) -> pd.DataFrame:
    if dimension not in ("enterprise", "carrier", "destination"):
        raise ValueError(dimension)
    return store.query(con, f"""
        SELECT coalesce({dimension}, '—') AS category, count(*) AS orders, sum(amount) AS amount_yuan
        FROM logistics_subsidies WHERE date <= ? GROUP BY 1 ORDER BY orders DESC""", [as_of])


# ------------------------------------------------------------------------------------------ publicity

def publicity_by_year(con, as_of: dt.date) -> pd.DataFrame:
    return store.query(con, """
        SELECT year(date) AS year, channel, count(*) AS items, coalesce(sum(reads), 0) AS reads
        FROM publicity WHERE date <= ? GROUP BY ALL ORDER BY year, channel""", [as_of])


def media_reports(con, as_of: dt.date) -> pd.DataFrame:
    return store.query(con, """
        SELECT date, channel, title, url FROM publicity
        WHERE channel IN ('中央主流媒体', '自治区主流媒体') AND date <= ? ORDER BY date""", [as_of])


# ------------------------------------------------------------------------------------------ schedule

def milestones(con, as_of: dt.date) -> pd.DataFrame:
    frame = store.query(con, """
        SELECT milestone_id, phase, task, planned_start, planned_end, actual_end, owner,
               CASE WHEN actual_end IS NOT NULL AND actual_end <= $as_of
                         THEN CASE WHEN actual_end <= planned_end THEN 'done' ELSE 'done_late' END
                    WHEN planned_end < $as_of THEN 'overdue'
                    WHEN planned_start <= $as_of THEN 'in_progress'
                    ELSE 'not_started' END AS state
        FROM milestones ORDER BY planned_start, milestone_id""", {"as_of": as_of})
    return frame


# ------------------------------------------------------------------------------ rows behind each KPI

def kpi_rows(con, kpi_id: str, as_of: dt.date) -> pd.DataFrame:
    """The ledger rows a KPI's value is computed from, at the as-of date (for tracing a figure): the KPI's own
    `rows_sql` in the registry, with the same parameters as its value."""
    from metrics.core.registry import KPI_BY_ID
    from metrics.kpi.scorecard import query_params

    kpi = KPI_BY_ID[kpi_id]
    return store.query(con, kpi.rows_sql, query_params(kpi.rows_sql, as_of))


def kpi_rows_count(con, kpi_id: str, as_of: dt.date) -> int:
    """How many rows kpi_rows would give, counted by DuckDB without fetching them."""
    from metrics.core.registry import KPI_BY_ID
    from metrics.kpi.scorecard import query_params

    sql = KPI_BY_ID[kpi_id].rows_sql
    return int(store.one(con, f"SELECT count(*) FROM ({sql})", query_params(sql, as_of))[0])


# Rows of a KPI's ledger shown under its card. At region scale the training KPIs rest on ~450,000 attendance rows:
# fetching, caching and sending them all cost a viewer 2-3 s per run (profile in docs/performance.md), and
# nobody reads them on screen; the count is exact and the explore page filters and downloads them all.
KPI_ROWS_SHOWN = 1000


def kpi_rows_shown(con, kpi_id: str, as_of: dt.date, limit: int = KPI_ROWS_SHOWN) -> pd.DataFrame:
    """The first `limit` rows of kpi_rows, in the same order (how many there are in all: kpi_rows_count, which the
    page has already asked for its expander's label)."""
    from metrics.core.registry import KPI_BY_ID
    from metrics.kpi.scorecard import query_params

    sql = KPI_BY_ID[kpi_id].rows_sql
    return store.query(con, f"{sql} LIMIT {int(limit)}", query_params(sql, as_of))


# -------------------------------------------------------------------------------------------- data quality

def data_quality(con, as_of: dt.date) -> pd.DataFrame:
    """Per ledger: rows, the latest load, the latest record date, and the warnings kept from its active loads."""
    import json

    from metrics.core.datasets import DATASETS
    from metrics.kpi.scorecard import LedgerFacts

    loads = store.query(con, """
        SELECT dataset, max(load_id) AS last_load, max(loaded_at) AS last_loaded_at, count(*) AS loads,
               list(warnings) AS warnings
        FROM loads WHERE status = 'active' GROUP BY 1""")
    by_dataset = {row.dataset: row for row in loads.itertuples()}
    latest = LedgerFacts.read(con, as_of).latest  # every ledger's latest record, one query
    rows = []
    for name in DATASETS:
        info = by_dataset.get(name)
        warnings = sum(len(json.loads(w or "[]")) for w in (info.warnings if info is not None else []))
        rows.append({
            "dataset": name, "rows": store.one(con, f'SELECT count(*) FROM "{name}"')[0],
            "loads": int(info.loads) if info is not None else 0,
            "last_load": int(info.last_load) if info is not None else None,
            "last_loaded_at": info.last_loaded_at if info is not None else None,
            "latest_record": latest[name], "warnings": warnings,
        })
    return pd.DataFrame(rows)


def explore_run(con, spec, as_of: dt.date):
    from metrics.kpi.explore import run

    return run(con, spec, as_of)


def explore_rows(con, spec, as_of: dt.date):
    from metrics.kpi.explore import rows

    return rows(con, spec, as_of)
