"""What a workbook holds besides its cell values: hidden sheets, rows and columns, merged ranges, formula errors.

python-calamine gives the values, each sheet's visibility and (.xlsx, .xls) the merged ranges, but an error cell
(#DIV/0!, #REF!) comes back as "" like an empty one, and it says nothing of hidden rows. So the rest is read from
the file itself, once, before any row is checked:
- .xlsx: each sheet's XML (`<row hidden="1">`, `<col hidden="1">`, error cells `<c t="e">`);
- .ods: content.xml, streamed with expat (row and column visibility, cells spanning rows, error cells);
- .xls: xlrd with formatting info (row and column visibility, error cells).
Only workbooks come here: the CSV path never does (a CSV has none of these).

`apply` then uses them on the table found in a sheet: a merged range running down the data fills every row it
covers (one township written once for six rows), an error cell is refused naming the cell, a hidden column that
holds data is named.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat

from metrics.core.datasets import Dataset

ODS_MAX_BYTES = 128 * 1024 * 1024  # content.xml streamed through Python callbacks: bounded in time
_MAX_SPAN = 1 << 20  # rows or columns a repeated/hidden range may name: a sheet's whole height, never more


@dataclass
class Parts:
    """One sheet's structure. Rows and columns are 0-based positions, as in Sheet.rows."""

    hidden_rows: list[tuple[int, int]] = field(default_factory=list)  # (first, last) ranges
    hidden_columns: list[tuple[int, int]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # (first row, first col, last row, last col)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> "#DIV/0!"
    comments: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> a cell's comment (批注)


_NO_PARTS = Parts()


@dataclass
class Structure:
    parts: dict[str, Parts] = field(default_factory=dict)  # sheet name -> its parts
    seen: bool = True  # False: the format's hidden rows and errors could not be read (.xlsb, a broken part)

    def of(self, name: str) -> Parts:
        return self.parts.get(name, _NO_PARTS)


def read_structure(content: bytes) -> Structure:
    """The structure of every sheet of a workbook (by its name); `seen` False when it could not be read (then
    the values still load, with a warning that hidden rows and errors could not be checked)."""
    try:
        return _read_structure(content)
    except Exception:  # a part this reader does not expect: calamine still decides whether the file reads at all
        return Structure(seen=False)


def _read_structure(content: bytes) -> Structure:
    if content[:4] == b"\xd0\xcf\x11\xe0":
        return _xls(content)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "content.xml" in names:
                if archive.getinfo("content.xml").file_size > ODS_MAX_BYTES:
                    return Structure(seen=False)
                return _ods(archive) if _ods_has_parts(archive) else Structure()
            if "xl/workbook.xml" in names:
                return _xlsx(archive, names)
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError, expat.ExpatError):
        pass
    return Structure(seen=False)


# ------------------------------------------------------------------------------------------------------- .xlsx

_XML_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_XML_REL = re.compile(rb'<(?:\w+:)?Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"|'
                      rb'<(?:\w+:)?Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')
_XML_ROW = re.compile(rb'<(?:\w+:)?row\b([^>]*)>')
_XML_COL = re.compile(rb'<(?:\w+:)?col\b([^>]*)/?>')
_XML_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*\bt="e"[^>/]*)>(.*?)</(?:\w+:)?c>', re.S)
_XML_VALUE = re.compile(rb'<(?:\w+:)?v>([^<]*)</')
_HIDDEN = re.compile(rb'\bhidden="(1|true)"')
_REF = re.compile(r"([A-Z]{1,3})(\d{1,7})$")


def _attr(attrs: bytes, name: bytes) -> bytes | None:
    m = re.search(rb'\b' + name + rb'="([^"]*)"', attrs)
    return m.group(1) if m else None


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _xlsx(archive: zipfile.ZipFile, names: set[str]) -> Structure:
    import html

    rels = {}
    for m in _XML_REL.finditer(archive.read("xl/_rels/workbook.xml.rels")):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        target = target.decode().lstrip("/")
        rels[rid] = target if target.startswith("xl/") else "xl/" + target
    out = Structure()
    for m in _XML_SHEET.finditer(archive.read("xl/workbook.xml")):
        path = rels.get(m.group(2))
        if path not in names:
            continue
        xml = archive.read(path)
        parts = Parts()
        if _HIDDEN.search(xml):
            for row in _XML_ROW.finditer(xml):
                number = _attr(row.group(1), b"r")
                if number and _HIDDEN.search(row.group(1)):
                    parts.hidden_rows.append((int(number) - 1, int(number) - 1))
            for col in _XML_COL.finditer(xml):
                low, high = _attr(col.group(1), b"min"), _attr(col.group(1), b"max")
                if low and high and _HIDDEN.search(col.group(1)):
                    parts.hidden_columns.append((int(low) - 1, min(int(high), 16384) - 1))
        if b't="e"' in xml:
            for cell in _XML_ERROR_CELL.finditer(xml):
                ref = _REF.match((_attr(cell.group(1), b"r") or b"").decode())
                value = _XML_VALUE.search(cell.group(2))
                if ref:
                    shown = html.unescape(value.group(1).decode()) if value else "#VALUE!"
                    parts.errors[(int(ref.group(2)) - 1, _column_index(ref.group(1)))] = shown
        parts.comments = _xlsx_comments(archive, names, path)
        out.parts[html.unescape(m.group(1).decode())] = parts
    return out


_XML_COMMENT = re.compile(rb'<(?:\w+:)?comment\b[^>]*?\bref="([A-Z]{1,3}\d{1,7})"[^>]*>(.*?)</(?:\w+:)?comment>', re.S)
_XML_TEXT = re.compile(rb'<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>')


def _xlsx_comments(archive: zipfile.ZipFile, names: set[str], sheet_path: str) -> dict[tuple[int, int], str]:
    """The comments (批注) of one sheet: its rels name the comments part."""
    import html
    import posixpath

    folder, base = posixpath.split(sheet_path)
    rels_path = f"{folder}/_rels/{base}.rels"
    if rels_path not in names:
        return {}
    out = {}
    for m in re.finditer(rb'<(?:\w+:)?Relationship\b[^>]*>', archive.read(rels_path)):
        if b"/comments" not in m.group(0):
            continue
        target = _attr(m.group(0), b"Target")
        if not target:
            continue
        target = target.decode()
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        if path not in names:
            continue
        for c in _XML_COMMENT.finditer(archive.read(path)):
            ref = _REF.match(c.group(1).decode())
            text = html.unescape(b"".join(_XML_TEXT.findall(c.group(2))).decode("utf-8", "replace")).strip()
            if ref and text:
                out[(int(ref.group(2)) - 1, _column_index(ref.group(1)))] = text
    return out


# -------------------------------------------------------------------------------------------------------- .ods

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


# What makes an .ods sheet worth walking cell by cell: a cell spanning rows, a hidden row or column, an error.
_ODS_SPAN = re.compile(rb'number-rows-spanned="(?!1")\d')
_ODS_MARKS = (b'table:visibility="collapse"', b'table:visibility="filter"', b'value-type="error"',
              b"<office:annotation")
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _ods_has_parts(archive: zipfile.ZipFile) -> bool:
    """A quick pass in C over content.xml: most workbooks have none of these, and need no walk in Python."""
    tail = b""
    with archive.open("content.xml") as stream:
        while chunk := stream.read(1 << 20):
            piece = tail + chunk
            if any(mark in piece for mark in _ODS_MARKS) or _ODS_SPAN.search(piece):
                return True
            tail = chunk[-64:]
    return False


def _ods(archive: zipfile.ZipFile) -> Structure:
    """content.xml streamed: positions follow table:number-rows-repeated and number-columns-repeated."""
    out = Structure()
    state = {"parts": None, "row": 0, "col": 0, "row_repeat": 1, "cell_repeat": 1, "error": None, "depth": 0,
             "colpos": 0, "note": None, "in_p": False}

    def number(attrs, name, default=1):
        try:
            return max(1, min(int(attrs.get(f"{_TABLE} {name}", default)), _MAX_SPAN))
        except ValueError:
            return default

    def start(name, attrs):
        parts = state["parts"]
        if name == f"{_TABLE} table":
            state.update(parts=Parts(), row=0, colpos=0, depth=state["depth"] + 1)
            out.parts[attrs.get(f"{_TABLE} name", "")] = state["parts"]
            return
        if parts is None or state["depth"] != 1:
            return
        if state["note"] is not None:  # inside a cell's annotation (批注): only its paragraphs are its text
            if name == f"{_TEXT} p":
                state.update(in_p=True, note=state["note"] + " ")
            return
        if name == f"{_OFFICE} annotation":
            state.update(note="", in_p=False)
            parser.CharacterDataHandler = note_text
        elif name == f"{_TABLE} table-column":
            repeat = number(attrs, "number-columns-repeated")
            if attrs.get(f"{_TABLE} visibility", "visible") != "visible":
                parts.hidden_columns.append((state["colpos"], state["colpos"] + repeat - 1))
            state["colpos"] += repeat
        elif name == f"{_TABLE} table-row":
            state.update(col=0, row_repeat=number(attrs, "number-rows-repeated"))
            if attrs.get(f"{_TABLE} visibility", "visible") != "visible":
                parts.hidden_rows.append((state["row"], state["row"] + state["row_repeat"] - 1))
        elif name in (f"{_TABLE} table-cell", f"{_TABLE} covered-table-cell"):
            state["cell_repeat"] = number(attrs, "number-columns-repeated")
            rows, cols = number(attrs, "number-rows-spanned"), number(attrs, "number-columns-spanned")
            if rows > 1 or cols > 1:
                parts.merges.append((state["row"], state["col"], state["row"] + rows - 1, state["col"] + cols - 1))
            if attrs.get(f"{_CALCEXT} value-type") == "error":
                state["error"] = ""
                parser.CharacterDataHandler = text  # text matters only inside an error cell
        elif name == f"{_TEXT} p" and state["error"] is not None and state["error"]:
            state["error"] += " "

    def end(name):
        if name == f"{_TABLE} table":
            state.update(parts=None, depth=state["depth"] - 1)
        elif state["parts"] is None or state["depth"] != 1:
            return
        elif state["note"] is not None:
            if name == f"{_TEXT} p":
                state["in_p"] = False
            elif name == f"{_OFFICE} annotation":
                if state["note"].strip():
                    state["parts"].comments[(state["row"], state["col"])] = state["note"].strip()
                state["note"] = None
                parser.CharacterDataHandler = text if state["error"] is not None else None
        elif name == f"{_TABLE} table-row":
            state["row"] += state["row_repeat"]
        elif name in (f"{_TABLE} table-cell", f"{_TABLE} covered-table-cell"):
            if state["error"] is not None:
                for k in range(min(state["cell_repeat"], 1024)):
                    state["parts"].errors[(state["row"], state["col"] + k)] = state["error"].strip() or "#VALUE!"
                state["error"] = None
                parser.CharacterDataHandler = None
            state["col"] += state["cell_repeat"]

    def text(data):
        if state["error"] is not None:
            state["error"] += data

    def note_text(data):  # inside an annotation: its text:p, not its dc:creator or dc:date
        if state["in_p"]:
            state["note"] += data

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler = start, end
    with archive.open("content.xml") as stream:
        while chunk := stream.read(1 << 20):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return out


# -------------------------------------------------------------------------------------------------------- .xls

XLS_MAX_BYTES = 32 * 1024 * 1024  # xlrd holds a whole .xls with its formatting in Python objects: bounded


def _xls(content: bytes) -> Structure:
    """xlrd reads what calamine does not say of an Excel 97 file: row and column visibility, and error cells.
    A larger file than any ledger (an .xls holds at most 65,536 rows) is not given to it: then unseen."""
    if len(content) > XLS_MAX_BYTES:
        return Structure(seen=False)
    try:
        import xlrd

        book = xlrd.open_workbook(file_contents=content, formatting_info=True, on_demand=True)
    except Exception:  # a file xlrd cannot open (encrypted, damaged): calamine decides whether it reads at all
        return Structure(seen=False)
    out = Structure()
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            parts = Parts()
            parts.hidden_rows = [(r, r) for r, info in sheet.rowinfo_map.items() if info.hidden]
            parts.hidden_columns = [(c, c) for c, info in sheet.colinfo_map.items() if info.hidden]
            for r in range(sheet.nrows):
                types = sheet.row_types(r)
                if xlrd.XL_CELL_ERROR in types:
                    for c, kind in enumerate(types):
                        if kind == xlrd.XL_CELL_ERROR:
                            code = sheet.cell_value(r, c)
                            parts.errors[(r, c)] = xlrd.error_text_from_code.get(code, "#VALUE!")
            parts.comments = {rc: note.text.strip() for rc, note in sheet.cell_note_map.items() if note.text.strip()}
            out.parts[sheet.name] = parts
            book.unload_sheet(index)
    except Exception:
        return Structure(seen=False)
    return out


# ------------------------------------------------------------------------------------------ on a found table

def expand(ranges: list[tuple[int, int]], limit: int) -> frozenset[int]:
    """The positions of (first, last) ranges below `limit`."""
    return frozenset(i for a, b in ranges for i in range(a, min(b, limit - 1) + 1))


def apply(sheet, match, ds: Dataset, add) -> None:
    """The structure of a workbook sheet applied to the table `match` found in it (rows changed in place).

    - a merged range running down inside the data (below the header) gives its value to every row it covers:
      spreadsheets keep it in the first cell only, so 乡镇 written once for rows 4-9 would be empty in 5-9. A merge
      down an amount or count column is refused: one figure cannot be split between rows.
    - a formula error anywhere on the sheet (#DIV/0!, #REF!...) is refused naming the cell: it is not an empty cell.
    - a hidden column holding data below the header is named (its figures load although nobody sees them).
    """
    from metrics.load.forms import column_letter
    from metrics.load.problems import show_value

    header = match.row_index
    rows = sheet.rows
    texts = match.texts
    for (r, c), error in sorted(sheet.errors.items()):
        if r < len(rows):
            column = texts.get(c) if r > header else None
            add("error", "formula_error", r + 1, column or column_letter(c), error,
                cell=f"{column_letter(c)}{r + 1}", error=error)
    for r0, c0, r1, c1 in sorted(sheet.merges):
        if r1 <= r0 or r0 <= header or r0 >= len(rows):
            continue  # one row (a header group, a caption across the table), or within the header
        column = texts.get(c0, column_letter(c0))
        key = match.columns.get(c0)
        other = next((texts[c] for c in range(c0 + 1, c1 + 1) if c in match.columns), None)
        if other is not None:  # down and across two fields: which one the value is, nothing says
            add("error", "merged_across_fields", r0 + 1, column, None, first=r0 + 1, last=r1 + 1, column=column,
                other=other)
            continue
        if key is not None and ds.column(key).type in ("number", "int"):
            add("error", "merged_figure", r0 + 1, column, None, first=r0 + 1, last=r1 + 1, column=column)
            continue
        top = rows[r0]
        value = top[c0] if c0 < len(top) else None
        if value is None or value == "":
            continue
        for r in range(r0 + 1, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c0:
                row.extend([None] * (c0 + 1 - len(row)))
            row[c0] = value
        add("warning", "w_merged_filled", r0 + 1, column, None, first=r0 + 1, last=r1 + 1, column=column)
    for (r, c), text in sorted(sheet.comments.items()):
        # A comment is no cell value and is not stored; one that changes its row (「已作废」) must not pass unseen.
        add("warning", "w_cell_comment", r + 1, texts.get(c, column_letter(c)) if r > header else column_letter(c),
            show_value(text), cell=f"{column_letter(c)}{r + 1}")
    if sheet.hidden_columns:
        for c in sorted(sheet.hidden_columns):
            if any(c < len(row) and row[c] not in (None, "") for row in rows[header:]):
                add("warning", "w_hidden_column", header + 1, texts.get(c, column_letter(c)), None,
                    col=column_letter(c))


def sheet_notes(file_name: str, sheets) -> list:
    """Warnings about a workbook as a whole: each hidden sheet skipped (by name), and a format whose hidden rows
    and error cells cannot be seen."""
    from metrics.load.problems import Problem

    notes = [Problem("warning", "w_hidden_sheet", file_name, name)
             for name in getattr(sheets, "hidden_sheets", ())]
    if not getattr(sheets, "structure_seen", True):
        notes.append(Problem("warning", "w_structure_unseen", file_name))
    return notes
