"""Parse and check every row of one ledger against the data contract, collecting every problem.

Cells are parsed per column with a cache of distinct raw values (a 100,000-row ledger has a few hundred distinct
dates), so the cost grows with the number of distinct values, not with rows x rules. Nothing here touches the
database: the checks that need stored rows are in metrics.ingest.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import itertools
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from . import parsing, pii, privacy
from .config import CountyConfig
from .datasets import DATASETS, Column, Dataset
from .problems import Problem, show_value
from .reader import CsvSheet, FileProblem, HeaderMatch, Sheet, match_header, read_file, recognise

ARROW_TYPES = {
    "DATE": pa.date32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR[]": pa.list_(pa.string()),
    "VARCHAR": pa.string(),
}
UNIT_FACTORS = {("元", "万元"): 1 / 10000, ("万元", "元"): 10000}
MAX_FILE_BYTES = 200 * 1024 * 1024  # one ledger file; the upload page allows less (.streamlit/config.toml)
OUTLIER_FACTOR = 10
OUTLIER_MIN_VALUES = 5
# Tests set this to True to take every CSV row by row (the reference path) and compare with metrics.columnar.
ROW_BY_ROW_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("row_by_row_only", default=False)


@dataclass
class ParsedFile:
    file_name: str
    sha256: str
    dataset: Dataset | None = None
    sheet_name: str | None = None
    table: pa.Table | None = None  # the rows as they will be stored
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    def column_values(self, stored_name: str) -> list:
        return self.table.column(stored_name).to_pylist() if self.table is not None else []

    def source_rows(self) -> list[int]:
        return self.column_values("_source_row")


@dataclass
class _Context:
    config: CountyConfig
    hash_key: bytes
    today: dt.date


def _cell_parser(col: Column, header_unit: str | None, ctx: _Context):
    """The function turning one raw cell of this column into its stored value (or raising ValueError(code))."""
    if col.type == "date":
        return parsing.parse_date
    if col.type == "month":
        return parsing.parse_month
    if col.type in ("number", "int"):
        written_unit = header_unit if header_unit in ("元", "万元") else col.unit
        factor = UNIT_FACTORS.get((written_unit, col.unit), 1)
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
    return parsing.parse_text


def _error_params(col: Column, code: str, ctx: _Context) -> dict:
    if code == "bad_enum":
        return {"allowed": "、".join(col.choices)}
    if code == "bad_township":
        return {"allowed": "、".join(t.name for t in ctx.config.townships)}
    if code == "bad_budget_line":
        return {"allowed": "、".join(f"{line.id} {line.zh}" for line in ctx.config.budget_lines)}
    return {}


def _shown(col: Column, raw) -> str | None:
    if col.personal == "id_number":
        return privacy.mask_id_number(raw)
    if col.personal == "phone":
        return privacy.mask_phone(raw)
    return show_value(raw)


def _find_header(sheets: list[Sheet], ds: Dataset) -> tuple[Sheet, HeaderMatch] | tuple[None, HeaderMatch | None]:
    best: tuple[Sheet, HeaderMatch] | None = None
    for sheet in sheets:
        match = match_header(sheet, ds)
        if match is None:
            continue
        if not match.missing_required():
            return sheet, match
        if best is None or len(match.columns) > len(best[1].columns):
            best = (sheet, match)
    return (None, best[1]) if best else (None, None)


def parse_file(file_name: str, content: bytes, dataset: str | None, config: CountyConfig,
               hash_key: bytes, today: dt.date | None = None) -> ParsedFile:
    parsed = ParsedFile(file_name, hashlib.sha256(content).hexdigest())
    ctx = _Context(config, hash_key, today or dt.date.today())

    def file_error(code: str, **params) -> ParsedFile:
        parsed.problems.append(Problem("error", code, file_name, params=params))
        return parsed

    if len(content) > MAX_FILE_BYTES:
        return file_error("too_large", detail=f"{len(content) // 2**20} MB", limit=f"{MAX_FILE_BYTES // 2**20} MB")
    try:
        sheets = read_file(file_name, content)
    except FileProblem as exc:
        return file_error(exc.code, **exc.params)
    try:
        return _parse_sheets(parsed, sheets, dataset, ctx, file_error)
    except FileProblem as exc:  # a CSV the csv module gives up on half-way (reading its rows is lazy)
        parsed.problems = [p for p in parsed.problems if not p.is_error]
        parsed.table = None
        return file_error(exc.code, **exc.params)


def _has_values(sheet) -> bool:
    """Whether any cell anywhere holds something (a CSV is asked about its first rows first)."""
    def any_value(rows):
        return any(any(not parsing.is_empty(c) for c in row) for row in rows)

    return any_value(sheet.head(50)) or any_value(sheet.rows)


def _parse_sheets(parsed: ParsedFile, sheets: list, dataset: str | None, ctx: _Context, file_error) -> ParsedFile:
    file_name = parsed.file_name
    if not any(_has_values(s) for s in sheets):
        return file_error("empty_file")
    if dataset is None:
        found = recognise(sheets)
        if found.dataset is None:
            names = "、".join(f"{DATASETS[c].zh}（{c}）" for c in found.candidates) or "—"
            return file_error("ambiguous_dataset" if found.ambiguous else "unknown_dataset", candidates=names)
        dataset = found.dataset
    ds = DATASETS[dataset]
    parsed.dataset = ds

    sheet, match = _find_header(sheets, ds)
    if sheet is None:
        if match is None:
            return file_error("no_header", dataset=ds.zh)
        for key in match.missing_required():
            if "|" in key:
                a, b = (ds.column(k).zh for k in key.split("|"))
                parsed.problems.append(Problem("error", "missing_one_of", file_name, params={"a": a, "b": b}))
            else:
                parsed.problems.append(Problem("error", "missing_column", file_name, column=ds.column(key).zh,
                                               params={"column": ds.column(key).zh}))
        return parsed
    parsed.sheet_name = sheet.name
    _validate_rows(parsed, sheet, match, ds, ctx)
    pii.screen(parsed, _header_text(sheet, match), match.extras, _adder(parsed))  # both paths' table: no raw IDs
    return parsed


def _header_text(sheet, match: HeaderMatch) -> dict[str, str]:
    header_cells = sheet.head(match.row_index + 1)[match.row_index]
    return {key: str(header_cells[i]).strip() for i, key in match.columns.items()}


def _adder(parsed: ParsedFile):
    def add(severity, code, row=None, column=None, value=None, /, **params):
        parsed.problems.append(Problem(severity, code, parsed.file_name, parsed.sheet_name, row, column, value, params))
    return add


def _validate_rows(parsed: ParsedFile, sheet: Sheet, match: HeaderMatch, ds: Dataset, ctx: _Context) -> None:
    file_name, sheet_name = parsed.file_name, sheet.name
    problems = parsed.problems

    def add(severity, code, row=None, column=None, value=None, /, **params):
        problems.append(Problem(severity, code, file_name, sheet_name, row, column, value, params))

    header_cells = sheet.head(match.row_index + 1)[match.row_index]
    header_text = {key: str(header_cells[i]).strip() for i, key in match.columns.items()}
    for dup in match.duplicates:
        add("error", "duplicate_column", match.row_index + 1, dup, column=dup)
    if match.row_index > 0:
        add("warning", "w_title_rows", match.row_index + 1, header_row=match.row_index + 1)
    for name in match.extras.values():
        add("warning", "w_extra_column", match.row_index + 1, name, column=name)
    for key, unit in match.units.items():
        col = ds.column(key)
        if col.unit in ("万元", "元") and unit in ("万元", "元") and unit != col.unit:
            add("warning", "w_unit_converted", match.row_index + 1, header_text[key], found=unit, unit=col.unit)

    if isinstance(sheet, CsvSheet) and ROW_BY_ROW_ONLY.get() is False:
        if columnar.validate(parsed, sheet, match, ds, ctx, add, header_text):
            return

    # All columns at once, transposed in C (short rows padded with None); a row is data unless every cell in it is
    # empty, decided per distinct value of each column.
    body = sheet.rows[match.row_index + 1:]
    columns = [np.array(c, dtype=object) for c in itertools.zip_longest(*body)]
    has_data = _rows_with_data(columns, len(body))
    at = np.flatnonzero(has_data)
    if not len(at):
        add("error", "no_rows")
        return
    row_numbers = (at + match.row_index + 2).tolist()  # body[0] is spreadsheet row match.row_index + 2
    transposed = [cells[at] for cells in columns]
    data = [(row_numbers[k], body[i]) for k, i in enumerate(at)] if match.extras else []
    n_rows = len(row_numbers)
    index_of = {key: i for i, key in match.columns.items()}

    def raw_column(key: str) -> list:
        i = index_of.get(key)
        if i is None or i >= len(transposed):
            return [None] * n_rows
        return transposed[i].tolist()

    values: dict[str, list] = {}
    bad_rows: set[int] = set()
    for col in ds.columns:
        raws = raw_column(col.key)
        if col.key not in index_of:
            values[col.key] = [None] * n_rows
            continue
        header_unit = match.units.get(col.key)
        if col.personal == "id_number":
            values[col.key] = _parse_id_numbers(raws, row_numbers, header_text[col.key], add, ctx, bad_rows)
            continue
        parse = _cell_parser(col, header_unit, ctx)
        values[col.key] = _parse_column(parse, raws, row_numbers, col, header_text[col.key], add, bad_rows, ctx,
                                        sheet.text_only)

    # The row rules are the ones metrics.columnar runs for CSV: one implementation, over Arrow columns.
    d = {"_row": pa.array(row_numbers, pa.int64())}
    for col in ds.columns:
        if col.key not in index_of:
            continue  # columnar.complete adds it, all empty
        d[f"v_{col.key}"] = pa.array(values[col.key], type=ARROW_TYPES[col.sql_type])
        if col.required:
            d[f"x_{col.key}"] = pa.array([v is None and parsing.is_empty(r)
                                          for v, r in zip(values[col.key], raw_column(col.key))], pa.bool_())
    table = pa.table(columnar.complete(d, ds, n_rows))
    position = {row: i for i, row in enumerate(row_numbers)}

    def raw_value(key: str, row: int):
        cells = transposed[index_of[key]]
        return cells[position[row]]

    columnar.Checks(table, ds, header_text, add, ctx, raw_value, bad_rows).run(parse_problems=False)
    parsed.table = columnar.stored_table(table, ds, _extras_json(data, match, n_rows))


def _rows_with_data(columns: list[np.ndarray], n: int) -> np.ndarray:
    """Per row, whether any cell holds something: empty markers ("-", "无数据", ...) do not count.

    Each distinct value of a column is asked once (1, 1.0 and True are one value to pandas, and equally filled),
    columns with the fewest distinct values first, stopping once every row is known to hold something: a column
    of one carrier name settles a table without asking about 200,000 waybill numbers.
    """
    has_data = np.zeros(n, dtype=bool)
    for codes, uniques in sorted((pd.factorize(cells, use_na_sentinel=True) for cells in columns),
                                 key=lambda f: len(f[1])):
        empty = np.array([parsing.is_empty(u) for u in uniques] + [True], dtype=bool)  # code -1 (None, NaN)
        has_data |= ~empty[codes]
        if has_data.all():
            break
    return has_data


def _distinct_values_suffice(raws: list, col: Column) -> bool:
    """Whether parsing each distinct value once is exact for this column. Python's 1 == 1.0 == True makes pandas
    treat them as one value: fine for 1 and 1.0 (every parser answers them alike, except masking a phone or ID
    number), not for True, which parse_number refuses."""
    numeric = set(map(type, raws)) & {bool, int, float}
    return len(numeric) <= 1 or (numeric == {int, float} and col.personal is None)


def _parse_column(parse, raws: list, row_numbers: list[int], col: Column, header: str, add, bad_rows: set[int],
                  ctx: _Context, text_only: bool = False) -> list:
    """Each distinct raw value parsed once; every row with a value that failed gets its own problem.

    Cells are factorised with pandas, so the per-row work is array indexing, not Python; Excel columns mixing
    True with numbers take the per-cell path with a type-aware cache.
    """
    if text_only or _distinct_values_suffice(raws, col):
        codes, uniques = pd.factorize(pd.Series(raws, dtype=object), use_na_sentinel=True)
        results, failed = [], []
        for u, raw in enumerate(uniques):
            try:
                results.append(parse(raw))
            except ValueError as exc:
                results.append(None)
                failed.append((u, exc.args[0], raw))
        parsed = np.empty(len(results) + 1, dtype=object)
        parsed[:-1] = results
        parsed[-1] = parse(None)  # code -1: an empty cell
        for u, code, _ in failed:
            for index in np.flatnonzero(codes == u):  # shown as that row wrote it (1.0, not the 1 parsed for it)
                add("error", code, row_numbers[index], header, _shown(col, raws[index]),
                    **_error_params(col, code, ctx))
                bad_rows.add(row_numbers[index])
        return parsed[codes].tolist()
    cache: dict = {}
    out = []
    for raw, n in zip(raws, row_numbers):
        try:
            cache_key = (type(raw), raw)
            hash(cache_key)
        except TypeError:
            cache_key = None
        if cache_key is not None and cache_key in cache:
            result = cache[cache_key]
        else:
            try:
                result = parse(raw)
            except ValueError as exc:
                result = exc
            if cache_key is not None:
                cache[cache_key] = result
        if isinstance(result, ValueError):
            code = result.args[0]
            add("error", code, n, header, _shown(col, raw), **_error_params(col, code, ctx))
            bad_rows.add(n)
            out.append(None)
        else:
            out.append(result)
    return out


def id_number_cell(raw, hash_key: bytes) -> tuple[str | None, str | None, str | None]:
    """One ID-number cell: (keyed hash, error code, masked value to report). The raw value goes no further than
    this function; a checksum that does not add up is reported (masked) but the number is kept."""
    if parsing.is_empty(raw):
        return None, None, None
    text = privacy.normalise_id_number(parsing.parse_text(raw) or "")
    if not privacy.id_number_is_well_formed(text):
        return None, "bad_id_number", privacy.mask_id_number(text)
    shown = None if privacy.id_number_checksum_ok(text) else privacy.mask_id_number(text)
    return privacy.hash_id_number(text, hash_key), None, shown


def _parse_id_numbers(raws, row_numbers, header, add, ctx: _Context, bad_rows: set[int]) -> list:
    out = []
    for raw, n in zip(raws, row_numbers):
        value, error, shown = id_number_cell(raw, ctx.hash_key)
        if error:
            add("error", error, n, header, shown)
            bad_rows.add(n)
        elif shown:
            add("warning", "w_id_checksum", n, header, shown)
        out.append(value)
    return out


def _extras_json(data: list[tuple[int, list]], match: HeaderMatch, n_rows: int) -> pa.Array:
    """Per row, the cells of columns outside the contract as JSON (masked), or None."""
    extras = [None] * n_rows
    for r, (_, row) in enumerate(data) if match.extras else ():  # only when there are any
        kept = {name: privacy.scrub(show_value(row[i])) for i, name in match.extras.items()
                if i < len(row) and not parsing.is_empty(row[i])}
        extras[r] = json.dumps(kept, ensure_ascii=False, default=str) if kept else None
    return pa.array(extras, type=pa.string())


from . import columnar  # noqa: E402 -- it builds on the parsers above, so it is imported once they exist
