"""A CSV ledger checked over whole columns: the rules of datasets.md, the same answers as rows.py, at Arrow's speed.

rows.py checks rows held as Python lists; for a 1,000,000-row CSV that was most of the load's time and memory.
Here Arrow reads the rows below the header into string columns and:

- every cell is parsed by the very functions of metrics.load.parsing, but once per *distinct* raw value: the answers
  (value, error, empty, shown value) are spread back onto the rows by dictionary index;
- a column with very many distinct values (waybill numbers, amounts) is parsed by Arrow where the raw value has a
  shape whose Python answer is certain (`B00012345` as text, `12.5` as a number, `2023-05-01` as a date); any
  other value still goes through Python;
- the row rules (required, bounds, future dates, outliers, keys, rules between columns) are a few Arrow kernels
  each, in `metrics.load.rules.Checks`, which rows.py runs too: the rules have one implementation;
- rows that are not data (totals rows, footers, captions) are found by metrics.load.forms from one mark per distinct
  value, as rows.py finds them; the fast text pattern leaves every cell that could carry a mark to Python.

Whenever Arrow would not read the file exactly as Python's csv module does (a ragged row, a quote in the title
rows, an unusual dialect), `validate` returns False and rows.py takes the file row by row: that path is the
reference, and tests/test_columnar.py checks the two give the same table and the same problems.
"""

from __future__ import annotations

import functools
import json
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from metrics.core import columns_at_once
from metrics.core.datasets import Column, Dataset
from metrics.load import forms, parsing
from metrics.load.problems import show_value
from metrics.load.rules import (
    ARROW_TYPES,
    SCIENTIFIC_RE2,
    Checks,
    cell_parser,
    complete,
    id_number_cell,
    kept_value,
    masked_value,
    parse_key_cell,
    stored_table,
    unit_factor,
)
from metrics.platform import pii

# Above this many distinct values a column is worth its Arrow fast path; below it, Python parsing every distinct
# value costs less than the regular expression over every row.
MANY_DISTINCT = 20_000
BLOCK_BYTES = 8 << 20  # Arrow reads the file in blocks of this size, on several threads
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
    # A line break can be inside a value only if the value is quoted; without a quote anywhere, Arrow may split
    # the blocks at any line end, which reads a million rows ~30 % faster. (A quote byte in a GB18030 file is a
    # quote too: no multi-byte character has 0x22 in it.)
    quoted = data.obj.find(b'"', len(data.obj) - len(data)) >= 0  # data: a view of the end of data.obj
    try:
        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),  # Arrow reads the upload in place (io.BytesIO copied it)
            read_options=pacsv.ReadOptions(column_names=names, block_size=BLOCK_BYTES, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=d.delimiter, quote_char='"', double_quote=True,
                                              escape_char=False, newlines_in_values=quoted, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        # A row with more or fewer cells than the header, bytes that are not the encoding the start was in, or
        # something else irregular.
        return None


# ----------------------------------------------------------------------------------- column plans

_WS_CLASS = "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE)  # the same set as an RE2 character class


def _class(ranges: list[tuple[int, int]], without: str) -> str:
    """An RE2 character class of these code point ranges less the characters `without`."""
    out = []
    for lo, hi in ranges:
        for cut in sorted(ord(ch) for ch in without if lo <= ord(ch) <= hi):
            if lo < cut:
                out.append((lo, cut - 1))
            lo = cut + 1
        if lo <= hi:
            out.append((lo, hi))
    return "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" if a != b else f"\\x{{{a:x}}}" for a, b in out) + "]"


# Text the fast path may keep as written: printable ASCII and CJK ideographs, which NFKC (keys) leaves alone, with
# nothing that could mark a totals row, footer or caption (metrics.load.forms): no mark character first, no 年 at all.
_ASCII, _CJK = (0x21, 0x7E), (0x4E00, 0x9FFF)
# `#` first: a spreadsheet error value as text (#DIV/0!), refused by rules.cell_parser, is left to Python too.
_TEXT_FIRST = _class([_ASCII, _CJK], forms.MARK_FIRST_CHARS + forms.MARK_INNER_CHARS + "#")
_TEXT_INNER = _class([(0x20, 0x7E), _CJK], forms.MARK_INNER_CHARS)
_TEXT_LAST = _class([_ASCII, _CJK], forms.MARK_INNER_CHARS)


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
        self.exclude: str | None = None  # raw values matching the pattern that must still go through Python
        self.virtual = False  # a column the title rows give (场次编号：PX2023-001), not one of the file's cells

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

    parse = cell_parser(col, header_unit, ctx)

    def cell(raw):
        try:
            return parse(raw), None, parsing.is_empty(raw), None, False
        except ValueError as exc:
            return None, exc.args[0], parsing.is_empty(raw), masked_value(col, raw), False

    plan = _Plan(i, "contract", arrow_type, cell, col, header)
    _, factor = unit_factor(col, header_unit)
    if col.type == "text" and col.personal is None:
        # More than six characters of printable ASCII and CJK ideographs, no space at either end: parse_text (and
        # for a key, NFKC) returns it unchanged, and forms.cell_mark marks nothing.
        plan.pattern = f"^{_TEXT_FIRST}{_TEXT_INNER}{{5,}}{_TEXT_LAST}$"
        plan.fast_value = lambda raw, fast: raw
        if cell_parser(col, None, ctx) is parse_key_cell:
            plan.exclude = SCIENTIFIC_RE2  # 7.53123E+13 has that shape but is refused (rules.parse_key_cell)
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
        shown = kept_value(raw)
        return f"{key}: {json.dumps(shown, ensure_ascii=False, default=str)}", None, False, None, False

    # Up to six digits (a 序号 column): nothing to mask or escape.
    return _Plan(i, "extra", pa.string(), cell, pattern=r"^[0-9]{1,6}$",
                 fast_value=lambda raw, fast: pc.binary_join_element_wise(key + ': "', raw, '"', ""))


def _other_plan(i: int) -> _Plan:
    """A cell under a blank (or repeated) header: only whether it holds anything matters."""
    return _Plan(i, "other", pa.string(), lambda raw: (None, None, parsing.is_empty(raw), None, False),
                 pattern=f"^{_TEXT_FIRST}{_TEXT_INNER}{{6,}}$", fast_value=lambda raw, fast: pa.nulls(len(raw), pa.string()))


# ------------------------------------------------------------------------------------------- checks

def validate(parsed, sheet, match, ds: Dataset, ctx, add, header_text: dict[str, str]) -> bool:
    """Check and parse the rows of a CSV sheet into parsed.table, adding every problem; False if the file must
    take the row-by-row path instead."""
    width = match.width
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
    for k, (key, (_, value, _row)) in enumerate(match.constants.items()):
        raw = raw.append_column(f"c{width + k}", pa.array([value] * raw.num_rows, pa.string()))
        plans.append(_contract_plan(width + k, ds.column(key), header_text[key], match.units.get(key), ctx))
        plans[-1].virtual = True

    d, skipped = _parse(raw, plans, ds, *forms.label_columns(match, ds), texts=forms.header_spellings(match),
                        english=forms.english_headers(match, ds))

    def cell(i: int, row: int):
        return raw[f"c{i}"][row - first_row].as_py()

    forms.report_skipped([(row, kind, show_value(next(cell(p.index, row) for p in plans if not p.virtual
                                                      and not parsing.is_empty(cell(p.index, row)))))
                          for row, kind in skipped], add)
    if not d.num_rows:
        add("error", "no_rows")
        return True
    for p in plans:
        if p.kind == "other" and p.index not in match.texts:  # a repeated header is reported as such
            filled = pc.indices_nonzero(pc.invert(d[f"x_{p.name}"]))
            if len(filled):
                row = d["_row"][filled[0].as_py()].as_py()
                left = next((match.texts[j] for j in range(p.index - 1, -1, -1) if j in match.texts), "—")
                add("error", "data_without_header", row, forms.column_letter(p.index),
                    show_value(cell(p.index, row)), col=forms.column_letter(p.index), left=left)
    index_of = {p.col.key: p.index for p in plans if p.kind == "contract"}

    def raw_value(key: str, row: int):
        return cell(index_of[key], row)

    # The stored table is made before the rules run (they only read d) so that the personal-data screen's sieves
    # can run on a shared thread meanwhile; pii.screen applies their answer afterwards, in the usual order.
    parsed.table = stored_table(d, ds, _extra_json(d, [p for p in plans if p.kind == "extra"]))
    table = parsed.table
    parsed.sieved = columns_at_once.in_background(lambda: pii.Sieved(table, ds, set(match.columns.values())),
                                                  table.num_rows)
    Checks(d, ds, header_text, add, ctx, raw_value).run()
    totals = [(row, forms.stated_totals(ds, match, [cell(i, row) for i in range(width)], ctx))
              for row, kind in skipped if kind == forms.TOTAL]
    forms.check_totals(totals, d, ds, header_text, add)
    parsed.form_totals = totals
    return True


def _parse(raw: pa.Table, plans: list[_Plan], ds: Dataset, labels: list[int] = (), keys: list[int] = (),
           numbers: list[int] = (), texts: dict[int, tuple[str, ...]] | None = None,
           english: dict[int, tuple[str, ...]] | None = None) -> tuple[pa.Table, list[tuple[int, int]]]:
    """Table d: one row per data row of the file, with per column its value (v_<key>, or v<i> outside the
    contract) and e/x/s/w<i>: error code, empty, shown value, warning; and the rows that are not data but a
    totals row, footer or caption (metrics.load.forms), as (spreadsheet row, kind)."""
    n = raw.num_rows
    d: dict[str, pa.ChunkedArray | pa.Array] = {"_row": raw["_row"]}
    texts, english = texts or {}, english or {}
    repeats = {}  # per column, the cells that repeat its header: see _said

    def column(p: _Plan) -> tuple[dict, np.ndarray | None]:
        return _parse_column(raw[f"c{p.index}"], p, n, () if p.virtual else texts.get(p.index, ()),
                             () if p.virtual else english.get(p.index, ()))

    for p, (parts, said) in zip(plans, columns_at_once.map_columns(column, plans, n)):
        d.update(parts)
        if said is not None:
            repeats[p.index] = said
    cells = [p for p in plans if not p.virtual]
    empty_row = None
    for p in cells:  # a row is data unless every cell in it is empty ("-", "无数据" ... count as empty)
        x = d[f"x_{p.name}"]
        empty_row = x if empty_row is None else pc.and_(empty_row, x)
    drop, skipped = empty_row, []
    if numbers or repeats or any(f"m_{p.name}" in d for p in cells):  # 合计, 填表人 ...; only 序号; a header
        zeros = np.zeros(n, dtype=np.int8)
        kinds = forms.row_kinds(
            [np.asarray(d[f"m_{p.name}"]) if f"m_{p.name}" in d else zeros for p in cells],
            [~np.asarray(d[f"x_{p.name}"], dtype=bool) for p in cells], labels, keys, numbers,
            [repeats[p.index] if p.index in repeats else np.zeros(n, np.int8) for p in cells] if repeats else ())
        form_row = kinds != forms.DATA
        rows = np.asarray(d["_row"])
        skipped = [(int(rows[i]), int(kinds[i])) for i in np.flatnonzero(form_row)]
        drop = pc.or_(empty_row, pa.array(form_row))
    table = pa.table(complete(d, ds, n))
    if drop is None or not pc.any(drop).as_py():
        return table, skipped  # the usual case: no blank row to drop (filtering copies every column)
    return table.filter(pc.invert(drop)), skipped


def _parse_column(raw: pa.ChunkedArray, p: _Plan, n: int, header: tuple[str, ...] = (),
                  english: tuple[str, ...] = ()) -> tuple[dict, np.ndarray | None]:
    """Every distinct raw value answered once in Python and spread to the rows by its dictionary index; values
    of a column with many distinct values that match its fast pattern are answered by Arrow instead. With the
    column's header spellings and English keys, also which cells repeat them (_said)."""
    i = p.name
    many = p.pattern is not None and n > MANY_DISTINCT and \
        pc.count_distinct(raw.slice(0, MANY_DISTINCT * 2)).as_py() > MANY_DISTINCT
    if many:
        fast = pc.fill_null(pc.match_substring_regex(raw, p.pattern), False)
        if p.exclude is not None:
            fast = pc.and_(fast, pc.invert(pc.fill_null(pc.match_substring_regex(raw, p.exclude), False)))
        fast_values = p.fast_value(raw, fast)
        if p.fast_value is _fast_date:  # keep only the dates that print back as written
            fast = pc.and_(fast, pc.fill_null(pc.equal(pc.strftime(fast_values, format="%Y-%m-%d"), raw), False))
        rest = pc.unique(pc.filter(raw, pc.invert(fast)))
        index = pc.index_in(raw, value_set=rest)
    else:
        encoded = pc.dictionary_encode(raw).unify_dictionaries()
        rest = encoded.chunks[0].dictionary if encoded.num_chunks else pa.array([], pa.string())
        index = pa.chunked_array([c.indices for c in encoded.chunks], pa.int32())
    if isinstance(index, pa.ChunkedArray):
        # One index array: Array.take with a chunked index costs ~8x the take per chunk (60 vs 7 ms a million).
        index = index.combine_chunks()
    rest = rest.to_pylist()
    answers = [p.cell(r) for r in rest]
    value, error, empty, shown, warn = (list(a) for a in zip(*answers)) if answers else ([], [], [], [], [])

    def spread(values: list, arrow_type, none=None):
        if all(v is none for v in values):  # no error, no warning: the usual case, without a take
            return _all_null(n, arrow_type) if none is None else _all_false(n)
        return pa.array(values, arrow_type).take(index)

    out = {
        p.value: pa.array(value, p.arrow_type).take(index),
        f"e_{i}": spread(error, pa.string()),
        f"x_{i}": spread(empty, pa.bool_(), none=False),
        f"s_{i}": spread(shown, pa.string()),
        f"w_{i}": spread(warn, pa.bool_(), none=False),
    }
    marks = [forms.cell_mark(r) for r in rest]
    if any(marks):
        out[f"m_{i}"] = pc.fill_null(pa.array(marks, pa.int8()).take(index), 0)
    if many:
        out[p.value] = pc.if_else(fast, fast_values, out[p.value])
        out[f"x_{i}"] = pc.if_else(fast, False, out[f"x_{i}"])
        out[f"w_{i}"] = pc.fill_null(out[f"w_{i}"], False)
    if not (header or english):
        return out, None
    return out, _said(raw, header, english) if many else _said_of_distinct(rest, index, header, english)


def _said(raw, header: tuple[str, ...], english: tuple[str, ...]) -> np.ndarray | None:
    """Per cell forms.SAID_HEADER where it repeats its column's header (a header row again, mid-table),
    SAID_ENGLISH where it writes the column's English key (the template's second header row), else SAID_NOTHING,
    but for the spaces around it (forms.HEADER_PADDING); None when no cell says either. Arrow over every cell."""
    said = np.zeros(len(raw), np.int8)
    col = pc.utf8_trim(raw, characters=forms.HEADER_PADDING)
    for words, code in ((english, forms.SAID_ENGLISH), (header, forms.SAID_HEADER)):  # the header as written wins
        if words:
            said[np.asarray(pc.fill_null(pc.is_in(col, value_set=pa.array(words, pa.string())), False))] = code
    return said if said.any() else None


def _said_of_distinct(distinct: list, index: pa.Array, header: tuple[str, ...],
                      english: tuple[str, ...]) -> np.ndarray | None:
    """_said's answer from each distinct value once, spread to the rows by the dictionary index (str.strip
    removes exactly what utf8_trim does)."""
    codes = [forms.SAID_HEADER if v.strip(forms.HEADER_PADDING) in header else
             forms.SAID_ENGLISH if v.strip(forms.HEADER_PADDING) in english else forms.SAID_NOTHING
             for v in distinct]
    if not any(codes):
        return None
    return np.asarray(pa.array(codes, pa.int8()).take(index))


@functools.lru_cache(maxsize=2)
def _all_false(n: int) -> pa.Array:
    return pa.array(np.zeros(n, dtype=bool))


@functools.lru_cache(maxsize=4)
def _all_null(n: int, arrow_type: pa.DataType) -> pa.Array:
    """One shared column of nulls (Arrow arrays never change): a file's error and shown-value columns are all null
    but for a few files, and each was 4-8 MB a million rows."""
    return pa.nulls(n, arrow_type)


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


