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

from metrics.core.text import strip_invisible, visible  # noqa: F401  (visible: for reports)

EMPTY = {"", "-", "—", "/", "无数据", "null", "none", "nan", "n/a", "#n/a"}

# Excel stores a date as days since 1899-12-30 (with the 1900 leap-year bug already folded into that origin).
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIAL_RANGE = (20000, 80000)  # 1954 .. 2119: a bare number in this range in a date column is a serial


def normalise_text(value) -> str:
    """Full-width forms to half-width (NFKC), trimmed, with non-breaking and ideographic spaces and invisible
    characters removed."""
    text = unicodedata.normalize("NFKC", strip_invisible(str(value)))
    return text.replace("\u3000", " ").replace("\xa0", " ").strip()


def is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        if len(value) > 6:  # longer than every EMPTY spelling even after folding: the common case, decided fast
            return not strip_invisible(value).strip()
        return normalise_text(value).lower() in EMPTY
    return False


def parse_text(value) -> str | None:
    if isinstance(value, str):  # the common case (every CSV cell), without the NFKC fold of is_empty
        text = strip_invisible(value).strip()
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
    text = strip_invisible(str(value)).replace("\u3000", " ").replace("\xa0", " ").strip()
    return text or None


def parse_folded(value) -> str | None:
    """Text folded with NFKC (full-width letters and digits to ASCII), for identifiers and personal data: the
    full-width `６５４３２１…` an input method types is the same person as `654321…` in every check and hash."""
    text = parse_text(value)
    return None if text is None else unicodedata.normalize("NFKC", text).strip() or None


def parse_key(value) -> str | None:
    """A code that identifies a row or refers to one (场次编号, 学员编号 ...): text folded with NFKC, so the full-width
    `ＰＸ２０２３－００１` a Chinese input method types matches `PX2023-001` in every file and every check."""
    return parse_folded(value)


# re.ASCII throughout: `\d` must mean 0-9 (full-width digits are folded by NFKC first; any other script's digits
# are refused, never read by int()).
_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$", re.ASCII),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$", re.ASCII),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII),
]
_MONTH_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})$", re.ASCII),
    re.compile(r"^(\d{4})年(\d{1,2})月份?$", re.ASCII),
    re.compile(r"^(\d{4})(\d{2})$", re.ASCII),
]
# Spaces a clerk types around a date's separators: `2023年 5月 12日`, `2023 - 05 - 12`.
_SPACED_SEPARATOR = re.compile(r"\s*([-/.年月日号])\s*")
# A month written as a decimal number whose trailing zero a spreadsheet may have dropped: 2023.1 is January, or
# October typed 2023.10 and saved as a number. Nothing tells which: refused naming both (datasets.md, "Nothing guessed").
_MONTH_AS_DECIMAL_ONE = re.compile(r"^(\d{4})\.1$", re.ASCII)
# A day and a month before the year, 05/06/2023: day-month or month-day, refused naming both when both are dates.
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$", re.ASCII)
# Words a clerk writes in a date column for "no date yet". In a column that may be empty they mean empty (with a
# warning, code w_cell_date_pending); in a required one they are refused (cell_date_pending), never read as a date.
DATE_PENDING = {"进行中", "未完成", "尚未完成", "待定", "未定", "暂无", "在建", "-", "—", "--", "——", "－"}


def ambiguous_readings(code: str, shown: str | None) -> dict:
    """The two readings of a value refused as cell_ambiguous_month / cell_ambiguous_date, for the message."""
    text = normalise_text(shown or "")
    if code == "cell_ambiguous_month" and (m := _MONTH_AS_DECIMAL_ONE.match(text)):
        return {"a": f"{m.group(1)}-01", "b": f"{m.group(1)}-10"}
    if code == "cell_ambiguous_date" and (m := _DAY_MONTH_YEAR.match(text)):
        first, second, year = (int(g) for g in m.groups())
        return {"a": dt.date(year, second, first).isoformat(), "b": dt.date(year, first, second).isoformat()}
    return {}


def parse_date(value, may_be_empty: bool = False) -> dt.date | None:
    """A date. `may_be_empty`: the contract allows the column empty, so 进行中 / 未完成 / — mean empty (warned)."""
    if isinstance(value, str) and (word := normalise_text(value)) in DATE_PENDING:
        if may_be_empty:
            raise ValueError("w_cell_date_pending")
        if word not in EMPTY:  # a dash in a required column is 必填项为空 (the required rule)
            raise ValueError("cell_date_pending")
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
    text = _SPACED_SEPARATOR.sub(r"\1", normalise_text(value).replace(" 00:00:00", ""))
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mo, d)
            except ValueError:
                raise ValueError("bad_date") from None
    if text.isascii() and text.isdigit() and EXCEL_SERIAL_RANGE[0] <= int(text) <= EXCEL_SERIAL_RANGE[1]:
        return EXCEL_EPOCH + dt.timedelta(days=int(text))
    if (m := _DAY_MONTH_YEAR.match(text)) and len(_readings(*(int(g) for g in m.groups()))) == 2:
        raise ValueError("cell_ambiguous_date")
    raise ValueError("bad_date")


def _readings(first: int, second: int, year: int) -> set[dt.date]:
    out = set()
    for day, month in ((first, second), (second, first)):
        try:
            out.add(dt.date(year, month, day))
        except ValueError:
            pass
    return out


def parse_month(value) -> dt.date | None:
    """A month, stored as its first day. A full date is accepted and its month taken."""
    if is_empty(value):
        return None
    if isinstance(value, float) and not value.is_integer() and 1900 <= value < 2101:
        value = repr(value)  # 2023.12 typed as a number: December (2023.1 is refused below)
    if not isinstance(value, (dt.date, dt.datetime, int, float)) or isinstance(value, bool):
        text = _SPACED_SEPARATOR.sub(r"\1", normalise_text(value))
        if _MONTH_AS_DECIMAL_ONE.match(text):
            raise ValueError("cell_ambiguous_month")
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
    except ValueError as exc:
        if exc.args[0] == "cell_ambiguous_date":
            raise
        raise ValueError("bad_month") from None
    return day.replace(day=1)


_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)(万元|万|元|%|千克|公斤|kg)?$", re.IGNORECASE | re.ASCII)


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
    folded = normalise_text(text)  # full-width letters (ＬＯＧＯ), spaces an input method put in
    if folded in choices:
        return folded
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


# Every separator clerks put between names in one cell: 、 ， , ； ; / ／ | line breaks, and spaces (a space only beside
# a Chinese character: `Zhang San` is one name). 及 and 和 join two names too, but also start or sit inside names
# (和平村, 禾木乡和平村合作社): see _split_joined.
_LIST_SPLIT = re.compile(r"[、,，;；/／|｜\n\r\t]+|(?<=[^\x00-\x7f])[ \u3000\xa0]+|[ \u3000\xa0]+(?=[^\x00-\x7f])")
_JOINED_NAMES = re.compile(r"[\u4e00-\u9fff]{2,4}(?:[及和][\u4e00-\u9fff]{2,4})+")
JOINERS = "及和"
# How the name of an organisation ends: 及 or 和 is a separator where every piece it leaves ends so.
ORG_SUFFIXES = ("合作社", "专业合作社", "联合社", "公司", "集团", "乳业", "蜂业", "商贸", "商行", "供销社", "超市", "中心",
                "协会", "农场", "牧场", "基地", "工厂", "厂", "门市部", "商店", "店", "旅行社", "电商", "物流", "快递",
                "站", "馆", "酒店", "宾馆", "村委会", "委员会", "学校", "银行", "支行", "邮政", "局", "所", "院")
_MAX_JOINERS = 8  # more 及/和 than this in one part: kept whole (and said), not searched


def _is_org(name: str) -> bool:
    return any(name.endswith(suffix) and len(name) > len(suffix) for suffix in ORG_SUFFIXES)


def _split_joined(part: str) -> tuple[list[str], bool]:
    """A part with no usual separator, split on 及/和: (names, whether it was kept whole although it may be a list).

    Names of people (2 to 4 Chinese characters each, none an organisation's, 张三和李四和王五) split at every 及/和.
    Otherwise a 及/和 is cut
    only so that every piece is an organisation's name (ends in ORG_SUFFIXES): 禾木蜂业合作社及冲乎尔乳业 is two,
    禾木乡和平村合作社 one (禾木乡 names no organisation), 和平村合作社 one. When two different ways to cut fit
    equally well, or a 及 stands between two words without a reading, nothing is guessed: the part stays whole and the
    second value says so (the loader warns)."""
    if _JOINED_NAMES.fullmatch(part):
        people = re.split(f"[{JOINERS}]", part)
        if not any(_is_org(p) for p in people):  # 甲公司和乙公司 is read as organisations, below
            return people, False
    at = [i for i, ch in enumerate(part) if ch in JOINERS]
    if not at:
        return [part], False
    if len(at) > _MAX_JOINERS:
        return [part], True
    best: list[list[str]] = []
    for mask in range(1, 1 << len(at)):
        cuts = [at[k] for k in range(len(at)) if mask >> k & 1]
        bounds = [-1, *cuts, len(part)]
        pieces = [part[a + 1:b] for a, b in zip(bounds, bounds[1:])]
        if all(_is_org(p) for p in pieces):
            if not best or len(pieces) > len(best[0]):
                best = [pieces]
            elif len(pieces) == len(best[0]):
                best.append(pieces)
    if len(best) == 1:
        return best[0], False
    # Two equally good readings; or a 及 (which joins far more often than it names) with words on both sides.
    maybe_list = len(best) > 1 or any(part[i] == "及" and 0 < i < len(part) - 1 for i in at)
    return [part], maybe_list


_USUAL_LIST = re.compile(r"[、,，;；]")


def unusual_list_separator(text: str) -> bool:
    """Whether parse_list split this cell on something other than 、 , ; (the preview then says how it read it)."""
    parts = parse_list(text) or []
    return len(parts) >= 2 and len(parts) != len([p for p in _USUAL_LIST.split(text) if p.strip()])


def list_kept_whole(value) -> str | None:
    """The first part of a list cell that may join two names with 及/和 but was kept whole, as nothing says where
    to cut (the loader warns, naming it), or None."""
    text = parse_text(value)
    for part in _LIST_SPLIT.split(text or ""):
        part = part.strip()
        if part and _split_joined(part)[1]:
            return part
    return None


def parse_list(value) -> list[str] | None:
    text = parse_text(value)
    if text is None:
        return None
    names = []
    for part in _LIST_SPLIT.split(text):
        part = part.strip()
        if part:
            names.extend(_split_joined(part)[0])
    return names or None
