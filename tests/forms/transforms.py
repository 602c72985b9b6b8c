"""The clerk transformations of the form generator (tests/forms/generator.py), each with what the loader must do.

A transformation changes a Build in place. `effect` is the loader's duty once it is applied: `load` (exactly the
clean form's rows), `refuse` (refused, naming a cell), `either` (one of the two). `slots`: two transformations that
write the same thing (the money unit, how numbers are typed, how dates are typed, the header words, the totals) are
never combined. `phase` orders them: units first, then how cells are typed, then inserted faults, columns, rows and
workbook features.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from .generator import WORKBOOK, ZW, Build, Cell, Ledger, number_text, with_commas

FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
NUMERIC = ("wan", "yuan", "num", "int")


@dataclass(frozen=True)
class Transform:
    name: str
    phase: int
    effect: str
    slots: tuple[str, ...]
    when: Callable[[Ledger, str], bool]
    apply: Callable[[Build], None]
    doc: str


TRANSFORMS: dict[str, Transform] = {}


def transform(phase: int, doc: str, effect: str = "load", slots: tuple[str, ...] = (),
              when: Callable[[Ledger, str], bool] = lambda ledger, fmt: True):
    def register(fn):
        TRANSFORMS[fn.__name__] = Transform(fn.__name__, phase, effect, slots, when, fn, doc)
        return fn
    return register


def has(*kinds):
    return lambda ledger, fmt: bool(ledger.kinds(*kinds))


def workbook_and(pred=lambda ledger, fmt: True):
    return lambda ledger, fmt: fmt in WORKBOOK and pred(ledger, fmt)


def cells(b: Build, *kinds: str):
    """(row, key, value) of every filled data cell of a column of these kinds."""
    for row in b.data:
        for c in b.ledger.kinds(*kinds):
            if row.get(c.key) is not None:
                yield row, c.key, row[c.key]


def value(cell):
    return cell.value if isinstance(cell, Cell) else cell


def _units(b: Build, factor: float, header_unit: str) -> None:
    for c in b.ledger.kinds("wan"):
        b.factor[c.key] = factor
        b.headers[c.key] = c.header + header_unit


# ------------------------------------------------------------------------------------------------ 0: units

@transform(0, "单位：元 in a title row, amount headers without a unit, amounts ×10000", slots=("unit",), when=has("wan"))
def unit_title_yuan(b):
    _units(b, 10000, "")
    b.title.append(("right", "单位：元"))


@transform(0, "单位：万元 in a title row, amount headers without a unit", slots=("unit",), when=has("wan"))
def unit_title_wan(b):
    _units(b, 1, "")
    b.title.append(("right", "单位：万元"))


@transform(0, "a units row (元) directly under the header, amounts ×10000", slots=("unit",), when=has("wan"))
def unit_units_row(b):
    _units(b, 10000, "")
    b.units_row = {c.key: "元" for c in b.ledger.kinds("wan")} | {c.key: "个" for c in b.ledger.kinds("int")}


@transform(0, "注：金额单位为元 as a note under the table, amounts ×10000", slots=("unit",), when=has("wan"))
def unit_footer_note(b):
    _units(b, 10000, "")
    b.footer.append(["注：金额单位为元"])


@transform(0, "amount headers in 千元, amounts ×10", slots=("unit",), when=has("wan"))
def unit_header_qianyuan(b):
    _units(b, 10, "（千元）")


@transform(0, "amount headers in 元, amounts ×10000", slots=("unit",), when=has("wan"))
def unit_header_yuan(b):
    _units(b, 10000, "（元）")


@transform(0, "the unit inside the title's own words: 「…台账（单位：元）」, amounts ×10000", slots=("title", "unit"),
           when=has("wan"))
def unit_in_title_text(b):
    for c in b.ledger.kinds("wan"):
        b.factor[c.key] = 10000
        b.headers[c.key] = c.header
    b.title[:0] = [("title", f"{b.ledger.title}（单位：元）")]


@transform(0, "网络零售额（万元） merged over 全县 | 农产品", slots=("unit", "header"),
           when=lambda ledger, fmt: ledger.dataset == "online_retail")
def two_row_header(b):
    b.two_row = True


# ------------------------------------------------------------------------------------- 1: how cells are typed

@transform(1, "amounts typed with their unit: `125,000元` in a 万元 column, `1,200元` in a 元 column",
           slots=("unit", "numtext"), when=has("wan", "yuan"))
def unit_in_cells(b):
    for row, key, v in cells(b, "wan", "yuan"):
        yuan = v * 10000 if b.ledger.col(key).kind == "wan" else v
        row[key] = with_commas(round(yuan, 6)) + "元"


@transform(1, "numbers as text with thousands separators (`1,520.5`)", slots=("numtext",), when=has(*NUMERIC))
def numbers_as_text(b):
    for row, key, v in cells(b, *NUMERIC):
        row[key] = with_commas(v)


@transform(1, "numbers typed with a leading ' (text cells with a quote prefix)", slots=("numtext",),
           when=workbook_and(has(*NUMERIC)))
def numbers_quote_prefix(b):
    for row, key, v in cells(b, *NUMERIC):
        row[key] = Cell(number_text(v), quote=True)


@transform(1, "amounts with a currency sign (¥12.5, ￥1,200)", slots=("numtext",), when=has("wan", "yuan"))
def currency_sign(b):
    for row, key, v in cells(b, "wan", "yuan"):
        signs = ["￥"] if b.fmt == "csv_gbk" else ["¥", "￥"]  # GBK has only the full-width sign
        row[key] = b.rng.choice(signs) + with_commas(v)


@transform(1, "numbers in full-width digits (`１５２０．５`)", slots=("numtext",), when=has(*NUMERIC))
def fullwidth_numbers(b):
    for row, key, v in cells(b, *NUMERIC):
        row[key] = number_text(v).translate(FULLWIDTH)


@transform(1, "numbers as formulas with cached values (`=12.5*1`)", slots=("numtext",),
           when=lambda ledger, fmt: fmt == "xlsx_xlsxwriter" and bool(ledger.kinds(*NUMERIC)))
def formula_cached(b):
    for row, key, v in cells(b, *NUMERIC):
        row[key] = Cell(v, formula=f"={number_text(v)}*1")


def _date_forms(d: dt.date, month: bool, spaced: bool) -> list[str]:
    if month:
        if spaced:
            return [f"{d.year}年 {d.month}月", f"{d.year} - {d.month:02d}", f" {d.year}-{d.month:02d} "]
        return [f"{d.year}年{d.month}月", f"{d.year}{d.month:02d}", f"{d.year}/{d.month}", d.isoformat()]
    if spaced:
        return [f"{d.year}年 {d.month}月 {d.day}日", f"{d.year} - {d.month:02d} - {d.day:02d}",
                f" {d.year}/{d.month}/{d.day} "]
    return [f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日", f"{d:%Y%m%d}",
            f"{d.year}.{d.month}.{d.day}", f"{d.year}-{d.month}-{d.day}"]


def _dates(b: Build, spaced: bool) -> None:
    for row in b.data:
        for c in b.ledger.kinds("date", "month"):
            d = b.ledger.rows[row["_i"]][c.key]
            if d is not None:
                forms = _date_forms(d, c.kind == "month", spaced)
                pick = b.rng.randrange(len(forms) + (b.workbook and not spaced))
                row[c.key] = Cell(d, number_format="yyyy/m/d") if pick == len(forms) else forms[pick]


@transform(1, "dates and months in every written form (2023/5/12, 2023年5月12日, 20230512, 2023.5.12, a date cell)",
           slots=("dates",), when=has("date", "month"))
def dates_written_forms(b):
    _dates(b, spaced=False)


@transform(1, "dates typed with spaces (`2023年 5月 12日`, `2023 - 05 - 12`)", slots=("dates",),
           when=has("date", "month"))
def dates_with_spaces(b):
    _dates(b, spaced=True)


@transform(1, "dates as bare Excel serial numbers (45058), the cell format lost", effect="either", slots=("dates",),
           when=has("date", "month"))
def dates_excel_serial(b):
    for row in b.data:
        for c in b.ledger.kinds("date", "month"):
            d = b.ledger.rows[row["_i"]][c.key]
            if d is not None:
                serial = (d - dt.date(1899, 12, 30)).days
                row[c.key] = serial if b.workbook else str(serial)


@transform(1, "dates with a time of day (2023-05-12 09:30, a date-time cell)", effect="either", slots=("dates",),
           when=has("date"))
def dates_with_time(b):
    for row in b.data:
        for c in b.ledger.kinds("date"):
            d = b.ledger.rows[row["_i"]][c.key]
            if d is not None:
                at = dt.datetime(d.year, d.month, d.day, 9, 30)
                row[c.key] = Cell(at, number_format="yyyy-mm-dd hh:mm") if b.workbook else f"{at:%Y-%m-%d %H:%M}"


@transform(1, "amounts typed with 万: `12.5万` in a 万元 column, `0.12万` in a 元 column", slots=("unit", "numtext"),
           when=has("wan", "yuan"))
def wan_suffix(b):
    for row, key, v in cells(b, "wan", "yuan"):
        wan = v if b.ledger.col(key).kind == "wan" else v / 10000
        row[key] = number_text(round(wan, 6)) + "万"


@transform(1, "empty optional dates written as 进行中 / 未完成 / —",
           when=lambda ledger, fmt: any(r[c.key] is None for r in ledger.rows for c in ledger.kinds("date")))
def empty_date_words(b):
    for row in b.data:
        for c in b.ledger.kinds("date"):
            if row.get(c.key) is None:
                row[c.key] = b.rng.choice(["进行中", "未完成", "—"])


@transform(1, "zero-width characters (U+200B, U+FEFF, U+2060…) inside keys and townships",
           when=lambda ledger, fmt: fmt != "csv_gbk")
def zero_width_keys(b):
    for row, key, v in cells(b, "key", "town"):
        cut = b.rng.randrange(len(v) + 1)
        row[key] = v[:cut] + b.rng.choice(ZW) + v[cut:]


@transform(1, "leading and trailing spaces (also U+3000) around text cells")
def trailing_spaces(b):
    for row, key, v in cells(b, "key", "text", "enum", "town"):
        row[key] = b.rng.choice([" ", "", "\u3000"]) + v + b.rng.choice([" ", "  ", "\u3000"])


@transform(1, "a line break typed after keys and choices (Alt+Enter)")
def cell_line_breaks(b):
    for row, key, v in cells(b, "key", "enum"):
        row[key] = v + "\n"


@transform(1, "townships in the short forms clerks write (禾木, 禾木乡, 冲乎尔)", when=has("town"))
def township_short_forms(b):
    short = {"禾木哈纳斯蒙古族乡": ["禾木", "禾木乡"], "冲乎尔镇": ["冲乎尔"], "布尔津镇": ["布尔津镇"]}
    for row, key, v in cells(b, "town"):
        row[key] = b.rng.choice(short[v])


@transform(1, "keys typed in full-width letters and digits (ＰＸ２０２３－１０１)", when=has("key"))
def fullwidth_keys(b):
    for row, key, v in cells(b, "key"):
        row[key] = v.translate(FULLWIDTH)


@transform(1, "lists of names written with / , spaces, 及, 和, line breaks", when=has("list"))
def list_separators(b):
    for row, key, _v in cells(b, "list"):
        names = b.ledger.rows[row["_i"]][key]
        row[key] = b.rng.choice(["/", " ", "及", "和", "\n", "；", ","]).join(names)


@transform(1, "ID numbers and phone numbers in full-width digits", when=has("id"))
def fullwidth_id_numbers(b):
    for row, key, v in cells(b, "id", "phone"):
        row[key] = v.translate(FULLWIDTH)


# ---------------------------------------------------------------------------------- 2: faults that must refuse

@transform(2, "a formula error cell (#REF!, #DIV/0!, #N/A, #VALUE!) in a data row", effect="refuse",
           slots=("refuse",), when=lambda ledger, fmt: fmt != "xlsx_openpyxl")
def formula_error(b):
    row = b.rng.choice(b.data)
    key = b.rng.choice([c.key for c in b.ledger.cols[1:]])
    error = b.rng.choice(["#REF!", "#DIV/0!", "#N/A", "#VALUE!"])
    row[key] = Cell(error, formula="=1/0" if error == "#DIV/0!" else "=#REF!+1") if b.workbook else error


@transform(2, "an extra row marked 作废 / 已退回 / 冲销 / 撤销 in its note", effect="refuse", slots=("refuse",))
def void_row(b):
    row = dict(b.rng.choice(b.data))
    keys = [c.key for c in b.ledger.kinds("key")]
    if keys:  # a key of its own, so that only the void word can stop it
        row[keys[-1]] = str(value(row[keys[-1]])).strip() + "9"
    else:  # online retail: a month of its own
        row["month"] = "2024-03"
    word = b.rng.choice(["作废", "已退回", "冲销", "撤销"])
    if "note" in b.order:
        row["note"] = word
        b.data.append(row)
    else:
        b.data.append(row)
        b.extra.append(("备注", [word if r is row else None for r in b.data]))


@transform(2, "months typed as numbers: 2023.10 shown as 2023.1 (January or October?)", effect="refuse",
           slots=("refuse", "dates"), when=has("month"))
def ambiguous_month(b):
    for row in b.data:
        d = b.ledger.rows[row["_i"]]["month"]
        row["month"] = float(f"{d.year}.{d.month:02d}") if b.workbook else number_text(float(f"{d.year}.{d.month:02d}"))


@transform(2, "a negative written the accountant's way, `(1,200)`, in an amount that cannot be negative",
           effect="refuse", slots=("refuse",), when=lambda ledger, fmt: ledger.dataset == "logistics_subsidies")
def paren_negative(b):
    row = b.data[-1]
    row["amount"] = f"({with_commas(b.ledger.rows[row['_i']]['amount'])})"


# ------------------------------------------------------------------------------------------- 3: columns, header

@transform(3, "headers in English (the contract's keys)", slots=("header",))
def english_headers(b):
    for c in b.ledger.cols:
        unit = b.headers[c.key][len(c.header):]
        b.headers[c.key] = c.key + unit


@transform(3, "header aliases: surrounding spaces, half-width brackets `金额(万元)`", slots=("header",))
def header_aliases(b):
    for c in b.ledger.cols:
        b.headers[c.key] = " " + b.headers[c.key].replace("（", "(").replace("）", ")") + " "


@transform(3, "a line break between a header and its unit (`金额\\n（万元）`)", slots=("header",),
           when=lambda ledger, fmt: any(c.unit for c in ledger.cols))
def header_line_breaks(b):
    for c in b.ledger.cols:
        h = b.headers[c.key]
        if "（" in h:
            b.headers[c.key] = h.replace("（", "\n（")


@transform(3, "units spelled out in the header: 金额（单位：万元）", slots=("header",),
           when=lambda ledger, fmt: any(c.unit for c in ledger.cols))
def header_unit_spelled(b):
    for c in b.ledger.cols:
        h = b.headers[c.key]
        if "（" in h and "单位" not in h:
            b.headers[c.key] = h.replace("（", "（单位：")


@transform(3, "the template's bilingual header: the Chinese row, then a row of the English keys", slots=("header",))
def bilingual_header(b):
    b.english_row = True


@transform(3, "headers padded with spaces between the characters, as clerks align them (姓  名, 凭 证 号)",
           slots=("header",))
def header_inner_spaces(b):
    for c in b.ledger.cols:
        h = b.headers[c.key]
        name, unit = h[:len(c.header)], h[len(c.header):]
        b.headers[c.key] = (" " if len(name) > 2 else "  ").join(name) + unit


@transform(3, "columns in another order")
def columns_reordered(b):
    b.rng.shuffle(b.order)


@transform(3, "extra columns (经办人, 备注2) the contract does not have")
def extra_columns(b):
    b.extra.append(("经办人", [b.rng.choice(["王芳", "刘强"]) for _ in b.data]))
    b.extra.append(("备注2", [b.rng.choice(["", "已核对", "发票后补"]) or None for _ in b.data]))


@transform(3, "a second small table beside the data, after a blank column (乡镇 | 人数)", effect="either")
def side_table(b):
    b.extra.append(("", [None for _ in b.data]))
    b.extra.append(("乡镇", ["禾木乡", "冲乎尔镇"] + [None] * (len(b.data) - 2)))
    b.extra.append(("人数", [12, 8] + [None] * (len(b.data) - 2)))


@transform(3, "a 序号 column 1, 2, 3…", slots=("seq",))
def seq_column(b):
    b.seq = "run"


@transform(3, "a 序号 column restarting at 1 in each group", slots=("seq",))
def seq_restart(b):
    b.seq = "restart"


# --------------------------------------------------------------------------------------------------- 4: rows

@transform(4, "title rows above the header (merged across in a workbook)", slots=("title",))
def title_rows(b):
    b.title[:0] = [("title", b.ledger.title), ["填报单位：布尔津县商务局"]]


@transform(4, "five title and blank rows above the header, the most the contract allows", slots=("title", "unit"))
def many_title_rows(b):
    b.title[:0] = [("title", b.ledger.title), [], ["填报单位：布尔津县商务局", None, "填报时间：2024年1月5日"], [],
                   ["（本表由承办企业填报）"]]


@transform(4, "a 合计 row under the data, figures in the written unit", slots=("totals",), when=has(*NUMERIC))
def totals_row(b):
    b.totals = True


@transform(4, "Excel 分类汇总: `X 汇总` after each group and `总计` at the end", slots=("totals",),
           when=lambda ledger, fmt: bool(ledger.kinds(*NUMERIC)) and ledger.group is not None)
def subtotal_rows(b):
    b.subtotals = True


@transform(4, "a 小计 row after each group, in the first column", slots=("totals",),
           when=lambda ledger, fmt: bool(ledger.kinds(*NUMERIC)) and ledger.group is not None)
def group_xiaoji_rows(b):
    b.xiaoji = True


@transform(4, "a footer: 填表人 / 审核人 / 填报日期 spread over the row")
def footer(b):
    b.footer.append(["填表人：张三", None, "审核人：李四", "填报日期：2024年1月5日"])


@transform(4, "blank rows between groups")
def blank_rows(b):
    b.blank_rows = True


@transform(4, "the header row repeated in the middle (a page break, a pasted block)",
           when=lambda ledger, fmt: ledger.group is not None or ledger.year_col is not None)
def repeated_header(b):
    b.repeat_header = True


@transform(4, "section captions (一、禾木哈纳斯蒙古族乡 / 一、2023年) above each group",
           when=lambda ledger, fmt: ledger.group is not None or ledger.year_col is not None)
def section_captions(b):
    b.captions = True


# ----------------------------------------------------------------------------------------------- 5: workbook

@transform(5, "the group column merged vertically over its rows", when=workbook_and(lambda ledger, f: bool(ledger.group)))
def vmerge_group(b):
    b.vmerge = True


@transform(5, "an old version kept as a hidden sheet 旧版（作废）", when=workbook_and())
def hidden_old_sheet(b):
    b.hidden_old = True


@transform(5, "one sheet per year (2023年, 2024年)", when=workbook_and(lambda ledger, f: bool(ledger.year_col)))
def sheet_per_year(b):
    b.by_year = True


@transform(5, "a 填表说明 sheet before the data sheet", when=workbook_and())
def notes_sheet_first(b):
    b.notes_first = True


@transform(5, "notes in cell comments", when=workbook_and())
def cell_comments(b):
    for row in b.rng.sample(b.data, 2):
        key = b.rng.choice(b.order)
        cell = row.get(key)
        row[key] = Cell(cell.value, cell.formula, cell.quote, cell.number_format, "已核对，原件在档案室") \
            if isinstance(cell, Cell) else Cell(cell, comment="发票后补")
