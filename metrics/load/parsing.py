"""Parse one cell of a clerk's ledger into a typed value, following the rules of datasets.md.

Each parser takes the raw cell (a string from CSV, or a str/float/int/date/datetime from Excel) and returns the
value, or raises ValueError whose first argument is a message key of metrics.core.i18n (the caller adds row, column and
value to the report). None means an empty cell.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

EMPTY = {"", "-", "—", "/", "无数据", "null", "none", "nan", "n/a", "#n/a"}

# Excel stores a date as days since 1899-12-30 (with the 1900 leap-year bug already folded into that origin).
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIAL_RANGE = (20000, 80000)  # 1954 .. 2119: a bare number in this range in a date column is a serial


def normalise_text(value) -> str:
    """Full-width forms to half-width (NFKC), trimmed, with non-breaking and ideographic spaces removed."""
    text = unicodedata.normalize("NFKC", str(value))
    return text.replace("\u3000", " ").replace("\xa0", " ").strip()


def is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        if len(value) > 6:  # longer than every EMPTY spelling even after folding: the common case, decided fast
            return not value.strip()
        return normalise_text(value).lower() in EMPTY
    return False


def parse_text(value) -> str | None:
    if isinstance(value, str):  # the common case (every CSV cell), without the NFKC fold of is_empty
        text = value.strip()
        if not text or (len(text) <= 6 and normalise_text(text).lower() in EMPTY):
            return None
        if "\u3000" in text or "\xa0" in text:
            text = text.replace("\u3000", " ").replace("\xa0", " ").strip()
        return text or None
    if is_empty(value):
        return None
    if isinstance(value, float) and value.is_integer():
        # Excel turns a code typed as 1001 into 1001.0; the clerk meant "1001".
        return str(int(value))
    text = str(value).replace("\u3000", " ").replace("\xa0", " ").strip()
    return text or None


def parse_key(value) -> str | None:
    """A code that identifies a row or refers to one (场次编号, 学员编号 ...): text folded with NFKC, so the full-width
    `ＰＸ２０２３－００１` a Chinese input method types matches `PX2023-001` in every file and every check."""
    text = parse_text(value)
    return None if text is None else unicodedata.normalize("NFKC", text).strip() or None


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_MONTH_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月份?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
]


def parse_date(value) -> dt.date | None:
    if is_empty(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if EXCEL_SERIAL_RANGE[0] <= value <= EXCEL_SERIAL_RANGE[1]:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        if float(value).is_integer():
            value = str(int(value))  # 20230512 typed as a number
        else:
            raise ValueError("bad_date")
    text = normalise_text(value).replace(" 00:00:00", "")
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mo, d)
            except ValueError:
                raise ValueError("bad_date") from None
    if text.isdigit() and EXCEL_SERIAL_RANGE[0] <= int(text) <= EXCEL_SERIAL_RANGE[1]:
        return EXCEL_EPOCH + dt.timedelta(days=int(text))
    raise ValueError("bad_date")


def parse_month(value) -> dt.date | None:
    """A month, stored as its first day. A full date is accepted and its month taken."""
    if is_empty(value):
        return None
    if not isinstance(value, (dt.date, dt.datetime, int, float)) or isinstance(value, bool):
        text = normalise_text(value)
        for pattern in _MONTH_PATTERNS:
            m = pattern.match(text)
            if m:
                y, mo = int(m.group(1)), int(m.group(2))
                if 1 <= mo <= 12:
                    return dt.date(y, mo, 1)
                raise ValueError("bad_month")
    elif isinstance(value, (int, float)) and float(value).is_integer() and 190001 <= value <= 210012:
        return parse_month(str(int(value)))
    try:
        day = parse_date(value)
    except ValueError:
        raise ValueError("bad_month") from None
    return day.replace(day=1)


_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)(万元|万|元|%|千克|公斤|kg)?$", re.IGNORECASE)


def parse_number(value, unit: str | None = None) -> float | None:
    """A decimal. In a 万元 column `12.5万` and `125000元` are both 12.5; in any other column `1.2万` is 12000."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise ValueError("bad_number")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("bad_number")
        return float(value)
    text = normalise_text(value).replace(",", "").replace("，", "").replace(" ", "").replace("￥", "").replace("¥", "")
    m = _NUMBER.match(text)
    if not m:
        raise ValueError("bad_number")
    number, suffix = float(m.group(1)), (m.group(2) or "").lower()
    if suffix == "%":
        raise ValueError("bad_number")
    if unit in ("千元", "亿元") and suffix in ("万", "万元", "元"):
        raise ValueError("bad_number")  # 5万 in a 千元 column: which unit is meant cannot be told
    if unit == "万元":
        if suffix == "元":
            number /= 10000  # 125000元 in a 万元 column
    elif suffix in ("万", "万元"):
        number *= 10000  # 1.2万 in a 元 or count column
    elif suffix == "元" and unit not in (None, "元"):
        raise ValueError("bad_number")
    return number


def parse_int(value, unit: str | None = None) -> int | None:
    number = parse_number(value, unit)
    if number is None:
        return None
    rounded = round(number)
    if abs(number - rounded) > 1e-9:
        raise ValueError("not_integer")
    return int(rounded)


def parse_percent(value) -> float | None:
    """`2.5%` or `0.025`, both 0.025."""
    if is_empty(value):
        return None
    if isinstance(value, str):
        text = normalise_text(value).replace(" ", "")
        if text.endswith("%"):
            return parse_number(text[:-1]) / 100
    return parse_number(value)


_TRUE = {"是", "y", "yes", "1", "✓", "✔", "√", "有", "true", "t", "对"}
_FALSE = {"否", "n", "no", "0", "✗", "✘", "×", "x", "无", "false", "f", "不是", "没有"}


def parse_bool(value) -> bool | None:
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = normalise_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("bad_bool")


def parse_enum(value, choices: tuple[str, ...]) -> str | None:
    text = parse_text(value)
    if text is None:
        return None
    if text in choices:
        return text
    raise ValueError("bad_enum")


def parse_lookup(value, lookup: dict[str, str], error: str) -> str | None:
    """A township or budget line: the canonical name for any accepted spelling."""
    text = parse_text(value)
    if text is None:
        return None
    for candidate in (text, normalise_text(text)):
        if candidate in lookup:
            return lookup[candidate]
    raise ValueError(error)


_LIST_SPLIT = re.compile(r"[、，,；;\n\r]+")


def parse_list(value) -> list[str] | None:
    text = parse_text(value)
    if text is None:
        return None
    names = [part.strip() for part in _LIST_SPLIT.split(text)]
    return [n for n in names if n] or None
