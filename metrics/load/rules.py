"""The rules of datasets.md shared by both ways of reading a ledger: how one cell is parsed, and the row rules.

metrics.load.validate (rows held as Python lists: Excel, and the reference path for CSV) and metrics.load.columnar (a CSV's
columns read by Arrow) both build a table d of parsed values and hand it to `Checks`; both parse each cell with
`cell_parser`. One implementation of each rule, and no import between the two readers' modules in both directions.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import threading
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metrics.core import columns_at_once
from metrics.core.config import CountyConfig
from metrics.core.datasets import ONE_OF_REQUIRED, Column, Dataset
from metrics.load import duplicate_keys, parsing
from metrics.load.problems import show_value
from metrics.platform import pii, privacy

# How a spreadsheet writes a long number it shows in scientific notation (7.53123E+13): its last digits are gone.
_SCIENTIFIC = re.compile(r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$")
SCIENTIFIC_RE2 = r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$"
ARROW_TYPES = {
    "DATE": pa.date32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR[]": pa.list_(pa.string()),
    "VARCHAR": pa.string(),
}
# Money units a header or title may state, in 元. A money column (unit 元 or 万元) written in any of them is
# converted to the column's unit; any other unit written on a money column is refused (metrics.load.validate, reading the header).
# Every error value Excel or LibreOffice Calc writes into a cell (an error cell, or its text in a saved CSV).
FORMULA_ERRORS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                            "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "Err:502", "Err:504", "Err:508",
                            "Err:511"))
MONEY_UNITS = {"元": 1, "千元": 1000, "万元": 10000, "亿元": 100_000_000}
_MONEY_SPELLINGS = {"万": "万元", "千": "千元", "亿": "亿元", "人民币元": "元", "人民币万元": "万元", "rmb": "元"}
OUTLIER_FACTOR = 10
OUTLIER_MIN_VALUES = 5
# Columns that refer to another ledger's key (metrics.load.ingest.REFERENCES); keys and these are NFKC-folded alike.
REFERENCE_COLUMNS = {"session_id", "trainee_id", "talent_id"}
# Amount columns whose sum, in 万元, cannot exceed the project budget times this factor (datasets.md, "Forms"). The
# mistake this catches is a unit 10,000 times off: 元 figures read as 万元. Expenditures are the project's own
# payments: never above the budget. A county's 物流补贴 waybills may also be paid from other funds, and a year of them
# can legitimately pass 500 万元 (the benchmark's million waybills come to 850 万元), so only ten times the budget is
# impossible there; a 元 ledger under a 万元 header is ten thousand times too large and still far beyond it.
BUDGET_AMOUNTS = {("expenditures", "amount"): 1, ("logistics_subsidies", "amount"): 10}
# Words in a note that void a row: a payment voided, returned or reversed, a record withdrawn. Such a row is kept on
# paper for the trail but must not be counted; counting it silently is a wrong figure (datasets.md, "Nothing
# guessed"), so the upload is refused naming the row and the word. Looked for in the contract's note columns and in
# columns kept aside whose header names a note.
VOID_WORDS = ("作废", "退回", "冲销", "冲红", "红冲", "撤销", "撤回")
NOTE_HEADERS = ("说明", "备注", "摘要", "情况")
_VOID = re.compile("|".join(VOID_WORDS))


@dataclass
class Context:
    """What parsing needs besides the cell: the county (townships, budget lines), the ID-hash key, today."""

    config: CountyConfig
    hash_key: bytes
    today: dt.date


def money_unit(text: str | None) -> str | None:
    """元, 千元, 万元 or 亿元 as a header or title writes it (`万`, `人民币元` ...), or None for any other unit."""
    if text is None:
        return None
    text = text.strip().lower()
    text = _MONEY_SPELLINGS.get(text, text)
    return text if text in MONEY_UNITS else None


def is_money(col: Column) -> bool:
    return col.unit in ("元", "万元")


def unit_factor(col: Column, header_unit: str | None) -> tuple[str | None, float]:
    """(the unit the cells are written in, the factor turning them into the column's unit). A money column
    whose header names no money unit is read in its own unit (an unknown one is refused before parsing)."""
    if not is_money(col):
        return col.unit, 1
    written = money_unit(header_unit) or col.unit
    return written, MONEY_UNITS[written] / MONEY_UNITS[col.unit]


def cell_parser(col: Column, header_unit: str | None, ctx: Context):
    """The function turning one raw cell of this column into its stored value (or raising ValueError(code)).
    A spreadsheet's error value written as text (`#DIV/0!`, `#N/A` in a CSV saved by Excel) is refused in every
    column, as an error cell of a workbook is (metrics.load.workbook): it is neither a value nor blank."""
    parse = _cell_parser(col, header_unit, ctx)
    if parse is parse_key_cell:
        return parse  # checks it itself; metrics.load.columnar recognises it by identity
    return functools.partial(_no_error_text, parse)


def _no_error_text(parse, raw):
    if isinstance(raw, str) and raw.strip() in FORMULA_ERRORS:
        raise ValueError("formula_error_text")
    return parse(raw)


def _cell_parser(col: Column, header_unit: str | None, ctx: Context):
    if col.type == "date":
        if col.required:
            return parsing.parse_date
        return lambda v: parsing.parse_date(v, may_be_empty=True)
    if col.type == "month":
        return parsing.parse_month
    if col.type in ("number", "int"):
        written_unit, factor = unit_factor(col, header_unit)
        base = parsing.parse_int if col.type == "int" and factor == 1 else parsing.parse_number

        def parse_amount(value):
            number = base(value, written_unit)
            return None if number is None else number * factor if factor != 1 else number

        return parse_amount
    if col.type == "bool":
        return parsing.parse_bool
    if col.type == "enum":
        return lambda v: parsing.parse_enum(v, col.choices)
    if col.type == "township":
        lookup = ctx.config.township_lookup()
        return lambda v: parsing.parse_lookup(v, lookup, "bad_township")
    if col.type == "budget_line":
        lookup = ctx.config.budget_line_lookup()
        return lambda v: parsing.parse_lookup(v, lookup, "bad_budget_line")
    if col.type == "list":
        return parsing.parse_list
    if col.personal == "phone":
        return lambda v: None if parsing.is_empty(v) else privacy.mask_phone(v)
    if col.is_key or col.key in REFERENCE_COLUMNS:
        return parse_key_cell
    return parsing.parse_text


def parse_key_cell(raw) -> str | None:
    """A key or reference: refused when a spreadsheet has turned it into a number that lost digits, typed as
    `7.53123E+13` or a number cell of 16 digits or more (a number cell keeps 15): storing what is left would
    merge two waybills, or make one session two."""
    if (isinstance(raw, float) and abs(raw) >= 1e15) or (isinstance(raw, str) and _SCIENTIFIC.match(raw.strip())):
        raise ValueError("key_as_number")
    if isinstance(raw, str) and raw.strip() in FORMULA_ERRORS:
        raise ValueError("formula_error_text")
    return parsing.parse_key(raw)


def report_cell(add, code: str, row: int, header: str, shown, col: Column, ctx: Context, bad: set[int]) -> None:
    """A parser's ValueError for one cell, reported: an error (the row is refused), or, for a code w_…, a warning
    (the cell is stored empty and the load goes on: 进行中 in a date column that may be empty). Both paths."""
    if code.startswith("w_"):
        add("warning", code, row, header, shown)
        return
    add("error", code, row, header, shown, **error_params(col, code, ctx, shown))
    bad.add(row)


def error_params(col: Column, code: str, ctx: Context, shown: str | None = None) -> dict:
    if code in ("cell_ambiguous_month", "cell_ambiguous_date"):
        return parsing.ambiguous_readings(code, shown)
    if code == "bad_enum":
        return {"allowed": "、".join(col.choices)}
    if code == "bad_township":
        return {"allowed": "、".join(t.name for t in ctx.config.townships)}
    if code == "bad_budget_line":
        return {"allowed": "、".join(f"{line.id} {line.zh}" for line in ctx.config.budget_lines)}
    return {}


def kept_value(raw) -> str | None:
    """A cell of a column outside the contract as it is kept aside (extra JSON): invisible characters removed,
    personal numbers masked, shortened."""
    return pii.scrub(show_value(parsing.strip_invisible(raw) if isinstance(raw, str) else raw))


def masked_value(col: Column, raw) -> str | None:
    if col.personal == "id_number":
        return privacy.mask_id_number(raw)
    if col.personal == "phone":
        return privacy.mask_phone(raw)
    return show_value(raw)




def id_number_cell(raw, hash_key: bytes) -> tuple[str | None, str | None, str | None]:
    """One ID-number cell: (keyed hash, error code, masked value to report). The raw value goes no further than
    this function; a checksum that does not add up is reported (masked) but the number is kept. A spreadsheet's
    error value (`#N/A`, which also spells an empty cell elsewhere) is refused here as in every column."""
    if isinstance(raw, str) and raw.strip() in FORMULA_ERRORS:
        return None, "formula_error_text", raw.strip()
    if parsing.is_empty(raw):
        return None, None, None
    if (isinstance(raw, (int, float)) and not isinstance(raw, bool)) or (
            isinstance(raw, str) and _SCIENTIFIC.match(raw.strip())):
        # A number cell keeps 15 significant digits: the rest of the ID is gone, and hashing what is left would
        # make one person two (or two people one). Refused, never hashed.
        return None, "id_number_as_number", privacy.mask_id_number(str(raw))
    text = privacy.normalise_id_number(parsing.parse_text(raw) or "")
    if not privacy.id_number_is_well_formed(text):
        return None, "bad_id_number", privacy.mask_id_number(text)
    shown = None if privacy.id_number_checksum_ok(text) else privacy.mask_id_number(text)
    return privacy.hash_id_number(text, hash_key), None, shown


def stored_table(d: pa.Table, ds: Dataset, extra) -> pa.Table:
    """The rows as they will be stored: the contract's columns, the spreadsheet row, the extra columns' JSON."""
    columns = {c.stored_as: d[f"v_{c.key}"].cast(ARROW_TYPES[c.sql_type]) for c in ds.columns}
    columns["_source_row"] = d["_row"].cast(pa.int32())
    columns["_extra"] = extra
    return pa.table(columns)


def complete(d: dict, ds: Dataset, n: int) -> dict:
    """Columns the file lacks (all empty), and the trainee rule of ONE_OF_REQUIRED: `_no_trainee` marks rows with
    neither 学员编号 nor 身份证号; a person known only by an ID number gets a trainee_id made from its hash
    (privacy.trainee_id_from_hash: "H" and the hash's first 16 characters)."""
    for col in ds.columns:
        d.setdefault(f"v_{col.key}", pa.nulls(n, ARROW_TYPES[col.sql_type]))
    one_of = ONE_OF_REQUIRED.get(ds.name)
    if one_of:
        tid, idn = (d[f"v_{k}"] for k in one_of)
        made = pc.binary_join_element_wise("H", pc.utf8_slice_codeunits(idn, 0, 16), "")
        d[f"v_{one_of[0]}"] = pc.if_else(pc.and_(pc.is_null(tid), pc.is_valid(idn)), made, tid)
        d["_no_trainee"] = pc.and_(pc.is_null(tid), pc.is_null(idn))
    return d


class Checks:
    """The row rules of datasets.md over the columns of table d, each a few Arrow kernels; only the rows that
    break a rule come back to Python. Both paths use it: d holds per column of the contract v_<key> (the value)
    and x_<key> (the cell was empty), and from metrics.load.columnar also e_/s_/w_<key> (parse error, shown value,
    ID-checksum warning); rows.py reports parse problems itself and passes its bad rows in."""

    def __init__(self, d: pa.Table, ds: Dataset, header_text: dict[str, str], add, ctx, raw_value,
                 bad: set[int] | None = None):
        self.d, self.ds, self.header_text, self.add, self.ctx = d, ds, header_text, add, ctx
        self.raw_value = raw_value  # (key, row) -> the cell as written, for reports
        self.bad: set[int] = bad if bad is not None else set()
        # Whether any key is written twice does not depend on the other rules: for a large file DuckDB answers it
        # on a shared thread while they run (keys() takes the answer).
        self._key_twice = columns_at_once.in_background(self._any_key_twice, d.num_rows)

    def where(self, mask, *names: str) -> list[tuple]:
        """(row, values of `names`) of the rows where mask holds, in file order."""
        mask = pc.fill_null(mask, False)
        if not pc.any(mask).as_py():
            return []
        index = pc.indices_nonzero(mask)
        return list(zip(*(self.d[n].take(index).to_pylist() for n in ("_row", *names))))

    def present(self):
        """The contract's columns this file has, with their header as written."""
        return [(col, self.header_text[col.key]) for col in self.ds.columns if col.key in self.header_text]

    def error(self, code, row, column, value, **params):
        self.add("error", code, row, column, value, **params)
        self.bad.add(row)

    def run(self, parse_problems: bool = True) -> None:
        if parse_problems:
            self.parse_problems()
        self.required()
        self.one_of()
        self.bounds_dates_outliers()
        self.between_columns()
        self.plausible_amounts()
        self.keys()
        self.list_counts()

    def parse_problems(self) -> None:
        for col, header in self.present():
            e, w = self.d[f"e_{col.key}"], self.d[f"w_{col.key}"]
            if e.null_count == len(e) and not pc.any(w).as_py():
                continue
            for row, code, shown, warn in self.where(pc.or_(pc.is_valid(e), w), f"e_{col.key}", f"s_{col.key}",
                                                     f"w_{col.key}"):
                if code is not None:
                    report_cell(self.add, code, row, header, shown, col, self.ctx, self.bad)
                elif warn:
                    self.add("warning", "w_id_checksum", row, header, shown)

    def required(self) -> None:
        for col, header in self.present():
            if col.required:
                for (row,) in self.where(pc.and_(pc.is_null(self.d[f"v_{col.key}"]), self.d[f"x_{col.key}"])):
                    self.error("required", row, header, None)

    def one_of(self) -> None:
        one_of = ONE_OF_REQUIRED.get(self.ds.name)
        if not one_of:
            return
        tid, idn = one_of
        header = self.header_text.get(tid) or self.header_text.get(idn)
        for (row,) in self.where(self.d["_no_trainee"]):
            if row not in self.bad:
                self.error("missing_trainee", row, header, None)

    def bounds_dates_outliers(self) -> None:
        for col, header in self.present():
            name = f"v_{col.key}"
            v = self.d[name]
            if col.minimum is not None:
                for row, value in self.where(pc.less_equal(v, col.minimum), name):
                    if col.exclusive_minimum and value <= col.minimum:
                        self.error("not_positive", row, header, show_value(self.raw_value(col.key, row)))
                    elif value < col.minimum:
                        self.error("negative", row, header, show_value(self.raw_value(col.key, row)))
            if col.type == "date":
                today = self.ctx.today
                for row, value in self.where(pc.greater(v, pa.scalar(today, pa.date32())), name):
                    self.add("warning", "w_future_date", row, header, value.isoformat(), today=today.isoformat())
            if col.type in ("number", "int"):
                median = column_median(pc.filter(v, pc.fill_null(pc.greater(v, 0), False)).to_numpy())
                if median is None or median <= 0:
                    continue
                for row, value in self.where(pc.greater(v, OUTLIER_FACTOR * median), name):
                    self.add("warning", "w_outlier", row, header, show_value(value), median=f"{median:g}")

    def between_columns(self) -> None:
        h, d = self.header_text, self.d
        if self.ds.name == "online_retail":
            for row, agri, total in self.where(pc.greater(d["v_agri"], pc.add(d["v_total"], 1e-9)),
                                               "v_agri", "v_total"):
                self.error("agri_above_total", row, h["agri"], show_value(agri), agri=f"{agri:g}",
                           total=f"{total:g}")
        if self.ds.name == "milestones":
            for row, end in self.where(pc.less(d["v_planned_end"], d["v_planned_start"]), "v_planned_end"):
                self.error("planned_end_before_start", row, h["planned_end"], end.isoformat())
        if self.ds.name == "satisfaction_surveys":  # datasets.md: 满意数 ≤ 样本数
            for row, satisfied, sample in self.where(pc.greater(d["v_satisfied"], d["v_sample"]),
                                                     "v_satisfied", "v_sample"):
                self.error("satisfied_above_sample", row, h["satisfied"], show_value(satisfied),
                           satisfied=f"{satisfied:g}", sample=f"{sample:g}")

    def plausible_amounts(self) -> None:
        """Amounts that cannot be right whatever the cause (most often 元 read as 万元): a ledger paying out more
        than the whole project budget, or one payment above the whole plan of its budget line."""
        config = self.ctx.config
        for col, header in self.present():
            factor = BUDGET_AMOUNTS.get((self.ds.name, col.key))
            if factor is None:
                continue
            in_wan = 1 if col.unit == "万元" else 1 / 10000
            total = pc.sum(self.d[f"v_{col.key}"]).as_py() or 0
            if total * in_wan > config.budget_wan * factor + 1e-9:
                self.add("error", "amount_over_budget", None, header, f"{total:g}", column=header,
                         total=f"{total * in_wan:g}", budget=f"{config.budget_wan:g}")
            if self.ds.name == "expenditures" and "line" in self.header_text:
                plans = {line.id: line.plan_wan for line in config.budget_lines if line.plan_wan is not None}
                plan = pa.array([plans.get(v) for v in self.d["v_line"].to_pylist()], pa.float64())
                for row, amount, line in self.where(pc.greater(self.d["v_amount"], plan), "v_amount", "v_line"):
                    self.error("amount_over_line", row, header, show_value(self.raw_value("amount", row)),
                               amount=f"{amount:g}", line=line, plan=f"{plans[line]:g}")

    def _key_sql(self) -> tuple[list[str], str, str]:
        keys = [f"v_{c.key}" for c in self.ds.key_columns]
        return keys, ", ".join(f'"{k}"' for k in keys), " AND ".join(f'"{k}" IS NOT NULL' for k in keys)

    def _any_key_twice(self) -> bool:
        keys, cols, not_null = self._key_sql()
        if duplicate_keys.answers(self.d, keys):  # a small file: Arrow, without DuckDB's fixed cost
            return duplicate_keys.any_key_twice(self.d, keys)
        con = _key_check_cursor()  # a big file: DuckDB's parallel hash aggregate beats Arrow's grouping
        try:
            con.register("d", self.d.select(["_row", *keys]))
            return bool(con.execute(f"SELECT 1 FROM d WHERE {not_null} GROUP BY {cols} HAVING count(*) > 1 LIMIT 1"
                                    ).fetchall())
        finally:
            con.close()

    def keys(self) -> None:
        """Two rows with the same key: an error on every later one, naming the first (rows with errors aside)."""
        twice = self._key_twice.result() if self._key_twice is not None else self._any_key_twice()
        if not twice:
            return  # the usual case: no key twice
        keys, cols, not_null = self._key_sql()
        key_header = "、".join(self.header_text.get(k, self.ds.column(k).zh)
                              for k in (c.key for c in self.ds.key_columns) if k in self.header_text)
        con = _key_check_cursor()
        try:
            con.register("d", self.d.select(["_row", *keys]))
            con.register("bad", pa.table({"_row": pa.array(sorted(self.bad), pa.int64())}))
            found = con.execute(
                f"SELECT _row, first_row, {cols} FROM (SELECT _row, {cols}, min(_row) OVER (PARTITION BY {cols}) "
                f"AS first_row FROM d WHERE {not_null} AND _row NOT IN (SELECT _row FROM bad)) "
                f"WHERE _row > first_row ORDER BY _row").fetchall()
        finally:
            con.close()
        for row, first_row, *key in found:
            shown = " / ".join(str(v) for v in key)
            self.add("error", "duplicate_key", row, key_header, shown, other=first_row, key=shown)

    def list_counts(self) -> None:
        """A list cell split on a separator other than 、 , ; (a slash, a space, 及/和, a line break): a warning per row
        saying how many items were read, and which, so the preview shows the count the clerk can compare."""
        for col, header in self.present():
            if col.type != "list":
                continue
            name = f"v_{col.key}"
            for row, items in self.where(pc.greater_equal(pc.list_value_length(self.d[name]), 2), name):
                raw = self.raw_value(col.key, row)
                if isinstance(raw, str) and parsing.unusual_list_separator(raw):
                    self.add("warning", "w_cell_list_split", row, header, show_value(raw), count=len(items),
                             items="、".join(items))
            # An item still holding 及/和 where nothing says whether it joins two names: kept whole, and said so.
            flat = pc.list_flatten(self.d[name])
            if not len(flat):
                continue
            hit = pc.fill_null(pc.match_substring_regex(flat, f"[{parsing.JOINERS}]"), False)
            if not pc.any(hit).as_py():
                continue
            rows = np.zeros(self.d.num_rows, dtype=bool)
            rows[np.asarray(pc.list_parent_indices(self.d[name]).filter(hit))] = True
            for row, _items in self.where(pa.array(rows), name):
                part = parsing.list_kept_whole(self.raw_value(col.key, row))
                if part is not None:
                    self.add("warning", "w_cell_list_kept_whole", row, header, show_value(part), part=show_value(part))


def void_rows(table: pa.Table | None, ds: Dataset, header_text: dict[str, str], extras: dict[int, str],
              add) -> None:
    """An error on every row whose note says it is void (作废, 已退回, 冲销, 撤销 …), naming the column and the word.
    Runs on the table either path made: one RE2 test per note column, Python only for the rows it flags."""
    if table is None or not table.num_rows:
        return
    pattern = _VOID.pattern
    notes = [(c.stored_as, header_text[c.key]) for c in ds.columns if c.sql_type == "VARCHAR" and c.personal is None
             and c.key in header_text and any(w in header_text[c.key] or w in c.zh for w in NOTE_HEADERS)]
    found: list[tuple[int, str, str]] = []
    for stored, header in notes:
        hit = pc.fill_null(pc.match_substring_regex(table[stored], pattern), False)
        if pc.any(hit).as_py():
            index = pc.indices_nonzero(hit)
            for row, text in zip(table["_source_row"].take(index).to_pylist(), table[stored].take(index).to_pylist()):
                found.append((row, header, text))
    if any(w in name for name in extras.values() for w in NOTE_HEADERS):
        hit = pc.fill_null(pc.match_substring_regex(table["_extra"], pattern), False)
        if pc.any(hit).as_py():
            index = pc.indices_nonzero(hit)
            for row, text in zip(table["_source_row"].take(index).to_pylist(), table["_extra"].take(index).to_pylist()):
                for name, value in json.loads(text).items():
                    if any(w in name for w in NOTE_HEADERS) and _VOID.search(str(value)):
                        found.append((row, name, str(value)))
    for row, header, text in sorted(found):
        add("error", "cell_void_row", row, header, show_value(text), column=header, word=_VOID.search(text).group(0))


def column_median(values: np.ndarray):
    """statistics.median's answer and arithmetic (the middle value, or the mean of the two middle values), without
    sorting everything; None below the count at which outliers are looked for."""
    n = len(values)
    if n < OUTLIER_MIN_VALUES:
        return None
    k = n // 2
    if n % 2:
        return np.partition(values, k)[k].item()
    part = np.partition(values, [k - 1, k])
    return (part[k - 1].item() + part[k].item()) / 2


_key_check_db: duckdb.DuckDBPyConnection | None = None
_key_check_lock = threading.Lock()


def _key_check_cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on one in-memory DuckDB kept for the process: opening a database for each ledger's key check cost
    ~15-25 ms, more than the check itself on a usual ledger. Each cursor is its own connection (its registered
    tables are its own), so checks in different sessions' threads do not see each other's."""
    global _key_check_db
    with _key_check_lock:
        if _key_check_db is None:
            _key_check_db = duckdb.connect(":memory:", config={"threads": 2})
        return _key_check_db.cursor()
