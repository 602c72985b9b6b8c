"""Plausibility of every money ledger (issue 23): a figure no county could reach is refused, naming the likely
unit mistake, not stored 10,000 times too large. Figures are computed by hand beside each case."""

from __future__ import annotations

import datetime as dt

from metrics.load import ingest

from .ledgers import csv_bytes

TODAY = dt.date(2024, 6, 30)
# 2023: 1520.5 + 1380 = 2900.5 万元 of online retail loaded
RETAIL = "月份,全县网络零售额（万元）,农产品网络零售额（万元）\n2023-01,1520.5,410.2\n2023-02,1380,395.8\n"
EVENTS = "活动编号,活动名称,类型,日期,签约或销售额\n"


def load(con, *files):
    return ingest.ingest_files(con, [(name, csv_bytes(text)) for name, text in files], today=TODAY)


def test_an_event_selling_more_than_the_county_online_is_refused(con):
    assert load(con, ("r.csv", RETAIL)).committed
    # 1,200,000 typed in 元 under a bare header: read as 1,200,000 万元 > 2900.5 万元 (2023)
    result = load(con, ("e.csv", EVENTS + "HD1,推介会,推介活动,2023-08-18,1200000\nHD2,沙龙,站长沙龙,2023-09-01,120\n"))
    assert [(e.code, e.row, e.value) for e in result.errors] == [("over_retail_year", 2, "1200000")]
    assert "超过全县 2023 年全年网络零售额 2900.5 万元" in result.errors[0].message()
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_an_event_in_a_year_without_retail_is_held_to_the_largest_year_and_fine_figures_load(con):
    # retail in the same batch; 2024 has none loaded: the largest year (2900.5) is the bound; 3000 > 2900.5
    result = load(con, ("r.csv", RETAIL), ("e.csv", EVENTS + "HD1,推介会,推介活动,2024-03-01,3000\n"))
    assert [e.code for e in result.errors] == ["over_retail_largest_year"]
    assert load(con, ("r.csv", RETAIL), ("e.csv", EVENTS + "HD1,推介会,推介活动,2024-03-01,120\n")).committed


def test_a_product_selling_more_than_all_online_retail_is_refused(con):
    assert load(con, ("r.csv", RETAIL)).committed
    products = "单品名称,类型,累计销售额\n冰箱贴,旅游网红单品,15.6\n蜂蜜,农产品单品,156000\n"  # 156000 > 2900.5
    result = load(con, ("p.csv", products))
    assert [(e.code, e.row) for e in result.errors] == [("over_retail_all", 3)]


def test_logistics_subsidies_adding_up_to_ten_budgets_are_refused(con):
    # 700 waybills at 8 under a 万元 header (8 元 each meant): 700 x 8 = 5,600 万元 > 10 x the 500 万元 budget
    rows = "".join(f"YT{i:04d},2023-10-08,合作社,8\n" for i in range(700))
    result = load(con, ("l.csv", "运单号,发货日期,企业,补贴金额（万元）\n" + rows))
    assert [e.code for e in result.errors] == ["amount_over_budget"]
    assert result.errors[0].params["total"] == "5600"
    # the same 8 in 元 is 5,600 元 = 0.56 万元: loads
    assert load(con, ("l.csv", "运单号,发货日期,企业,补贴金额（元）\n" + rows)).committed


def test_a_large_year_of_logistics_subsidies_above_the_project_budget_loads(con):
    # Waybills may also be paid from other funds: 60 waybills at 100,000 元 = 6,000,000 元 = 600 万元, above the
    # 500 万元 budget but below ten budgets (5,000 万元): loaded, not refused (the benchmark's ledger is such a year).
    rows = "".join(f"YT{i:04d},2023-10-08,合作社,100000\n" for i in range(60))
    assert load(con, ("l.csv", "运单号,发货日期,企业,补贴金额（元）\n" + rows)).committed
