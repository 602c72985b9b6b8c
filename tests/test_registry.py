"""The KPI registry: one declaration per KPI, whose rows query and value query agree."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from metrics.core.registry import KPIS, Kpi, RowsMeasure
from metrics.kpi.scorecard import compute_value, query_params
from metrics.platform import store

AS_OF = dt.date(2024, 6, 30)

def measured(rows, measure) -> float:
    """What a KPI's declared RowsMeasure makes of its rows."""
    if measure.flag:
        rows = rows[rows[measure.flag].fillna(False).astype(bool)]
    if measure.agg == "count":
        return len(rows)
    if measure.agg == "distinct":
        return rows[measure.column].nunique()
    return float(rows[measure.column].sum())


def by_hand(kpi_id: str, rows, detail: dict, as_of: dt.date, config) -> float | None:
    """The five KPIs whose rows cannot give the value by one aggregate: the reconciliation spelled out."""
    day = pd.Timestamp(as_of)
    if kpi_id in ("online_retail_growth", "agri_online_retail_yoy"):
        months = rows.sort_values("month").tail(24)
        window, before = months.tail(12), months.head(12)
        if kpi_id == "agri_online_retail_yoy":
            return float(window["agri"].sum()) / float(before["agri"].sum()) - 1
        base = rows[pd.to_datetime(rows["month"]).dt.year == config.retail_baseline_year]
        return float(window["total"].sum()) / float(base["total"].sum()) - 1
    if kpi_id == "digital_enterprises":  # enterprises with all three items completed by the date
        three = rows["item"].isin(["在线下单", "在线支付", "在线库存管理"])  # other items (门店管理) do not count
        done = rows[three & rows["completed_on"].notna() & (pd.to_datetime(rows["completed_on"]) <= day)]
        items = done.groupby("enterprise")["item"].nunique()
        return int((items == 3).sum())
    if kpi_id == "group_buying_coverage":
        covered = rows["covered"].fillna(False).astype(bool) & (
            rows["covered_on"].isna() | (pd.to_datetime(rows["covered_on"]) <= day))
        return covered.sum() / len(rows)
    if kpi_id == "pickup_coverage":
        running = rows[rows["status"] == "运营中"]
        return running["pickup_point"].fillna(False).astype(bool).sum() / len(running)
    return None


def test_every_kpi_declares_its_rows_and_they_agree_with_its_value(demo_db):
    """Every KPI's rows query gives its value back on the demo data: by its declared measure (the builders declare
    it themselves), else by the hand reconciliation above; a KPI with neither fails here."""
    from metrics.core.config import default_config

    config = default_config()
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        for kpi in KPIS:
            rows = store.query(con, kpi.rows_sql, query_params(kpi.rows_sql, AS_OF, config))
            value, detail = compute_value(con, kpi, AS_OF, config)
            assert value is not None, f"{kpi.id}: the demo should give every KPI a value"
            if kpi.rows_measure:
                expected = value if kpi.rows_measure.against == "value" else detail[kpi.rows_measure.against]
                assert measured(rows, kpi.rows_measure) == pytest.approx(expected), kpi.id
            else:
                assert by_hand(kpi.id, rows, detail, AS_OF, config) == pytest.approx(value), kpi.id
    finally:
        con.close()


def test_the_builders_make_value_and_rows_from_one_declaration():
    # A count and a sum declared in one line each: the value SQL and the rows SQL filter alike, so a row the
    # value counts is a row the reader sees, and the declared measure says how the rows give the value back.
    count = Kpi.count("x_events", "brands", "events", "date", "type = '推介活动'")
    assert count.sql == "SELECT count(*) AS value FROM events WHERE type = '推介活动' AND date <= $as_of"
    assert count.rows_sql.endswith("FROM events WHERE type = '推介活动' AND date <= $as_of ORDER BY date")
    assert (count.kind, count.datasets, count.rows_measure) == ("count", ("events",), RowsMeasure("count"))
    total = Kpi.total("x_rooms", "service", "assets", "quantity", "accepted_on", "type = '直播间'")
    assert total.sql == ("SELECT coalesce(sum(quantity), 0) AS value FROM assets WHERE type = '直播间' "
                         "AND accepted_on <= $as_of")
    assert total.rows_measure == RowsMeasure("sum", "quantity")


def test_the_registry_is_the_contracts_list_of_kpis():
    """The one test that knows which KPIs there are: the registry declares exactly the KPIs of
    shared/spec/kpis.md's table, in its order, each of its kind (every other test iterates the registry)."""
    spec = Path(__file__).resolve().parents[2] / "shared" / "spec" / "kpis.md"
    if not spec.exists():
        pytest.skip(f"the contract is not beside the checkout ({spec})")
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| [^|]+ \| (count|rate) \|", spec.read_text(encoding="utf-8"), re.M)
    assert rows, "the contract's KPI table was not found"
    assert [(k.id, k.kind) for k in KPIS] == rows
