"""Figures that cannot be right whatever the cause, checked against other ledgers (stored, or files of the same
batch): most often a unit mistake (元 typed under a 万元 header), which would otherwise be stored 10,000 times too
large. The per-file checks (a payment over its budget line, a ledger over the whole budget) are in
metrics.load.rules; these need the county's own online retail.

- one event's deals or sales (活动 签约或销售额) over the county's whole online retail of the year of the event, or
  of the largest year known when that year is not loaded: no promotion sells more than the county does online;
- one product's cumulative sales (累计销售额) over all of the county's online retail ever loaded.
"""

from __future__ import annotations

import duckdb
import numpy as np

from metrics.core.datasets import DATASETS
from metrics.load.problems import Problem


def _retail_by_year(con: duckdb.DuckDBPyConnection, batch: list) -> dict[int, float]:
    """The county's online retail per calendar year, in 万元, from the stored rows and the batch's files (a file's
    month replaces the stored one)."""
    months = dict(con.execute("SELECT month, total FROM online_retail WHERE total IS NOT NULL").fetchall())
    for p in batch:
        if p.dataset is not None and p.dataset.name == "online_retail" and p.table is not None:
            months.update(zip(p.column_values("month"), p.column_values("total")))
    years: dict[int, float] = {}
    for month, total in months.items():
        if month is not None and total is not None:
            years[month.year] = years.get(month.year, 0.0) + float(total)
    return years


def check(con: duckdb.DuckDBPyConnection, parsed: list) -> None:
    """Errors on the rows of events and products whose figure is over the county's online retail."""
    wanted = [p for p in parsed if p.dataset is not None and p.table is not None
              and p.dataset.name in ("events", "products")]
    if not wanted:
        return
    years = _retail_by_year(con, parsed)
    if not years:
        return  # nothing to compare with: the per-file checks still ran
    largest, everything = max(years.values()), sum(years.values())
    for p in wanted:
        key = "deal_amount" if p.dataset.name == "events" else "sales"
        if key not in p.table.column_names:
            continue
        header = DATASETS[p.dataset.name].column(key).zh
        dates = p.column_values("date") if p.dataset.name == "events" else None
        for i, (row, value) in enumerate(zip(p.source_rows(), p.column_values(key))):
            if value is None:
                continue
            year = dates[i].year if dates is not None and dates[i] is not None else None
            if year in years:
                bound, code = years[year], "over_retail_year"
            elif dates is not None:
                bound, code = largest, "over_retail_largest_year"
            else:
                bound, code = everything, "over_retail_all"
            if value > bound and not np.isclose(value, bound):
                p.problems.append(Problem("error", code, p.file_name, p.sheet_name, row, header, f"{value:.12g}",
                                          {"column": header, "value": f"{value:.12g}", "retail": f"{bound:.12g}",
                                           "year": year or ""}))
