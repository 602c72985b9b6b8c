"""Parse and check every ledger of one uploaded file against the data contract, collecting every problem.

This module is the orchestration: read the file, recognise which ledger each sheet is, find its header and what the
title rows above it say (units, constants), combine the sheets of one ledger, then hand the rows to an engine:
metrics.load.columnar for a CSV that Arrow reads as Python would, else metrics.load.rows, the row-by-row reference
path. Nothing here touches the database: the checks that need stored rows are in metrics.load.ingest.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
from concurrent.futures import Future
from dataclasses import dataclass, field

import pyarrow as pa

from metrics.core import columns_at_once
from metrics.core.config import CountyConfig
from metrics.core.datasets import DATASETS, Dataset
from metrics.core.i18n import t
from metrics.load import columnar, forms, parsing, rows, workbook
from metrics.load.problems import Problem
from metrics.load.reader import (
    MAX_TITLE_ROWS,
    CsvSheet,
    FileProblem,
    HeaderMatch,
    Sheet,
    header_lookup,
    match_header,
    read_file,
    recognise,
    split_header,
)
from metrics.load.rules import (
    MONEY_UNITS,
    Context,
    is_money,
    money_unit,
    void_rows,
)
from metrics.platform import pii

MAX_FILE_BYTES = 200 * 1024 * 1024  # one ledger file; the upload page allows less (.streamlit/config.toml)
ROW_BYTES = 64  # about a ledger row's size in a CSV: how many rows a file holds, to judge whether it is large
# Tests set this to True to take every CSV row by row (the reference path) and compare with metrics.load.columnar.
ROW_BY_ROW_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("row_by_row_only", default=False)


@dataclass
class ParsedFile:
    file_name: str
    sha256: str
    dataset: Dataset | None = None
    sheet_name: str | None = None
    table: pa.Table | None = None  # the rows as they will be stored
    problems: list[Problem] = field(default_factory=list)
    from_sheets: str | None = None  # in a workbook of several sheets: the ones this ledger was read from
    form_totals: list = field(default_factory=list)  # the form's totals rows: (row, {column key: value stated})
    sieved: Future | None = None  # a Future of pii.Sieved for `table`, started while the row rules ran (large CSV files)

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


def _sheet_list(members, lang: str) -> str:
    """The sheets a ledger was found on, quoted: 「一月」、「二月」 / 'Jan', 'Feb'."""
    return t("list_separator", lang).join(t("quoted", lang, text=s.name) for s, _ in members)


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
    """The first ledger of a file (a CSV holds one): see parse_upload for a workbook of several."""
    return parse_upload(file_name, content, dataset, config, hash_key, today)[0]


def parse_upload(file_name: str, content: bytes, dataset: str | None, config: CountyConfig,
                 hash_key: bytes, today: dt.date | None = None) -> list[ParsedFile]:
    """Every ledger in one uploaded file, one ParsedFile each: a workbook's sheets are each recognised, sheets of
    one ledger (2023年, 2024年) combined, and sheets that are no ledger (填表说明, 封面) listed as skipped."""
    # A large file is hashed on a shared thread while it is read (hashlib lets go of the GIL).
    hashing = columns_at_once.in_background(lambda: hashlib.sha256(content).hexdigest(), len(content) // ROW_BYTES)
    ledgers = _parse_upload(file_name, content, dataset, config, hash_key, today)
    sha256 = hashing.result() if hashing is not None else hashlib.sha256(content).hexdigest()
    for ledger in ledgers:
        ledger.sha256 = sha256
    return ledgers


def _parse_upload(file_name: str, content: bytes, dataset: str | None, config: CountyConfig,
                  hash_key: bytes, today: dt.date | None) -> list[ParsedFile]:
    sha256 = ""  # parse_upload sets it on every ledger
    parsed = ParsedFile(file_name, sha256)
    ctx = Context(config, hash_key, today or dt.date.today())

    def file_error(code: str, **params) -> ParsedFile:
        parsed.problems.append(Problem("error", code, file_name, params=params))
        return parsed

    if len(content) > MAX_FILE_BYTES:
        return [file_error("too_large", detail=f"{len(content) // 2**20} MB", limit=f"{MAX_FILE_BYTES // 2**20} MB")]
    try:
        sheets = read_file(file_name, content)
    except FileProblem as exc:
        return [file_error(exc.code, **exc.params)]
    try:
        ledgers = _parse_workbook(file_name, sha256, sheets, dataset, ctx) if len(sheets) > 1 else []
        ledgers = ledgers or [_parse_sheets(parsed, sheets, dataset, ctx, file_error)]
        ledgers[0].problems[:0] = workbook.sheet_notes(file_name, sheets)
        return ledgers
    except FileProblem as exc:  # a CSV the csv module gives up on half-way (reading its rows is lazy)
        parsed.problems = [p for p in parsed.problems if not p.is_error]
        parsed.table = None
        return [file_error(exc.code, **exc.params)]


def _parse_workbook(file_name: str, sha256: str, sheets: list[Sheet], dataset: str | None,
                    ctx: Context) -> list[ParsedFile]:
    """The ledgers of a workbook of several sheets, or [] when no sheet is a whole ledger (then the file is
    reported as one, naming what is missing)."""
    groups: dict[str, list[tuple[Sheet, HeaderMatch]]] = {}
    others: list[Sheet] = []
    for sheet in sheets:
        if not _has_values(sheet):
            continue
        if dataset is not None:
            match = match_header(sheet, DATASETS[dataset])
            name = dataset if match is not None and not match.missing_required() else None
        else:
            name = recognise([sheet]).dataset
            match = match_header(sheet, DATASETS[name]) if name else None
        if name is None:
            others.append(sheet)
        else:
            groups.setdefault(name, []).append((sheet, match))
    if not groups:
        return []
    ledgers: list[ParsedFile] = []
    for name, members in groups.items():
        ds = DATASETS[name]
        sheet_names = "、".join(str(s.name) for s, _ in members)
        parsed = ParsedFile(file_name, sha256, ds, sheet_names, from_sheets=sheet_names)
        tables = []
        for sheet, match in members:
            part = ParsedFile(file_name, sha256, ds, sheet.name)
            _validate_rows(part, sheet, match, ds, ctx)
            parsed.problems.extend(part.problems)
            tables.append((sheet.name, part.table))
        if len(members) > 1:
            parsed.problems.append(Problem("warning", "w_sheets_combined", file_name, params={
                "sheets": _sheet_list(members, "zh"), "sheets_en": _sheet_list(members, "en"),
                "dataset": ds.label("zh"), "dataset_en": ds.label("en")}))
            _keys_across_sheets(parsed, tables, ds)
        if all(t is not None for _, t in tables):
            parsed.table = pa.concat_tables([t for _, t in tables])
        ledgers.append(parsed)
    first = ledgers[0]
    for sheet in others:
        # A sheet that reads much like a ledger of this workbook but lacks a required column is an error: skipping
        # it would leave a year of spending out without anyone noticing.
        near = [(len(m.columns), name, m) for name in groups
                if (m := match_header(sheet, DATASETS[name])) is not None and len(m.columns) >= 2]
        if near:
            _, name, match = max(near, key=lambda x: x[0])
            ds = DATASETS[name]
            missing = "、".join(ds.column(k).zh for key in match.missing_required() for k in key.split("|"))
            target = next(p for p in ledgers if p.dataset is ds)
            target.problems.append(Problem("error", "sheet_missing_columns", file_name, sheet.name,
                                           params={"dataset": ds.label("zh"), "dataset_en": ds.label("en"), "missing": missing}))
            continue
        found = recognise([sheet])
        lacking = [(c, m) for c in found.candidates[:1]
                   if (m := match_header(sheet, DATASETS[c])) is not None and len(m.columns) >= 2]
        if lacking:
            # Several of a ledger's headers but not all its required ones (a 签到 sheet without 场次编号): skipping
            # it would report success with the attendance left out.
            name, match = lacking[0]
            ds = DATASETS[name]
            first.problems.append(Problem("error", "sheet_lacks_columns", file_name, sheet.name, params={
                "dataset": ds.label("zh"), "dataset_en": ds.label("en"), "missing": _missing_names(ds, match)}))
            continue
        closest = "、".join(DATASETS[c].label("zh") for c in found.candidates) or "—"
        first.problems.append(Problem("warning", "w_sheet_skipped", file_name, sheet.name,
                                      params={"closest": closest}))
    return ledgers


def _keys_across_sheets(parsed: ParsedFile, tables: list[tuple[str, pa.Table | None]], ds: Dataset) -> None:
    """A key in two sheets of one ledger (PZ2023-006 in 2023年 and in 2024年): an error on the later one."""
    keys = [c.stored_as for c in ds.key_columns]
    header = "、".join(c.zh for c in ds.key_columns)
    seen: dict[tuple, tuple[str, int]] = {}
    for sheet, table in tables:
        if table is None:
            continue
        here: dict[tuple, int] = {}
        columns = [table.column(k).to_pylist() for k in keys]
        for row, *key in zip(table.column("_source_row").to_pylist(), *columns):
            key = tuple(key)
            if None in key:
                continue
            if key in seen:
                shown = " / ".join(str(v) for v in key)
                parsed.problems.append(Problem("error", "duplicate_key_sheet", parsed.file_name, sheet, row, header,
                                               shown, {"other_sheet": seen[key][0], "other": seen[key][1],
                                                       "key": shown}))
            here.setdefault(key, row)
        for key, row in here.items():
            seen.setdefault(key, (sheet, row))


def _has_values(sheet) -> bool:
    """Whether any cell anywhere holds something (a CSV is asked about its first rows first)."""
    def any_value(lines):
        return any(any(not parsing.is_empty(c) for c in line) for line in lines)

    return any_value(sheet.head(50)) or any_value(sheet.rows)


def _missing_names(ds: Dataset, match: HeaderMatch) -> str:
    return "、".join(ds.column(k).zh for key in match.missing_required() for k in key.split("|"))


def _parse_sheets(parsed: ParsedFile, sheets: list, dataset: str | None, ctx: Context, file_error) -> ParsedFile:
    file_name = parsed.file_name
    if not any(_has_values(s) for s in sheets):
        return file_error("empty_file")
    if dataset is None:
        found = recognise(sheets)
        if found.dataset is None:
            names = {"zh": [], "en": []}
            for c in found.candidates:
                _, match = _find_header(sheets, DATASETS[c])
                lacks = _missing_names(DATASETS[c], match) if match is not None and not found.ambiguous else ""
                for lang, listed in names.items():
                    listed.append(t("candidate_dataset", lang, name=DATASETS[c].label(lang), id=c)
                                  + (t("candidate_lacks", lang, lacks=lacks) if lacks else ""))
            if not names["zh"]:  # no header of any ledger in reach: most often too many title rows above it
                return file_error("no_header_any", rows=MAX_TITLE_ROWS + 1, title_rows=MAX_TITLE_ROWS)
            return file_error("ambiguous_dataset" if found.ambiguous else "unknown_dataset",
                              candidates=t("semicolon_separator", "zh").join(names["zh"]),
                              candidates_en=t("semicolon_separator", "en").join(names["en"]))
        dataset = found.dataset
    ds = DATASETS[dataset]
    parsed.dataset = ds

    sheet, match = _find_header(sheets, ds)
    if sheet is None:
        looks_like = recognise(sheets).dataset
        if looks_like is not None and looks_like != ds.name:
            # The clerk picked (or the CLI named) the wrong ledger: say which columns it lacks and what it is.
            missing = _missing_names(ds, match) if match is not None else "、".join(c.zh for c in ds.required_columns)
            return file_error("wrong_ledger", dataset=ds.label("zh"), dataset_en=ds.label("en"), missing=missing,
                              looks_like=DATASETS[looks_like].label("zh"), looks_like_en=DATASETS[looks_like].label("en"))
        if match is None:
            return file_error("no_header", dataset=ds.label("zh"))
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
    return parsed


def _header(sheet, match: HeaderMatch, ds: Dataset, add) -> dict[str, str]:
    """What the header and the title rows above it say: problems and warnings, the unit declared in the title
    applied to amount columns whose header names none, and title `名称：值` pairs as match.constants.
    Returns the header as written of each contract column the file has (or that its title gives)."""
    # a units row, and the English keys above it, are below the header
    header_row = match.row_index + 1 - (match.units_row is not None) - (match.english_row is not None)
    top = match.top
    header_text = {key: match.texts[i] for i, key in match.columns.items()}
    for i, written, first in match.duplicates:
        add("error", "two_columns_one_field", header_row, written, None, a=match.texts[first],
            col_a=forms.column_letter(first), b=written, col_b=forms.column_letter(i),
            field=ds.column(match.columns[first]).zh)
    if top > 0:
        add("warning", "w_title_rows", top + 1, header_row=top + 1)
    if match.first_row is not None:
        add("warning", "w_two_row_header", header_row, first=top + 1, last=header_row)
    for name in match.extras.values():
        add("warning", "w_extra_column", header_row, name, column=name)

    lookup = header_lookup(ds)
    title = forms.read_title(sheet.head(top), lambda name: lookup.get(split_header(name)[0]), set(match.columns.values()))
    forms.read_footer_unit(title, sheet.tail(forms.FOOTER_ROWS, after=match.row_index))
    if match.english_row is not None:
        forms.report_skipped([(match.english_row + 1, forms.ENGLISH_HEADER, None)], add)
    if match.units_row is not None:
        add("warning", "w_units_row", match.units_row + 1)
    for key, unit in match.units_row_conflicts:
        add("error", "units_row_conflict", header_row, header_text[key], unit, header_unit=match.units[key],
            unit=unit)
    if title.units_conflict:
        add("error", "title_units_conflict", title.unit_row, None, None, a=title.units_conflict[0],
            b=title.units_conflict[1])
    for key, unit in list(match.units.items()):
        col = ds.column(key)
        if not is_money(col):
            continue
        if unit is not None and money_unit(unit) is None:
            # 金额（美元）, 金额（万元/年）: read as the column's unit it would be silently wrong.
            add("error", "unknown_unit", header_row, header_text[key], None, found=unit,
                allowed="、".join(MONEY_UNITS), unit=col.unit)
            continue
        unit = money_unit(unit)
        if title.unit is not None and unit is not None and unit != title.unit:
            # The header states its unit explicitly: a title saying another is a contradiction, not an override.
            add("error", "unit_conflict", header_row, header_text[key], None, header_unit=unit,
                title=title.unit_cell, title_unit=title.unit)
            continue
        if title.unit is not None and unit is None:
            match.units[key] = unit = title.unit
            add("warning", "w_title_unit", header_row, header_text[key], title=title.unit_cell, found=unit,
                unit=col.unit)
            continue
        if unit is not None and unit != col.unit:
            add("warning", "w_unit_converted", header_row, header_text[key], found=unit, unit=col.unit)
    for key, (cell, value, row) in match.constants.items():
        header_text[key] = cell
        add("warning", "w_title_value", row, ds.column(key).zh, value, cell=cell, column=ds.column(key).zh)
    return header_text


def _header_text(sheet, match: HeaderMatch) -> dict[str, str]:
    """Each contract column's header as the file writes it (a two-row header's combined text)."""
    return {key: match.texts[i] for i, key in match.columns.items()}


def _validate_rows(parsed: ParsedFile, sheet: Sheet, match: HeaderMatch, ds: Dataset, ctx: Context) -> None:
    file_name, sheet_name = parsed.file_name, sheet.name
    problems = parsed.problems

    def add(severity, code, row=None, column=None, value=None, /, **params):
        problems.append(Problem(severity, code, file_name, sheet_name, row, column, value, params))

    header_text = _header(sheet, match, ds, add)
    if isinstance(sheet, Sheet):  # a workbook's sheet: merged ranges, error cells, hidden columns (never a CSV)
        workbook.apply(sheet, match, ds, add)
    if not (isinstance(sheet, CsvSheet) and ROW_BY_ROW_ONLY.get() is False
            and columnar.validate(parsed, sheet, match, ds, ctx, add, header_text)):
        rows.validate(parsed, sheet, match, ds, ctx, add, header_text)
    void_rows(parsed.table, ds, header_text, match.extras, add)  # rows marked 作废/冲销 …: both paths, once
    # Every table either path makes, from a CSV, one sheet or each sheet of a workbook: no raw ID or phone number.
    pii.screen(parsed, _header_text(sheet, match), match.extras, add, parsed.sieved)
    parsed.sieved = None  # it holds the table as it was before masking
