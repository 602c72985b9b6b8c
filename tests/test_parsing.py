"""Every cell-parsing rule of datasets.md, one assertion per spelling a clerk may use."""

import datetime as dt

import pytest

from metrics.load import parsing


@pytest.mark.parametrize("raw", ["2023-05-12", "2023/5/12", "2023.5.12", "2023年5月12日", "20230512", " 2023-05-12 ",
                                 "２０２３-０５-１２", "2023-05-12 00:00:00", dt.date(2023, 5, 12),
                                 dt.datetime(2023, 5, 12, 9, 30), 45058, 45058.0])
def test_date_spellings(raw):
    # 45058 is Excel's serial for 2023-05-12: 1899-12-30 + 45058 days.
    assert parsing.parse_date(raw) == dt.date(2023, 5, 12)


@pytest.mark.parametrize("raw", ["2023-13-01", "2023/2/30", "13.13.2023", "昨天", "2023-05"])
def test_bad_dates(raw):
    with pytest.raises(ValueError, match="bad_date"):
        parsing.parse_date(raw)


@pytest.mark.parametrize("raw", ["2023-05", "2023/5", "2023年5月", "202305", "2023-05-12", "2023年5月12日",
                                 dt.date(2023, 5, 31), 202305])
def test_month_spellings(raw):
    assert parsing.parse_month(raw) == dt.date(2023, 5, 1)


def test_bad_month():
    with pytest.raises(ValueError, match="bad_month"):
        parsing.parse_month("2023-13")


@pytest.mark.parametrize("raw, unit, expected", [
    ("1,234.5", None, 1234.5),
    ("１２３", None, 123.0),  # full-width digits
    ("  42 ", None, 42.0),
    ("12.5万", "万元", 12.5),  # a 万元 column: 万 is the column's own unit
    ("125000元", "万元", 12.5),  # 125000 / 10000
    ("12.5", "万元", 12.5),
    ("1.2万", "元", 12000.0),  # a 元 column: 1.2 x 10000
    ("1.2万元", "元", 12000.0),
    ("300元", "元", 300.0),
    ("1.2万", None, 12000.0),  # a count (followers)
    (3.5, "万元", 3.5),
])
def test_numbers(raw, unit, expected):
    assert parsing.parse_number(raw, unit) == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["abc", "1.2.3", "12%", "inf"])
def test_bad_numbers(raw):
    with pytest.raises(ValueError):
        parsing.parse_number(raw)


def test_integers():
    assert parsing.parse_int("1.2万") == 12000
    assert parsing.parse_int("8,000") == 8000
    with pytest.raises(ValueError, match="not_integer"):
        parsing.parse_int("3.5")


@pytest.mark.parametrize("raw, expected", [("2.5%", 0.025), ("0.025", 0.025), ("２.５％", 0.025)])
def test_percent(raw, expected):
    assert parsing.parse_percent(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["是", "Y", "y", "yes", "YES", "1", "✓", "有", 1, True])
def test_yes(raw):
    assert parsing.parse_bool(raw) is True


@pytest.mark.parametrize("raw", ["否", "N", "no", "0", "✗", "无", 0, False])
def test_no(raw):
    assert parsing.parse_bool(raw) is False


def test_bad_bool():
    with pytest.raises(ValueError, match="bad_bool"):
        parsing.parse_bool("也许")


def test_township_aliases():
    from metrics.core.config import default_config

    lookup = default_config().township_lookup()
    for spelling in ["禾木哈纳斯蒙古族乡", "禾木乡", "禾木", " 禾木 "]:
        assert parsing.parse_lookup(spelling, lookup, "bad_township") == "禾木哈纳斯蒙古族乡"
    assert parsing.parse_lookup("县级", lookup, "bad_township") == "县级"
    with pytest.raises(ValueError, match="bad_township"):
        parsing.parse_lookup("北屯镇", lookup, "bad_township")


def test_enum_is_exact_after_trimming():
    assert parsing.parse_enum(" 线上 ", ("线上", "线下")) == "线上"
    with pytest.raises(ValueError, match="bad_enum"):
        parsing.parse_enum("网上", ("线上", "线下"))


def test_list_separators():
    assert parsing.parse_list("甲、乙，丙,丁；戊;己\n庚") == ["甲", "乙", "丙", "丁", "戊", "己", "庚"]


def test_text_keeps_codes_typed_as_numbers():
    # Excel turns the code 1001 into 1001.0; the clerk meant the text "1001".
    assert parsing.parse_text(1001.0) == "1001"
    assert parsing.parse_text("  S1 ") == "S1"
    assert parsing.parse_text("") is None
