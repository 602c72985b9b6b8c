"""The row-by-row engine: one ledger's rows held as Python lists, parsed and checked against the data contract.

This is the reference path, taken by every workbook sheet and by a CSV that Arrow might read differently from
Python's csv module; metrics.load.columnar is its column-wise mirror for CSV, and tests/test_columnar.py checks that
the two give the same table and the same problems. The row rules themselves (required, bounds, keys, rules between
columns) have one implementation, metrics.load.rules.Checks, which both paths run.

Cells are parsed per column with a cache of distinct raw values (a 100,000-row ledger has a few hundred distinct
dates), so the cost grows with the number of distinct values, not with rows x rules. metrics.load.validate finds the
ledger, its header and the sheets, and calls `validate` here.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pyarrow as pa

from metrics.core.datasets import Column, Dataset
from metrics.load import forms, parsing
from metrics.load.problems import show_value
from metrics.load.reader import HeaderMatch, Sheet
from metrics.load.rules import (
    ARROW_TYPES,
    Checks,
    Context,
    cell_parser,
    complete,
    id_number_cell,
    kept_value,
    masked_value,
    report_cell,
    stored_table,
)


def validate(parsed, sheet: Sheet, match: HeaderMatch, ds: Dataset, ctx: Context, add,
             header_text: dict[str, str]) -> None:
    """Check and parse the rows of any sheet (a workbook's or a CSV's) into parsed.table (a
    metrics.load.validate.ParsedFile), adding every problem through `add`."""
    # All columns at once, transposed in C (short rows padded with None); a row is data unless every cell in it is
    # empty, decided per distinct value of each column.
    body = sheet.rows[match.row_index + 1:]
    columns = [np.array(c, dtype=object) for c in itertools.zip_longest(*body)]
    has_data = _rows_with_data(columns, len(body))
    kinds = _form_rows(columns, *forms.label_columns(match, ds), texts=forms.header_spellings(match),
                       english=forms.english_headers(match, ds))
    first_row = match.row_index + 2  # body[0] is spreadsheet row match.row_index + 2
    skipped = [] if kinds is None else [
        (int(i) + first_row, int(kinds[i]), show_value(next(c for c in body[i] if not parsing.is_empty(c))))
        for i in np.flatnonzero(kinds != forms.DATA)]
    forms.report_skipped(skipped, add)
    if kinds is not None:
        has_data &= kinds == forms.DATA
    at = np.flatnonzero(has_data)
    if not len(at):
        add("error", "no_rows")
        return
    row_numbers = (at + first_row).tolist()
    for row in sorted(set(row_numbers) & sheet.hidden_rows):
        # A payment hidden rather than deleted (voided?) would be counted without anyone seeing it.
        add("warning", "w_hidden_row", row)
    transposed = [cells[at] for cells in columns]
    # Every filled cell of a data row is under a header: a cell right of the table (a note, a second table side
    # by side) is refused like one under a blank header cell, never passed over.
    no_header = [i for i in range(len(transposed)) if i not in match.texts]
    _data_without_header(match, [(i, next((row_numbers[k] for k, c in enumerate(transposed[i])
                                           if not parsing.is_empty(c)), None)) for i in no_header],
                         lambda i, row: transposed[i][row_numbers.index(row)], add)
    data = [(row_numbers[k], body[i]) for k, i in enumerate(at)] if match.extras else []
    n_rows = len(row_numbers)
    index_of = {key: i for i, key in match.columns.items()}

    def raw_column(key: str) -> list:
        if key in match.constants:
            return [match.constants[key][1]] * n_rows
        i = index_of.get(key)
        if i is None or i >= len(transposed):
            return [None] * n_rows
        return transposed[i].tolist()

    values: dict[str, list] = {}
    bad_rows: set[int] = set()
    present = [col for col in ds.columns if col.key in index_of or col.key in match.constants]
    for col in present:
        raws = raw_column(col.key)
        header_unit = match.units.get(col.key)
        if col.personal == "id_number":
            values[col.key] = _parse_id_numbers(raws, row_numbers, header_text[col.key], add, ctx, bad_rows)
            continue
        parse = cell_parser(col, header_unit, ctx)
        values[col.key] = _parse_column(parse, raws, row_numbers, col, header_text[col.key], add, bad_rows, ctx,
                                        sheet.text_only)

    # The row rules are the ones metrics.load.columnar runs for CSV: one implementation (metrics.load.rules), over Arrow columns.
    d = {"_row": pa.array(row_numbers, pa.int64())}
    for col in present:
        d[f"v_{col.key}"] = pa.array(values[col.key], type=ARROW_TYPES[col.sql_type])
        if col.required:
            d[f"x_{col.key}"] = pa.array([v is None and parsing.is_empty(r)
                                          for v, r in zip(values[col.key], raw_column(col.key))], pa.bool_())
    table = pa.table(complete(d, ds, n_rows))
    position = {row: i for i, row in enumerate(row_numbers)}

    def raw_value(key: str, row: int):
        if key in match.constants:
            return match.constants[key][1]
        cells = transposed[index_of[key]]
        return cells[position[row]]

    Checks(table, ds, header_text, add, ctx, raw_value, bad_rows).run(parse_problems=False)
    totals = [(row, forms.stated_totals(ds, match, body[row - first_row], ctx)) for row, kind, _ in skipped
              if kind == forms.TOTAL]
    forms.check_totals(totals, table, ds, header_text, add)
    parsed.form_totals = totals
    parsed.table = stored_table(table, ds, _extras_json(data, match, n_rows))


def _form_rows(columns: list[np.ndarray], labels: list[int], keys: list[int],
               numbers: list[int], texts: dict[int, tuple[str, ...]], english: dict[int, tuple[str, ...]]
               ) -> np.ndarray | None:
    """Per body row its kind (forms.DATA, TOTAL, FOOTER, CAPTION, HEADER), or None when no cell marks any row (the
    usual case, decided from each column's distinct values)."""
    marks, filled, repeats = [], [], []
    for i, cells in enumerate(columns):
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
        mark = np.array([forms.cell_mark(u) for u in uniques] + [forms.DATA], dtype=np.int8)
        full = np.array([not parsing.is_empty(u) for u in uniques] + [False], dtype=bool)
        marks.append(mark[codes])
        filled.append(full[codes])
        same = forms.header_repeats(np.append(np.asarray(uniques, dtype=object), None), texts.get(i),
                                    english.get(i, ()))
        repeats.append(same[codes] if same is not None else np.zeros(len(cells), dtype=np.int8))
    if not numbers and not any(m.any() for m in marks) and not any(r.any() for r in repeats):
        return None
    return forms.row_kinds(marks, filled, labels, keys, numbers, repeats)


def _data_without_header(match: HeaderMatch, first_filled: list[tuple[int, int | None]], cell_at, add) -> None:
    """Data in a column whose header cell is blank: an error naming the column and the header beside it (a merged
    header over two columns, or a column whose header was deleted), so the clerk says which one is meant."""
    for i, row in first_filled:
        if row is None:
            continue
        left = next((match.texts[j] for j in range(i - 1, -1, -1) if j in match.texts), "—")
        add("error", "data_without_header", row, forms.column_letter(i), show_value(cell_at(i, row)),
            col=forms.column_letter(i), left=left)


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
                  ctx: Context, text_only: bool = False) -> list:
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
                report_cell(add, code, row_numbers[index], header, masked_value(col, raws[index]), col, ctx, bad_rows)
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
            report_cell(add, result.args[0], n, header, masked_value(col, raw), col, ctx, bad_rows)
            out.append(None)
        else:
            out.append(result)
    return out


def _parse_id_numbers(raws, row_numbers, header, add, ctx: Context, bad_rows: set[int]) -> list:
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
        kept = {name: kept_value(row[i]) for i, name in match.extras.items()
                if i < len(row) and not parsing.is_empty(row[i])}
        extras[r] = json.dumps(kept, ensure_ascii=False, default=str) if kept else None
    return pa.array(extras, type=pa.string())

