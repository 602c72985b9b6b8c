"""Numbers and dates the way a Chinese county office writes them: 万元, 人次, thousands separators, 2024年6月."""

from __future__ import annotations

import datetime as dt

from metrics.core.i18n import t
from metrics.core.registry import KPI_BY_ID
from metrics.core.spreadsheet import display_width


def format_value(kpi_id: str, value: float | None, lang: str = "zh", with_unit: bool = True) -> str:
    if value is None:
        return "—"
    kpi = KPI_BY_ID[kpi_id]
    if kpi.is_fraction:
        return f"{value * 100:.1f}%"
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if not with_unit:
        return number
    return f"{number} {kpi.unit(lang, value)}"


def format_target(kpi_id: str, target_min: float, target_max: float | None, lang: str = "zh") -> str:
    kpi = KPI_BY_ID[kpi_id]
    low = format_value(kpi_id, target_min, lang, with_unit=False)
    if target_max is not None:
        high = format_value(kpi_id, target_max, lang, with_unit=False)
        text = f"{low}–{high}"
    else:
        text = f"≥ {low}"
    if kpi.is_fraction:
        return text
    return f"{text} {kpi.unit(lang, target_max or target_min)}"


def format_wan(amount: float | None, lang: str = "zh") -> str:
    if amount is None:
        return "—"
    # English: millions of yuan ("4.62 million yuan"), not "462.0 10k yuan".
    return t("format_million_yuan", lang, amount_zh=amount, amount_en=amount / 100)


def format_month(day: dt.date, lang: str = "zh") -> str:
    return t("format_month", lang, date=day)


def format_date(day: dt.date | None, lang: str = "zh") -> str:
    if day is None:
        return "—"
    return t("format_date", lang, date=day)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def scorecard_table(results, lang: str = "zh") -> str:
    """A plain-text table for the terminal, aligned for Chinese (wide) characters."""
    head = [t(f"format_table_{c}", lang) for c in ("kpi", "value", "target", "status", "gap", "deadline")]
    rows = [[r.name, format_value(r.id, r.value, lang), format_target(r.id, r.target, r.target_max, lang),
             r.status_label, r.gap, format_date(r.deadline, lang)] for r in results]
    widths = [max(display_width(x) for x in col) for col in zip(head, *rows)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(head, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def format_change(kpi_id: str, before, now, lang: str = "zh") -> str:
    """What changed between two results of one KPI, in words: the value and, when it moved, the status
    ("0 场（进度正常 → 进度滞后）"); '' when nothing did. Used by the meeting slides and the briefing."""
    from metrics.kpi.status import status_name

    if before is None or (before.value == now.value and before.status == now.status):
        return ""
    then_text, now_text = format_value(kpi_id, before.value, lang), format_value(kpi_id, now.value, lang)
    if then_text == now_text and before.status == now.status:
        return ""  # a change below the shown precision
    text = now_text if then_text == now_text else f"{then_text} → {now_text}"
    if before.status != now.status:
        words = f"{status_name(before.status, lang)} → {status_name(now.status, lang)}"
        text += t("format_status_change", lang, words=words)
    return text
