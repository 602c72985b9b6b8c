"""The KPI registry: one declaration per KPI, whose rows query and value query agree."""

from __future__ import annotations

import datetime as dt

import duckdb

from metrics.core.registry import KPIS
from metrics.kpi.scorecard import compute_value, query_params
from metrics.platform import store

AS_OF = dt.date(2024, 6, 30)

# KPIs whose value is the number of rows behind it (the others are sums, rates or distinct counts).
COUNTED_ROWS = {"training_person_times", "tourism_hit_products", "industry_brands", "online_brands",
                "promotion_events", "promotion_participants", "local_talents", "startup_contests",
                "station_skill_contests", "wechat_articles", "mainstream_media_reports"}


def test_every_kpi_declares_its_rows_and_they_agree_with_its_value(demo_db):
    from metrics.core.config import default_config

    config = default_config()
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        for kpi in KPIS:
            rows = store.query(con, kpi.rows_sql, query_params(kpi.rows_sql, AS_OF, config))
            value, _ = compute_value(con, kpi, AS_OF, config)
            if kpi.id in COUNTED_ROWS:
                assert len(rows) == value, kpi.id
            elif kpi.id == "streamers_10k":  # the rows list every talent with followers; those that count, count
                assert int(rows["counts"].fillna(False).sum()) == value
            elif kpi.id == "budget_execution_rate":
                assert abs(rows["amount"].sum() / config.budget_wan - value) < 1e-9
            else:
                assert kpi.rows_sql.strip(), kpi.id
    finally:
        con.close()
