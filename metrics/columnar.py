"""A CSV ledger checked over whole columns: the rules of datasets.md, the same answers as validate.py, at Arrow's speed.

validate.py checks rows held as Python lists; for a 1,000,000-row CSV that was most of the load's time and memory.
Here Arrow reads the rows below the header into string columns and:

- every cell is parsed by the very functions of metrics.parsing, but once per *distinct* raw value: the answers
  (value, error, empty, shown value) are spread back onto the rows by dictionary index;
- a column with very many distinct values (waybill numbers, amounts) is parsed by Arrow where the raw value has a
  shape whose Python answer is certain (`B00012345` as text, `12.5` as a number, `2023-05-01` as a date); any
  other value still goes through Python;
- the row rules (required, bounds, future dates, outliers, keys, rules between columns) are a few Arrow kernels
  each, in `Checks`, which validate.py runs too: the rules have one implementation.

Whenever Arrow would not read the file exactly as Python's csv module does (a ragged row, a quote in the title
rows, an unusual dialect), `validate` returns False and validate.py takes the file row by row: that path is the
reference, and tests/test_columnar.py checks the two give the same table and the same problems.
"""

from __future__ import annotations

import functools
import io
import json
import re

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import parsing, privacy
from .datasets import ONE_OF_REQUIRED, Column, Dataset
from .problems import show_value
from .validate import (
    ARROW_TYPES,
    OUTLIER_FACTOR,
    OUTLIER_MIN_VALUES,
    UNIT_FACTORS,
    _cell_parser,
    _error_params,
    _shown,
    id_number_cell,
)

# Above this many distinct values a column is worth its Arrow fast path; below it, Python parsing every distinct
# value costs less than the regular expression over every row.
MANY_DISTINCT = 20_000
# Every character Python's str.strip() removes (tests/test_columnar.py checks it against str.isspace): a value
# that neither starts nor ends with one needs no trimming.
PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                 "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


# ------------------------------------------------------------------------------------------ reading

def read_rows(sheet, header_index: int, width: int) -> pa.Table | None:
    """The rows below the header as string columns c0..c{width-1}, or None when Arrow might read them differently
    from Python's csv module (then the caller takes the row-by-row path)."""
    d = sheet.dialect
    if (d.quotechar != '"' or not d.doublequote or d.escapechar or d.skipinitialspace
            or len(d.delimiter) != 1 or width == 0):
        return None
    # The header and the title rows above it are found by counting lines, which is only right without quotes.
    head = sheet.start(65536)
    lines = re.finditer(r"\r\n|\n|\r", head)
    end = 0
    for _ in range(header_index + 1):
        m = next(lines, None)
        if m is None:
            return None  # nothing below the header, or a header beyond the first 64k characters
        end = m.end()
    if '"' in head[:end]:
        return None
    data, encoding = sheet.arrow_source(end)
    names = [f"c{i}" for i in range(width)]
    try:
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=8 << 20, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=d.delimiter, quote_char='"', double_quote=True,
                                              escape_char=False, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        # A row with more or fewer cells than the header, bytes that are not the encoding the start was in, or
        # something else irregular.
        return None


# ----------------------------------------------------------------------------------- column plans

_WS_CLASS = "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE)  # the same set as an RE2 character class


class _Plan:
    """How one column of the file is read: a Python function for each distinct raw value and, for columns with
    many distinct values, a fast path: an RE2 pattern (Arrow's regex engine) for the raw values whose answer is
    certain, and how Arrow computes that answer."""

    def __init__(self, index: int, kind: str, arrow_type: pa.DataType, cell, col: Column | None = None,
                 header: str | None = None, pattern: str | None = None, fast_value=None):
        self.index = index
        self.kind = kind  # "contract", "extra" or "other"
        self.arrow_type = arrow_type
        self.cell = cell  # raw -> (value, error code, empty, shown, warn)
        self.col = col
        self.header = header
        self.pattern = pattern
        self.fast_value = fast_value  # (raw column, fast mask) -> values; where the mask is false anything goes

    @property
    def name(self) -> str:
        """Its suffix in table d: the contract's key, or the position of a column outside the contract."""
        return self.col.key if self.kind == "contract" else str(self.index)

    @property
    def value(self) -> str:
        return f"v_{self.name}"


def _as_string_then(arrow_type):
    def convert(raw, fast):
        return pc.cast(pc.if_else(fast, raw, "0"), arrow_type)
    return convert


def _fast_date(raw, fast):
    """Dates written 2023-05-01. Arrow's strptime rolls 2023-02-30 over into March, so the answer is only kept
    where it prints back as the raw value; the others go to Python, which refuses them."""
    stamp = pc.strptime(pc.if_else(fast, raw, "2000-01-01"), format="%Y-%m-%d", unit="s", error_is_null=True)
    return pc.cast(stamp, pa.date32())


def _contract_plan(i: int, col: Column, header: str, header_unit: str | None, ctx) -> _Plan:
    arrow_type = ARROW_TYPES[col.sql_type]
    if col.personal == "id_number":
        def cell(raw):
            value, error, shown = id_number_cell(raw, ctx.hash_key)
            return value, error, parsing.is_empty(raw), shown, bool(shown and not error)
        return _Plan(i, "contract", pa.string(), cell, col, header)

    parse = _cell_parser(col, header_unit, ctx)

    def cell(raw):
        try:
            return parse(raw), None, parsing.is_empty(raw), None, False
        except ValueError as exc:
            return None, exc.args[0], parsing.is_empty(raw), _shown(col, raw), False

    plan = _Plan(i, "contract", arrow_type, cell, col, header)
    written_unit = header_unit if header_unit in ("元", "万元") else col.unit
    factor = UNIT_FACTORS.get((written_unit, col.unit), 1)
    if col.type == "text" and col.personal is None:
        # More than six characters, no whitespace at either end and no full-width or non-breaking space inside:
        # parse_text returns it unchanged.
        plan.pattern = f"(?s)^[^{_WS_CLASS}][^\\x{{3000}}\\x{{a0}}]{{5,}}[^{_WS_CLASS}]$"
        plan.fast_value = lambda raw, fast: raw
    elif col.type == "number":
        plan.pattern = r"^[0-9]{1,9}(\.[0-9]{1,6})?$"
        to_double = _as_string_then(pa.float64())
        plan.fast_value = (to_double if factor == 1 else
                           lambda raw, fast: pc.multiply(to_double(raw, fast), factor))  # noqa: E731
    elif col.type == "int" and factor == 1:
        plan.pattern = r"^[0-9]{1,15}$"
        plan.fast_value = _as_string_then(pa.int64())
    elif col.type == "date":
        plan.pattern = r"^[12][0-9]{3}-[01][0-9]-[0-3][0-9]$"
        plan.fast_value = _fast_date
    return plan


def _extra_plan(i: int, name: str) -> _Plan:
    """A column outside the contract: kept aside as `"name": "value"`, exactly as json.dumps writes it."""
    key = json.dumps(name, ensure_ascii=False)

    def cell(raw):
        if parsing.is_empty(raw):
            return None, None, True, None, False
        shown = privacy.scrub(show_value(raw))
        return f"{key}: {json.dumps(shown, ensure_ascii=False, default=str)}", None, False, None, False

    # Up to six digits (a 序号 column): nothing to mask or escape.
    return _Plan(i, "extra", pa.string(), cell, pattern=r"^[0-9]{1,6}$",
                 fast_value=lambda raw, fast: pc.binary_join_element_wise(key + ': "', raw, '"', ""))


def _other_plan(i: int) -> _Plan:
    """A cell under a blank (or repeated) header: only whether it holds anything matters."""
    return _Plan(i, "other", pa.string(), lambda raw: (None, None, parsing.is_empty(raw), None, False),
                 pattern=f"(?s)^[^{_WS_CLASS}].{{6,}}", fast_value=lambda raw, fast: pa.nulls(len(raw), pa.string()))


# ------------------------------------------------------------------------------------------- checks

def validate(parsed, sheet, match, ds: Dataset, ctx, add, header_text: dict[str, str]) -> bool:
    """Check and parse the rows of a CSV sheet into parsed.table, adding every problem; False if the file must
    take the row-by-row path instead."""
    width = len(sheet.head(match.row_index + 1)[match.row_index])
    if len(set(match.extras.values())) != len(match.extras):
        return False  # two extra columns of one name: the row-by-row path keeps the last, as a dict does
    raw = read_rows(sheet, match.row_index, width)
    if raw is None:
        return False
    first_row = match.row_index + 2  # spreadsheet row of the first line below the header
    raw = raw.append_column("_row", pa.array(np.arange(first_row, first_row + raw.num_rows, dtype=np.int64)))

    plans: list[_Plan] = []
    for i in range(width):
        key = match.columns.get(i)
        if key is not None:
            plans.append(_contract_plan(i, ds.column(key), header_text[key], match.units.get(key), ctx))
        elif i in match.extras:
            plans.append(_extra_plan(i, match.extras[i]))
        else:
            plans.append(_other_plan(i))

    d = _parse(raw, plans, ds)
    if not d.num_rows:
        add("error", "no_rows")
        return True
    index_of = {p.col.key: p.index for p in plans if p.kind == "contract"}

    def raw_value(key: str, row: int):
        return raw[f"c{index_of[key]}"][row - first_row].as_py()

    Checks(d, ds, header_text, add, ctx, raw_value).run()
    parsed.table = stored_table(d, ds, _extra_json(d, [p for p in plans if p.kind == "extra"]))
    return True


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


def _parse(raw: pa.Table, plans: list[_Plan], ds: Dataset) -> pa.Table:
    """Table d: one row per data row of the file, with per column its value (v_<key>, or v<i> outside the
    contract) and e/x/s/w<i>: error code, empty, shown value, warning."""
    n = raw.num_rows
    d: dict[str, pa.ChunkedArray | pa.Array] = {"_row": raw["_row"]}
    for p in plans:
        d.update(_parse_column(raw[f"c{p.index}"], p, n))
    empty_row = None
    for p in plans:  # a row is data unless every cell in it is empty ("-", "无数据" ... count as empty)
        x = d[f"x_{p.name}"]
        empty_row = x if empty_row is None else pc.and_(empty_row, x)
    table = pa.table(complete(d, ds, n))
    if empty_row is None or not pc.any(empty_row).as_py():
        return table  # the usual case: no blank row to drop (filtering copies every column)
    return table.filter(pc.invert(empty_row))


def _parse_column(raw: pa.ChunkedArray, p: _Plan, n: int) -> dict:
    """Every distinct raw value answered once in Python and spread to the rows by its dictionary index; values
    of a column with many distinct values that match its fast pattern are answered by Arrow instead."""
    i = p.name
    many = p.pattern is not None and n > MANY_DISTINCT and \
        pc.count_distinct(raw.slice(0, MANY_DISTINCT * 2)).as_py() > MANY_DISTINCT
    if many:
        fast = pc.fill_null(pc.match_substring_regex(raw, p.pattern), False)
        fast_values = p.fast_value(raw, fast)
        if p.fast_value is _fast_date:  # keep only the dates that print back as written
            fast = pc.and_(fast, pc.fill_null(pc.equal(pc.strftime(fast_values, format="%Y-%m-%d"), raw), False))
        rest = pc.unique(pc.filter(raw, pc.invert(fast)))
        index = pc.index_in(raw, value_set=rest)
    else:
        encoded = pc.dictionary_encode(raw).unify_dictionaries()
        rest = encoded.chunks[0].dictionary if encoded.num_chunks else pa.array([], pa.string())
        index = pa.chunked_array([c.indices for c in encoded.chunks], pa.int32())
    answers = [p.cell(r) for r in rest.to_pylist()]
    value, error, empty, shown, warn = (list(a) for a in zip(*answers)) if answers else ([], [], [], [], [])

    def spread(values: list, arrow_type, none=None):
        if all(v is none for v in values):  # no error, no warning: the usual case, without a take
            return pa.nulls(n, arrow_type) if none is None else _all_false(n)
        return pa.array(values, arrow_type).take(index)

    out = {
        p.value: pa.array(value, p.arrow_type).take(index),
        f"e_{i}": spread(error, pa.string()),
        f"x_{i}": spread(empty, pa.bool_(), none=False),
        f"s_{i}": spread(shown, pa.string()),
        f"w_{i}": spread(warn, pa.bool_(), none=False),
    }
    if many:
        out[p.value] = pc.if_else(fast, fast_values, out[p.value])
        out[f"x_{i}"] = pc.if_else(fast, False, out[f"x_{i}"])
        out[f"w_{i}"] = pc.fill_null(out[f"w_{i}"], False)
    return out


@functools.lru_cache(maxsize=2)
def _all_false(n: int) -> pa.Array:
    return pa.array(np.zeros(n, dtype=bool))


def _extra_json(d: pa.Table, extras: list[_Plan]) -> pa.ChunkedArray | pa.Array:
    """`{"序号": "1", "备注": "…"}` per row from the pieces of the extra columns, as json.dumps writes a dict."""
    if not extras:
        return pa.nulls(d.num_rows, pa.string())
    pieces = [d[p.value] for p in extras]
    any_piece = pieces[0].is_valid()
    for piece in pieces[1:]:
        any_piece = pc.or_(any_piece, piece.is_valid())
    # Arrow's join with null_handling="skip" drops the rows where every piece is null (the array comes back
    # shorter: "Array arguments must all be the same length" below); give those rows an empty first piece.
    pieces[0] = pc.if_else(any_piece, pieces[0], "")
    joined = pc.binary_join_element_wise(*pieces, ", ", null_handling="skip")
    return pc.if_else(any_piece, pc.binary_join_element_wise("{", joined, "}", ""), pa.nulls(d.num_rows, pa.string()))


class Checks:
    """The row rules of datasets.md over the columns of table d, each a few Arrow kernels; only the rows that
    break a rule come back to Python. Both paths use it: d holds per column of the contract v_<key> (the value)
    and x_<key> (the cell was empty), and from metrics.columnar also e_/s_/w_<key> (parse error, shown value,
    ID-checksum warning); validate.py reports parse problems itself and passes its bad rows in."""

    def __init__(self, d: pa.Table, ds: Dataset, header_text: dict[str, str], add, ctx, raw_value,
                 bad: set[int] | None = None):
        self.d, self.ds, self.header_text, self.add, self.ctx = d, ds, header_text, add, ctx
        self.raw_value = raw_value  # (key, row) -> the cell as written, for reports
        self.bad: set[int] = bad if bad is not None else set()

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
        self.keys()

    def parse_problems(self) -> None:
        for col, header in self.present():
            e, w = self.d[f"e_{col.key}"], self.d[f"w_{col.key}"]
            if e.null_count == len(e) and not pc.any(w).as_py():
                continue
            for row, code, shown, warn in self.where(pc.or_(pc.is_valid(e), w), f"e_{col.key}", f"s_{col.key}",
                                                     f"w_{col.key}"):
                if code is not None:
                    self.error(code, row, header, shown, **_error_params(col, code, self.ctx))
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
                median = _median(pc.filter(v, pc.fill_null(pc.greater(v, 0), False)).to_numpy())
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

    def keys(self) -> None:
        """Two rows with the same key: an error on every later one, naming the first (rows with errors aside)."""
        keys = [f"v_{c.key}" for c in self.ds.key_columns]
        key_header = "、".join(self.header_text.get(k, self.ds.column(k).zh)
                              for k in (c.key for c in self.ds.key_columns) if k in self.header_text)
        cols = ", ".join(f'"{k}"' for k in keys)
        not_null = " AND ".join(f'"{k}" IS NOT NULL' for k in keys)
        con = duckdb.connect(config={"threads": 2})  # DuckDB's parallel hash aggregate beats Arrow's count_distinct
        try:
            con.register("d", self.d.select(["_row", *keys]))
            if not con.execute(f"SELECT 1 FROM d WHERE {not_null} GROUP BY {cols} HAVING count(*) > 1 LIMIT 1"
                               ).fetchall():
                return  # the usual case: no key twice
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


def _median(values: np.ndarray):
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
