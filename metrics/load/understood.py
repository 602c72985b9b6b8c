"""What the loader understood of one ledger, for a person to compare with the paper before committing: its rows,
each figure column's sum in the stored unit, its date range, and the form's own totals beside them
(`金额合计 67.33 万元 = 表内合计 67.33 万元 ✓`). Built from the parsed table; nothing here reads the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyarrow.compute as pc

from metrics.core.i18n import LANGUAGES, t
from metrics.core.words import Words


@dataclass
class FigureSum:
    key: str
    labels: Words  # the column's header in each language (the data contract's own names)
    unit: str
    total: float
    stated: float | None = None  # the form's own grand total of this column, when it states one that covers all


@dataclass
class Understood:
    rows: int
    sums: list[FigureSum] = field(default_factory=list)
    first_date: dt.date | None = None
    last_date: dt.date | None = None


def summarise(parsed) -> Understood | None:
    """The summary of a parsed ledger (metrics.load.validate.ParsedFile), or None without a table."""
    table, ds = parsed.table, parsed.dataset
    if table is None or ds is None:
        return None
    # The form's grand total of a column: a totals row below every stored row (合计, 总计), stating that column.
    last_row = pc.max(table["_source_row"]).as_py() or 0  # (a million rows as Python ints cost 40 ms)
    grand = {}
    for row, stated in getattr(parsed, "form_totals", ()):
        if row > last_row:
            grand.update({k: v for k, v in stated.items() if k != "_count"})
    out = Understood(table.num_rows)
    for col in ds.columns:
        if col.type not in ("number", "int") or col.stored_as not in table.column_names:
            continue
        total = pc.sum(table.column(col.stored_as)).as_py()
        if total is None:
            continue
        stated = grand.get(col.key)
        if stated is not None and abs(stated - total) > 0.005 + 1e-9 * abs(total):
            stated = None  # a last subtotal, not a grand total (a wrong one was refused before this)
        out.sums.append(FigureSum(col.key, Words.of(**{lang: col.label(lang) for lang in LANGUAGES}), col.unit or "", float(total), stated))
    if ds.date_column and ds.date_column in table.column_names:
        dates = table.column(ds.date_column)
        out.first_date, out.last_date = pc.min(dates).as_py(), pc.max(dates).as_py()
    return out


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


def describe(summary: Understood | None, lang: str = "zh") -> str:
    """One line: `12 行 · 金额合计 67.33 万元 = 表内合计 67.33 万元 ✓ · 日期 2023-04-01 至 2023-06-30`."""
    if summary is None:
        return ""
    parts = [t("understood_rows", lang, rows=f"{summary.rows:,}")]
    for s in summary.sums:
        label = s.labels.in_(lang)
        key = "understood_sum_checked" if s.stated is not None else "understood_sum"
        parts.append(t(key, lang, column=label, total=_number(s.total), unit=s.unit,
                       stated=_number(s.stated) if s.stated is not None else ""))
    if summary.first_date is not None:
        parts.append(t("understood_dates", lang, first=t("format_date", lang, date=summary.first_date),
                       last=t("format_date", lang, date=summary.last_date)))
    return t("understood_separator", lang).join(parts)
