"""Forms as county offices file them: what around and inside the table is not data, and what the title rows say.

A clerk's ledger is a form: title rows above the header (`2023年资金支出台账`, `单位：元`, `场次编号：PX2023-001`),
totals rows (合计, 小计, 总计, 累计, `共23人次`), section captions inside the table (`2023年`, `一、禾木乡`) and a
footer below it (填表人, 审核人, 填报日期, 备注, 说明, 注). This module decides which rows are not data and what the
title rows declare; both readers (metrics.load.validate row by row, metrics.load.columnar over Arrow columns) call it, so
they answer alike.

Rows are classified from one mark per cell (`cell_mark`, asked once per distinct value) and the cells that hold
something, with numpy over whole columns (`row_kinds`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metrics.core.datasets import Dataset
from metrics.core.i18n import LANGUAGES, t

DATA, TOTAL, FOOTER, CAPTION, NUMBERED, HEADER = 0, 1, 2, 3, 4, 5
# The template's second header row: the contract's English keys (`voucher`, `date`, `amount`) under the Chinese header.
ENGLISH_HEADER = 7
# A cell mark only (no row kind of its own): a cell that is wholly a group's total label (`中国邮政 汇总`, `总计`,
# `合计`), as Excel's and Calc's 分类汇总 write it in the grouped column, wherever that column stands.
GROUP_TOTAL = 6
# A skipped row's kind -> its words in the catalogues, `form_row_kind_<name>` (合计行 / totals row …).
KIND_NAMES = {TOTAL: "total", FOOTER: "footer", CAPTION: "caption", NUMBERED: "numbered", HEADER: "header",
              ENGLISH_HEADER: "english_header"}

# 合计, 小计 ..., also with what they total in front: 2023年合计, 全年总计, 以上合计, 全县合计, 本年累计. A cell
# starting so marks a totals row only where a label stands (row_kinds): 「累计拨付第二期」 in a 说明 is data.
_TOTAL = re.compile(r"^[(（]?(\d{4}年度?|全年|以上|全县|全乡|全镇|本页|本月|本年|本期|本季度?|总)?(合计|小计|总计|累计)")
_COUNT_TOTAL = re.compile(r"^共(\d+)(人次|人|场次|场|条|笔|项|个|户|家|次|行)$")
_FOOTER = re.compile(r"^(填表人|填报人|审核人|复核人|制表人|经办人|负责人|单位负责人|分管领导|填报日期|填表日期|制表日期"
                     r"|报送日期|报送单位|联系人|联系电话|联系方式"
                     r"|填报单位|制表单位|(制表|审核|备注|说明|注|附注|填表说明)([:：]|$)|[(（]?(金额)?单位([:：]|为))")
# Excel's and Calc's 分类汇总 (Data > Subtotals) write `中国邮政 汇总` under each group: a subtotal.
_SUBTOTAL = re.compile(r"^\S{1,30}汇总$")
_GROUP_TOTALS = {"合计", "小计", "总计", "总合计", "汇总", "总汇总"}
_CAPTION = re.compile(r"^(\d{4}年\S{0,15}|[一二三四五六七八九十]+[、.．]\S*|[（(][一二三四五六七八九十\d]+[)）]\S*"
                      r"|第[一二三四五六七八九十\d]+(季度|批|期|部分)\S*)$")
# A cell that can carry a mark starts with one of these (after NFKC and trimming). metrics.load.columnar's fast text
# patterns exclude them so that every marked cell goes through cell_mark.
MARK_FIRST_CHARS = "合小总累共填审复制经负单分备说注附一二三四五六七八九十第（(本全以联报"
# ... or holds 年 (a caption such as 2023年度 or 2023年5月) or 总 (a subtotal `中国邮政 汇总`).
MARK_INNER_CHARS = "年总"

# `单位：元`, `金额单位：千元`, `单位：个、万元` (a list: the money unit among them is the amounts' unit).
_TITLE_UNIT = re.compile(r"单位[:：]\s*([^\s:：;；]+)")
_UNIT_LIST_SEP = re.compile(r"[、/,，]")
_TITLE_PAIR = re.compile(r"^\s*([^:：]{1,12}?)\s*[:：]\s*(\S.*?)\s*$")


def cell_mark(raw) -> int:
    """TOTAL, FOOTER or CAPTION when this cell marks its row as one of those (if its other cells agree), else DATA."""
    if not isinstance(raw, str):
        return DATA
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw))
    if text.endswith("汇总") and not _CAPTION.match(text) and _SUBTOTAL.match(text) or text in _GROUP_TOTALS:
        return GROUP_TOTAL
    if not text or (text[0] not in MARK_FIRST_CHARS and not text[0].isdigit()):
        return DATA
    if _TOTAL.match(text) or _COUNT_TOTAL.match(text):
        return TOTAL
    if _FOOTER.match(text):
        return FOOTER
    if _CAPTION.match(text):
        return CAPTION
    return DATA


def count_total(raw) -> int | None:
    """The N of a `共N人次` totals cell."""
    if not isinstance(raw, str):
        return None
    m = _COUNT_TOTAL.match(re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)))
    return int(m.group(1)) if m else None


def row_kinds(marks: list[np.ndarray], filled: list[np.ndarray], labels: list[int] = (),
              keys: list[int] = (), numbers: list[int] = (), repeats: list[np.ndarray] = ()) -> np.ndarray:
    """Per row DATA, TOTAL, FOOTER or CAPTION, from per column the cells' marks and whether they hold anything;
    `labels` and `keys` are the positions of the label columns (序号, the key, month, township) and of the key.

    A totals mark makes a totals row where it stands in the row's first filled cell or in a label column (合计 is
    often in the 序号 or the month column), or anywhere when the whole cell is a group's total label
    (GROUP_TOTAL: `中国邮政 汇总`, `总计`), and only when the row's key is empty or is the mark itself: a 说明 of
    「累计拨付第二期」 beside a voucher number is data. A footer mark in the row's first filled cell makes a footer,
    and so does a single-cell row anywhere below a footer (the notes go on over several lines); a caption is a row
    whose only filled cell reads like one (`2023年`, `一、禾木乡`). A row with nothing but its 序号 (`numbers`: a
    sign-in sheet numbered in advance) is NUMBERED. A row whose filled cells, two or more, each repeat their
    column's header exactly (`repeats`, per column: SAID_HEADER where the cell equals its header) is the header
    again (HEADER: a page break printed in, a block pasted with its header); ENGLISH_HEADER when some of them are
    the column's English key instead (SAID_ENGLISH: the template's second header row, `voucher | date | amount`).
    """
    n = len(marks[0]) if marks else 0
    kinds = np.zeros(n, dtype=np.int8)
    if not n:
        return kinds
    mark = np.stack(marks).astype(np.int8)
    group_total = (mark == GROUP_TOTAL).any(axis=0)  # a 分类汇总 label anywhere in the row
    mark[mark == GROUP_TOTAL] = TOTAL
    full = np.stack(filled)
    count = full.sum(axis=0)
    first = np.argmax(full, axis=0)
    first_mark = np.where(count > 0, mark[first, np.arange(n)], DATA)
    caption = (count == 1) & (first_mark == CAPTION)
    footer = first_mark == FOOTER
    if footer.any():
        below = np.arange(n) > np.flatnonzero(footer)[0]
        footer |= below & (count == 1)
    total_at = mark == TOTAL
    labels = [i for i in labels if i < len(marks)]
    keys = [i for i in keys if i < len(marks)]
    total = (first_mark == TOTAL) | group_total
    if labels:
        total |= total_at[labels].any(axis=0)
    if keys:
        total &= ~(full[keys] & ~total_at[keys]).any(axis=0)
    numbers = [i for i in numbers if i < len(marks)]
    if numbers:
        kinds[(count > 0) & (full[numbers].sum(axis=0) == count)] = NUMBERED
    kinds[caption] = CAPTION
    kinds[footer] = FOOTER
    kinds[total] = TOTAL
    if len(repeats):
        said = np.stack(repeats)
        same = (said > 0).sum(axis=0)
        header = (same >= 2) & (same == count)
        kinds[header] = HEADER
        kinds[header & (said == SAID_ENGLISH).any(axis=0)] = ENGLISH_HEADER
    return kinds


# What a cell says of its column's header (header_repeats): nothing, the header as written, or its English key.
SAID_NOTHING, SAID_HEADER, SAID_ENGLISH = 0, 1, 2
# Spaces around a repeated header's cell, as around the header itself (` 月份 `), trimmed before comparing; one set
# of characters, so that both readers (str.strip here, pc.utf8_trim in metrics.load.columnar) trim alike.
HEADER_PADDING = " \t\r\n\u3000\xa0"
# What a template writes under 序号 in its row of English keys.
NUMBER_COLUMN_ENGLISH = ("No.", "No", "no.", "no", "NO.", "NO", "#")


def english_headers(match, ds: Dataset) -> dict[int, tuple[str, ...]]:
    """Per header position the English words a template's second header row writes for that column: the contract's
    key and English label (`voucher`, `session_id`, `session id`), and `No.` under a 序号. One list for both readers,
    compared exactly as the header is (header_repeats)."""
    words = {i: tuple({ds.column(key).key, ds.column(key).label_en}) for i, key in match.columns.items()}
    _, _, numbers = label_columns(match, ds)
    words.update({i: NUMBER_COLUMN_ENGLISH for i in numbers})
    return words


def header_spellings(match) -> dict[int, tuple[str, ...]]:
    """Per header position how the header row writes it (trimmed); under a two-row header also the group and the
    sub-header alone (`网络零售额（万元）/全县`: 网络零售额（万元）, 全县), so that both rows repeated mid-table are seen."""
    if match.first_row is None:
        return {i: (text,) for i, text in match.texts.items()}
    return {i: tuple(dict.fromkeys((text, *(w.strip() for w in text.split("/") if w.strip()))))
            for i, text in match.texts.items()}


def header_repeats(cells: np.ndarray, header: tuple[str, ...] | None, english: tuple[str, ...] = ()) -> np.ndarray | None:
    """Per cell SAID_HEADER when it is exactly its column's header as the header row writes it (header_spellings),
    SAID_ENGLISH when it is one of the column's English keys (english_headers), else SAID_NOTHING; or None when no
    cell says either. Exactly but for the spaces around it (HEADER_PADDING), as metrics.load.columnar compares
    whole columns: a header otherwise misspelt is not recognised, and its words then fail as values (refused, never
    stored)."""
    if header is None and not english:
        return None
    header = header or ()
    trimmed = [c.strip(HEADER_PADDING) if isinstance(c, str) else None for c in cells]
    said = np.array([SAID_HEADER if c is not None and c in header else
                     SAID_ENGLISH if c is not None and c in english else SAID_NOTHING for c in trimmed],
                    dtype=np.int8)
    return said if said.any() else None


_NUMBER_COLUMN = re.compile(r"^(序号|序|编号|no\.?|#)$", re.IGNORECASE)


def label_columns(match, ds: Dataset) -> tuple[list[int], list[int], list[int]]:
    """(label columns, key columns, 序号 columns) of a header match as positions: a totals mark stands in a label
    column (序号, the key, the month or the township); the key is empty on a totals row (or holds the mark)."""
    keys = [i for i, key in match.columns.items() if ds.column(key).is_key]
    numbers = [i for i, name in match.extras.items()
               if _NUMBER_COLUMN.match(re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name))))]
    labels = keys + numbers + [i for i, key in match.columns.items() if ds.column(key).type in ("month", "township")]
    return sorted(set(labels)), keys, numbers


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column as the spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def report_skipped(skipped: list[tuple[int, int, str | None]], add) -> None:
    """A warning per row that is not data: (spreadsheet row, kind, its first filled cell as shown)."""
    from metrics.platform.pii import scrub

    for row, kind, shown in skipped:
        kind_words = {f"kind_{lang}": t(f"form_row_kind_{KIND_NAMES[kind]}", lang) for lang in LANGUAGES}
        add("warning", "w_skipped_row", row, None, scrub(shown), **kind_words)  # 联系电话：139…


def check_totals(totals: list[tuple[int, dict]], d: pa.Table, ds: Dataset, header_text: dict[str, str], add) -> None:
    """Each totals row against the data rows it sums: those since the previous totals row (小计, an Excel
    分类汇总 `中国邮政 汇总`) or all above it (合计, 总计, 累计), in the stored unit. `totals`: (spreadsheet row,
    {column key: the value it states, or ("count", N) for 共N人次}).
    An error when it matches neither, showing both figures: the form's own total is the clerk's checksum, and a
    figure or a row that does not add up is wrong somewhere only they can tell."""
    if not totals or not d.num_rows:
        return
    rows = d["_row"].to_numpy()
    previous = 0
    for row, stated in totals:
        section = (rows > previous) & (rows < row)
        above = rows < row
        previous = row
        for key, value in stated.items():
            if key == "_count":
                sums = (int(section.sum()), int(above.sum()))
                shown_sum = sums[0]
            else:
                values = d[f"v_{key}"].to_numpy(zero_copy_only=False)
                values = np.where(pc.is_null(d[f"v_{key}"]).to_numpy(zero_copy_only=False), 0, values)
                sums = (float(values[section].sum()), float(values[above].sum()))
                shown_sum = sums[0]
            if any(abs(value - s) <= 0.005 + 1e-9 * abs(s) for s in sums):
                continue
            column = header_text.get(key) or ("行数" if key == "_count" else key)
            unit = "" if key == "_count" else (ds.column(key).unit or "")
            add("error", "total_mismatch", row, column, f"{value:g}", stated=f"{value:g}",
                summed=f"{shown_sum:g}", unit=unit)


@dataclass
class Title:
    """What the rows above the header declare."""

    unit: str | None = None  # 元, 千元, 万元 or 亿元, from 单位：元 (or 单位：个、元)
    unit_cell: str | None = None
    unit_row: int | None = None  # the sheet row (1-based) of a unit stated above the table, so a conflict names it
    units_conflict: list[str] = field(default_factory=list)  # two different units declared
    values: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # key -> (the cell, its value, row)


def read_title(title_rows: list[list], key_of, present: set[str]) -> Title:
    from metrics.load.rules import money_unit

    """Units (`单位：万元`) and `名称：值` pairs naming a contract column the table lacks (`场次编号：PX2023-001`);
    key_of(name) is the contract column a header spelling names, or None."""
    title = Title()
    for number, row in enumerate(title_rows, start=1):
        for cell in row:
            if not isinstance(cell, str) or not cell.strip():
                continue
            text = unicodedata.normalize("NFKC", cell)
            for m in _TITLE_UNIT.finditer(text):
                for unit in {u for part in _UNIT_LIST_SEP.split(m.group(1))
                             if (u := money_unit(part.strip("。.()（）"))) is not None}:
                    if title.unit is None:
                        title.unit, title.unit_cell, title.unit_row = unit, cell.strip(), number
                    elif unit != title.unit:
                        title.units_conflict = [title.unit_cell, cell.strip()]
            # A cell may hold several pairs: `场次编号：PX2023-001  培训主题：直播带货`.
            for part in re.split(r"\s{2,}|[;；]", cell.strip()):
                m = _TITLE_PAIR.match(part)
                if not m:
                    continue
                key = key_of(m.group(1))
                if key is not None and key not in present and key not in title.values:
                    title.values[key] = (part.strip(), m.group(2), number)
    return title


FOOTER_ROWS = 15  # rows at the end of a sheet looked at for a unit stated below the table
# `注：金额单位为元`, `单位：万元`, `（金额单位：元）` written below the table.
_FOOTER_UNIT = re.compile(r"单位\s*(?:[:：]|为|是)\s*(人民币)?(元|千元|万元|亿元)")


def read_footer_unit(title: Title, tail: list[list]) -> None:
    """A money unit stated in a row of one cell at the end of the sheet (a footer or a note) counts as one stated
    in the title: `title` takes it, or notes the conflict with the title's own. `tail`: the sheet's last rows
    below the header."""
    for row in tail:
        cells = [c for c in row if c is not None and str(c).strip() != ""]
        if len(cells) != 1 or not isinstance(cells[0], str):
            continue
        m = _FOOTER_UNIT.search(unicodedata.normalize("NFKC", cells[0]))
        if not m:
            continue
        if title.unit is None:
            title.unit, title.unit_cell = m.group(2), cells[0].strip()
        elif m.group(2) != title.unit and not title.units_conflict:
            title.units_conflict = [title.unit_cell, cells[0].strip()]


def stated_totals(ds: Dataset, match, cells: list, ctx) -> dict:
    """What a totals row states: per amount or count column of the contract its value as parsed (cells that do
    not parse are left out), and `_count` for a `共23人次` cell."""
    from metrics.load.rules import cell_parser

    stated: dict = {}
    for i, key in match.columns.items():
        col = ds.column(key)
        if col.type not in ("number", "int") or i >= len(cells):
            continue
        try:
            value = cell_parser(col, match.units.get(key), ctx)(cells[i])
        except ValueError:
            continue
        if value is not None:
            stated[key] = value
    for cell in cells:
        n = count_total(cell)
        if n is not None:
            stated["_count"] = n
            break
    return stated


# What a row of units under the header writes per column: money units and the counting words of the contract.
_UNIT_WORDS = re.compile(r"^[(（\[【]?(元|千元|万元|亿元|万|人民币元|人|人次|名|个|家|户|场|场次|次|件|单|笔|项|条|"
                         r"千克|公斤|kg|吨|%|％|个数|天|小时)[)）\]】]?$", re.IGNORECASE)


def english_row_above_units(match, ds: Dataset, rows: list[list]) -> None:
    """The template's row of English keys right under the header, with a units row under it (`元 | 万元 | 人`): the
    English row is read as part of the header (match.english_row, reported as ENGLISH_HEADER by both readers'
    header checks) so that the units row below applies. Without a units row under it, the English row is left to
    row_kinds, which skips it wherever it stands."""
    if len(rows) < 2:
        return
    english = english_headers(match, ds)
    row = [c.strip(HEADER_PADDING) if isinstance(c, str) else c for c in rows[0]]
    filled = [i for i, c in enumerate(row) if c is not None and str(c).strip() != ""]
    if len(filled) < 2 or not all(isinstance(row[i], str) and row[i] in english.get(i, ()) for i in filled):
        return
    index = match.row_index
    match.row_index += 1
    units_row(match, rows[1])
    if match.units_row is None:
        match.row_index = index  # no units row: the English row is a body row, skipped by row_kinds
    else:
        match.english_row = index + 1


def units_row(match, row: list) -> None:
    """A row right under the header whose every filled cell is a unit (`元`, `（万元）`, `人`), under at least one
    column of the contract, is part of the header: each unit applies to its column as if the header wrote it.
    `match` (a metrics.load.reader.HeaderMatch) then ends below it: both readers start the data there."""
    from metrics.load.rules import money_unit

    filled = {i: unicodedata.normalize("NFKC", str(c)).strip() for i, c in enumerate(row)
              if c is not None and str(c).strip() != ""}
    if not filled or not all(isinstance(row[i], str) and _UNIT_WORDS.match(text) for i, text in filled.items()):
        return
    if not any(i in match.columns for i in filled):
        return
    for i, text in filled.items():
        key = match.columns.get(i)
        unit = text.strip("()（）[]【】")
        if key is None:
            continue
        if match.units.get(key) is None:
            match.units[key] = unit
        elif money_unit(match.units[key]) != money_unit(unit):
            match.units_row_conflicts.append((key, unit))
    match.units_row = match.row_index + 1
    match.row_index += 1
