"""Writes a generated form (tests/forms/generator.py) as a workbook (openpyxl or xlsxwriter) or a CSV, and applies a
chosen list of transformations to a ledger's clean form."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field

from .generator import LEDGERS, NUMERALS, Build, Cell, clean_build, number_text, written
from .transforms import NUMERIC, TRANSFORMS, value

ENCODINGS = {"csv_utf8": "utf-8", "csv_gbk": "gbk", "csv_utf8bom": "utf-8-sig", "csv_utf16": "utf-16"}


@dataclass
class Sheet:
    name: str
    grid: list[list] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, col, last row, col (0-based)
    hidden: bool = False


def build(dataset: str, fmt: str, names: list[str], seed: int) -> Build:
    """The form of `dataset` with these transformations applied (in phase order), and what the loader must do."""
    b = clean_build(LEDGERS[dataset], fmt, seed)
    chosen = sorted((TRANSFORMS[n] for n in names), key=lambda t: (t.phase, t.name))
    for t in chosen:
        if t.phase >= 1 and not getattr(b, "_scaled", False):
            _scale(b)
        t.apply(b)
    if not getattr(b, "_scaled", False):
        _scale(b)
    effects = {t.effect for t in chosen}
    b.expect = "refuse" if "refuse" in effects else "either" if "either" in effects else "load"
    return b


def _scale(b: Build) -> None:
    """Amounts written in the form's unit (×10000 under 单位：元) once the unit transformations have spoken."""
    b._scaled = True
    for row in b.data:
        for c in b.ledger.kinds(*NUMERIC):
            if isinstance(row.get(c.key), (int, float)):
                v = written(b, c.key, row[c.key])
                row[c.key] = int(v) if c.kind == "int" else v


def _columns(b: Build) -> list[str]:
    order = list(b.order)
    if b.two_row:  # the group header spans 全县 | 农产品: they stand side by side
        order.remove("agri")
        order.insert(order.index("total") + 1, "agri")
    return (["_seq"] if b.seq else []) + order + [f"_x{i}" for i in range(len(b.extra))]


def _header_rows(b: Build, cols: list[str], top: int) -> tuple[list[list], list[tuple]]:
    names = {"_seq": "序号"} | b.headers | {f"_x{i}": h for i, (h, _) in enumerate(b.extra)}
    if b.english_row:  # the template's two header rows: 中文 over English keys
        english = {"_seq": "No."} | {c.key: c.key for c in b.ledger.cols} | {f"_x{i}": None for i in range(len(b.extra))}
        return [[names[k] for k in cols], [english[k] for k in cols]], []
    if not b.two_row:
        return [[names[k] for k in cols]], []
    first, second, merges = [], [], []
    for i, k in enumerate(cols):
        if k == "total":
            first += ["网络零售额（万元）"]
            second += ["全县"]
            merges.append((top, i, top, i + 1))
        elif k == "agri":
            first += [None]
            second += ["农产品"]
        else:
            first += [names[k]]
            second += [None]
            merges.append((top, i, top + 1, i))
    return [first, second], merges


def _group_of(b: Build, row: dict):
    truth = b.ledger.rows[row["_i"]]
    if b.ledger.group:
        return truth[b.ledger.group]
    return truth[b.ledger.year_col].year if b.ledger.year_col else None


def _sums(b: Build, rows: list[dict], cols: list[str]) -> dict:
    out = {}
    for c in b.ledger.kinds(*NUMERIC):
        if c.key in cols:
            total = round(sum(written(b, c.key, b.ledger.rows[r["_i"]][c.key] or 0) for r in rows), 6)
            out[c.key] = int(total) if c.kind == "int" else total
    return out


def _sheet(b: Build, name: str, data: list[dict]) -> Sheet:
    cols = _columns(b)
    width = len(cols)
    sheet = Sheet(name)
    grid = sheet.grid
    for t in b.title:
        if isinstance(t, tuple) and t[0] == "right":
            grid.append([None] * (width - 1) + [t[1]])
        elif isinstance(t, tuple):
            if b.workbook:
                sheet.merges.append((len(grid), 0, len(grid), width - 1))
            grid.append([t[1]] + [None] * (width - 1))
        else:
            grid.append(list(t) + [None] * (width - len(t)))
    header, merges = _header_rows(b, cols, len(grid))
    header_at = len(grid)
    grid.extend(header)
    sheet.merges += merges
    if b.units_row:
        grid.append([b.units_row.get(k) for k in cols])
    groups: list[list[dict]] = []
    for row in data:
        if groups and _group_of(b, groups[-1][0]) == _group_of(b, row):
            groups[-1].append(row)
        else:
            groups.append([row])
    count = 0
    extra_of = {id(r): i for i, r in enumerate(b.data)}
    for gi, run in enumerate(groups):
        if gi and b.blank_rows:
            grid.append([None] * width)
        if gi and b.repeat_header and gi == len(groups) // 2:
            for r in range(len(header)):
                sheet.merges += [(len(grid) + m[0] - header_at, m[1], len(grid) + m[2] - header_at, m[3])
                                 for m in merges if m[0] == header_at + r]
            grid.extend([list(h) for h in header])
        label = _group_of(b, run[0])
        if b.captions:
            grid.append([f"{NUMERALS[gi]}、{label}年" if isinstance(label, int) else f"{NUMERALS[gi]}、{label}"]
                        + [None] * (width - 1))
        start = len(grid)
        for j, row in enumerate(run):
            count += 1
            line = []
            for k in cols:
                if k == "_seq":
                    line.append(j + 1 if b.seq == "restart" else count)
                elif k.startswith("_x"):
                    line.append(b.extra[int(k[2:])][1][extra_of[id(row)]])
                else:
                    line.append(row.get(k))
            grid.append(line)
        # A clerk merges a group's cells only where they hold the same value: a cell another transform changed (a
        # formula error put there) keeps the run unmerged, or the merge would erase what the form is expected to show.
        if b.vmerge and len(run) > 1 and len({str(value(r.get(b.ledger.group))) for r in run}) == 1:
            c = cols.index(b.ledger.group)
            sheet.merges.append((start, c, start + len(run) - 1, c))
            for r in range(start + 1, start + len(run)):
                grid[r][c] = None
        if b.xiaoji:
            line = [None] * width
            for k, v in _sums(b, run, cols).items():
                line[cols.index(k)] = v
            line[0] = "小计"
            grid.append(line)
        if b.subtotals:
            line = [None] * width
            line[cols.index(b.ledger.group)] = f"{value(run[0][b.ledger.group])} 汇总"
            for k, v in _sums(b, run, cols).items():
                line[cols.index(k)] = v
            grid.append(line)
    if b.subtotals or b.totals:
        line = [None] * width
        label = cols.index(b.ledger.group) if b.subtotals else 0
        for k, v in _sums(b, data, cols).items():
            line[cols.index(k)] = v
        line[label] = "总计" if b.subtotals else "合计"  # in the first column, over its figure if it has one
        grid.append(line)
    for f in b.footer:
        grid.append(list(f) + [None] * (width - len(f)))
    return sheet


def render(b: Build) -> list[Sheet]:
    if b.by_year:
        years: dict[int, list[dict]] = {}
        for row in b.data:
            years.setdefault(b.ledger.rows[row["_i"]][b.ledger.year_col].year, []).append(row)
        sheets = [_sheet(b, f"{y}年", rows) for y, rows in sorted(years.items())]
    else:
        sheets = [_sheet(b, b.ledger.title, b.data)]
    if b.notes_first:
        sheets.insert(0, Sheet("填表说明", [["填表说明"], ["1. 金额以表头所示单位填写。"], ["2. 日期写作 2023-05-12。"]]))
    if b.hidden_old:  # the version before the corrections, kept hidden: read, its rows would count twice
        old = _sheet(b, "旧版（作废）", b.data)
        old.hidden = True
        sheets.append(old)
    return sheets


# ------------------------------------------------------------------------------------------------- writers

def text_of(cell) -> str:
    v = value(cell)
    if v is None:
        return ""
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return number_text(v)
    return str(v)


def write_csv(sheet: Sheet, encoding: str) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    for line in sheet.grid:
        w.writerow([text_of(c) for c in line])
    return out.getvalue().encode(encoding)


def write_openpyxl(sheets: list[Sheet]) -> bytes:
    import openpyxl
    from openpyxl.comments import Comment

    book = openpyxl.Workbook()
    book.remove(book.active)
    for s in sheets:
        ws = book.create_sheet(s.name)
        for r, line in enumerate(s.grid):
            for c, cell in enumerate(line):
                if cell is None:
                    continue
                target = ws.cell(r + 1, c + 1)
                target.value = value(cell)
                if isinstance(cell, Cell):
                    assert cell.formula is None, "openpyxl cannot write a formula's cached value"
                    if cell.number_format:
                        target.number_format = cell.number_format
                    if cell.quote:
                        target.quotePrefix = True
                    if cell.comment:
                        target.comment = Comment(cell.comment, "张三")
        for r1, c1, r2, c2 in s.merges:
            ws.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
        if s.hidden:
            ws.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_xlsxwriter(sheets: list[Sheet]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    dates = book.add_format({"num_format": "yyyy/m/d"})
    quoted = book.add_format({"quote_prefix": True})
    for s in sheets:
        ws = book.add_worksheet(s.name)
        tops = {(m[0], m[1]) for m in s.merges}
        for r, line in enumerate(s.grid):
            for c, cell in enumerate(line):
                if cell is None or (r, c) in tops:
                    continue
                v = value(cell)
                if isinstance(cell, Cell) and cell.formula:
                    ws.write_formula(r, c, cell.formula, None, v)
                elif isinstance(v, dt.datetime):
                    ws.write_datetime(r, c, v, book.add_format({"num_format": cell.number_format}))
                elif isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), dates)
                elif isinstance(v, str):
                    ws.write_string(r, c, v, quoted if isinstance(cell, Cell) and cell.quote else None)
                elif v is not None:
                    ws.write_number(r, c, v)
                if isinstance(cell, Cell) and cell.comment:
                    ws.write_comment(r, c, cell.comment)
        for r1, c1, r2, c2 in s.merges:
            v = value(s.grid[r1][c1])
            if isinstance(v, dt.date):
                ws.merge_range(r1, c1, r2, c2, None)
                ws.write_datetime(r1, c1, dt.datetime(v.year, v.month, v.day), dates)
            else:
                ws.merge_range(r1, c1, r2, c2, "" if v is None else v)
        if s.hidden:
            ws.hide()
    book.close()
    return buffer.getvalue()


def form_file(b: Build) -> tuple[str, bytes]:
    """The file a clerk would upload: its name and bytes."""
    sheets = render(b)
    if b.fmt in ENCODINGS:
        assert len(sheets) == 1
        return f"{b.ledger.dataset}.csv", write_csv(sheets[0], ENCODINGS[b.fmt])
    writer = write_openpyxl if b.fmt == "xlsx_openpyxl" else write_xlsxwriter
    return f"{b.ledger.dataset}.xlsx", writer(sheets)


def applicable(dataset: str, fmt: str) -> list[str]:
    return [n for n, t in TRANSFORMS.items() if t.when(LEDGERS[dataset], fmt)]


def pick(rng: random.Random, names: list[str], k: int) -> list[str]:
    """Up to k transformations of `names`, never two of one slot."""
    chosen, used = [], set()
    for n in rng.sample(names, len(names)):
        slots = set(TRANSFORMS[n].slots)
        if len(chosen) < k and not slots & used:
            chosen.append(n)
            used |= slots
    return chosen
