"""The problem report as an .xlsx a clerk can fix from: their own sheet with every bad cell filled red and the
reason in a cell comment, plus a sheet listing every problem (行号、列、值、原因)."""

from __future__ import annotations

import io
import unicodedata

from metrics.core import spreadsheet
from metrics.core.i18n import severity, t
from metrics.load.problems import Problem
from metrics.load.reader import MAX_TITLE_ROWS, FileProblem, read_file
from metrics.platform.pii import scrub


def _norm(text) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def problem_workbook(file_name: str, content: bytes, problems: list[Problem], lang: str = "zh") -> bytes:
    buffer = io.BytesIO()
    book = spreadsheet.new_workbook(buffer)
    bad = book.add_format({"bg_color": "#F8CBAD", "border": 1, "border_color": "#C00000"})
    warn = book.add_format({"bg_color": "#FFF2CC"})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7"})

    listing = book.add_worksheet(t("problem_problems", lang))
    columns = [t(f"problem_{c}", lang) for c in ("severity", "sheet", "row", "column", "value", "reason")]
    listing.write_row(0, 0, columns, head)
    for i, p in enumerate(problems, start=1):
        listing.write_row(i, 0, [severity(p.severity, lang), p.sheet or "", p.row if p.row else "",
                                 p.column or "", p.value or "", p.message(lang)])
    listing.set_column(0, 2, 10)
    listing.set_column(3, 4, 18)
    listing.set_column(5, 5, 70)

    try:
        sheets = read_file(file_name, content)
    except FileProblem:
        sheets = []
    for sheet in sheets:
        mine = [p for p in problems if (p.sheet or None) == (sheet.name or None) and p.row]
        if not mine and sheet.name is not None:
            continue
        ws = book.add_worksheet((sheet.name or t("problem_ledger", lang))[:31])
        header_cells = {}
        for r in range(min(len(sheet.rows), MAX_TITLE_ROWS + 1)):
            for c, cell in enumerate(sheet.rows[r]):
                header_cells.setdefault(_norm(cell), c)
        marked: dict[tuple[int, int], list[Problem]] = {}
        for p in mine:
            col = header_cells.get(_norm(p.column)) if p.column else None
            if col is not None:
                marked.setdefault((p.row - 1, col), []).append(p)
        for r, row in enumerate(sheet.rows):
            for c, cell in enumerate(row):
                found = marked.get((r, c))
                fmt = None
                if found:
                    fmt = bad if any(p.is_error for p in found) else warn
                    ws.write_comment(r, c, "\n".join(p.message(lang) for p in found), {"x_scale": 2, "y_scale": 1.5})
                _write(ws, r, c, cell, fmt)
    book.close()
    return buffer.getvalue()


def _write(ws, r: int, c: int, cell, fmt) -> None:
    """The clerk's cell as it was, except that anything looking like an ID or phone number is masked: the report
    is a file that travels, and personal data must not travel with it."""
    if cell is None or cell == "":
        ws.write_blank(r, c, None, fmt)
    elif isinstance(cell, bool):
        ws.write_boolean(r, c, cell, fmt)
    elif isinstance(cell, (int, float)):
        as_text = str(int(cell)) if float(cell).is_integer() else str(cell)
        masked = scrub(as_text)
        if masked != as_text:
            ws.write_string(r, c, masked, fmt)
        else:
            ws.write_number(r, c, cell, fmt)
    else:
        ws.write_string(r, c, scrub(str(cell)), fmt)
