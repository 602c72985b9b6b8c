"""Reading files: encodings, Excel, header detection below title rows, header spellings, dataset recognition."""

import pytest

from metrics.core.datasets import DATASETS
from metrics.load.reader import FileProblem, match_header, read_file, recognise, split_header

from .ledgers import xlsx_bytes

TEXT = "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-05-12,禾木,直播带货,线下\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be"])
def test_csv_encodings(encoding):
    sheets = read_file("s.csv", TEXT.encode(encoding))
    assert sheets[0].rows[1][2] == "禾木"


def test_gb18030_characters_outside_gbk():
    # 䶮 is in GB18030 but not in GBK: a GBK decoder would fail or corrupt it.
    text = "名称,乡镇,类型,社区团购覆盖\n䶮社区,布尔津镇,社区,是\n"
    assert read_file("c.csv", text.encode("gb18030"))[0].rows[1][0] == "䶮社区"


def test_semicolon_and_tab_delimiters():
    assert read_file("s.csv", TEXT.replace(",", ";").encode())[0].rows[1][0] == "S1"
    assert read_file("s.csv", TEXT.replace(",", "\t").encode())[0].rows[1][4] == "线下"


def test_xlsx_keeps_row_numbers_with_blank_rows():
    content = xlsx_bytes([["布尔津县电商培训签到表"], [], ["场次编号", "学员编号"], ["S1", "T1"]])
    rows = read_file("a.xlsx", content)[0].rows
    assert rows[2][:2] == ["场次编号", "学员编号"]  # spreadsheet row 3
    assert rows[3][:2] == ["S1", "T1"]


def test_renamed_non_spreadsheet_is_refused():
    with pytest.raises(FileProblem) as exc:
        read_file("ledger.xlsx", b"%PDF-1.4 this is not a spreadsheet")
    assert exc.value.code == "not_a_spreadsheet"


def test_empty_file():
    with pytest.raises(FileProblem) as exc:
        read_file("empty.csv", b"  \n")
    assert exc.value.code == "empty_file"


@pytest.mark.parametrize("cell, expected", [
    ("金额（万元）", ("金额", "万元")), ("金额(万元)", ("金额", "万元")), (" 金额 ", ("金额", None)),
    ("*场次编号", ("场次编号", None)), ("Session ID", ("session_id", None)), ("amount", ("amount", None)),
])
def test_header_spellings(cell, expected):
    assert split_header(cell) == expected


def test_header_below_title_rows_and_english_keys():
    from metrics.load.reader import Sheet

    sheet = Sheet(None, [["布尔津县电商培训场次台账"], [], [], ["session_id", "Date", "township", "topic", "mode", "备注"]])
    match = match_header(sheet, DATASETS["training_sessions"])
    assert match.row_index == 3
    assert set(match.columns.values()) == {"session_id", "date", "township", "topic", "mode"}
    assert list(match.extras.values()) == ["备注"]


def test_header_more_than_five_rows_down_is_not_found():
    from metrics.load.reader import Sheet

    sheet = Sheet(None, [["标题"]] * 6 + [["场次编号", "培训日期", "乡镇", "培训主题", "培训形式"]])
    assert match_header(sheet, DATASETS["training_sessions"]) is None


def test_recognise_dataset_from_headers():
    from metrics.load.reader import Sheet

    assert recognise([Sheet(None, [["运单号", "发货日期", "企业", "补贴金额（元）"]])]).dataset == "logistics_subsidies"
    assert recognise([Sheet(None, [["场次编号", "身份证号"]])]).dataset == "training_attendance"


def test_recognise_refuses_a_tie_naming_both():
    from metrics.load.reader import Sheet

    # Fits both follower_snapshots (达人编号 平台 日期 粉丝数) and events (活动编号 活动名称 类型 日期): 4 columns each.
    sheet = Sheet(None, [["达人编号", "平台", "日期", "粉丝数", "活动编号", "活动名称", "类型"]])
    found = recognise([sheet])
    assert found.dataset is None and found.ambiguous
    assert set(found.candidates) == {"follower_snapshots", "events"}


@pytest.mark.parametrize("suffix", ["xlsx", "et"])
def test_an_oversized_workbook_is_refused_with_the_guards_own_reason_also_as_et(suffix, monkeypatch):
    """WPS often saves .et as an .xlsx container: the size guard's refusal must reach the user as it is, not
    "save it as .xlsx" (which would not help)."""
    from metrics.load import xlsx_guard

    # xlsxwriter will not write a cell over Excel's 32,767 characters: lower the limit instead of growing the cell.
    monkeypatch.setattr(xlsx_guard, "MAX_CELL_CHARS", 1000)
    long_cell = xlsx_bytes([["场次编号", "备注"], ["S1", "x" * 1001]])
    with pytest.raises(FileProblem) as exc:
        read_file(f"ledger.{suffix}", long_cell)
    assert exc.value.code == "cell_too_long"
    assert "第 2 行" in exc.value.message("zh") and "save" not in exc.value.message("en")

    monkeypatch.setattr(xlsx_guard, "MAX_TEXT_CHARS", 1000)  # 3 cells × 500 + 8 header characters = 1,508 in all
    much_text = xlsx_bytes([["场次编号", "备注"], ["S1", "a" * 500], ["S2", "b" * 500], ["S3", "c" * 500]])
    with pytest.raises(FileProblem) as exc:
        read_file(f"ledger.{suffix}", much_text)
    assert exc.value.code == "text_too_large"


def test_an_unreadable_et_is_told_to_save_as_xlsx():
    with pytest.raises(FileProblem) as exc:
        read_file("ledger.et", b"\x00\x01 not a spreadsheet at all")
    assert exc.value.code == "save_as_xlsx"
