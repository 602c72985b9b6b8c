"""Read every number and every text out of the files the dashboard hands out (.xlsx, .docx, .pptx, .pdf text, a zip
of them) and find what a reader must never see: binary-float noise (452.0000000000001, 0.30000000000000004), a
derived trainee id (H + 16 hex characters, a hash fragment), a name that should have been masked.

Used by the acceptance and briefing tests; each finding says the file and where in it.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile

# Seven or more 0s or 9s after the point and then another digit: what a sum of binary floats leaves behind.
FLOAT_NOISE = re.compile(r"\d\.\d*?(?:0{7,}|9{7,})\d")
HASH_FRAGMENT = re.compile(r"(?<![0-9A-Za-z])H[0-9a-f]{16}(?![0-9A-Za-z])")


def _xlsx(content: bytes) -> list[tuple[str, object]]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content))
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    found.append((f"{sheet.title}!{cell.coordinate}", cell.value))
    return found


def _docx(content: bytes) -> list[tuple[str, object]]:
    import docx

    document = docx.Document(io.BytesIO(content))
    found = [(f"paragraph {i}", p.text) for i, p in enumerate(document.paragraphs)]
    for n, table in enumerate(document.tables):
        for r, row in enumerate(table.rows):
            for c, cell in enumerate(row.cells):
                found.append((f"table {n} row {r} col {c}", cell.text))
    return found


def _pptx(content: bytes) -> list[tuple[str, object]]:
    from pptx import Presentation

    found = []
    for s, slide in enumerate(Presentation(io.BytesIO(content)).slides, start=1):
        for shape in slide.shapes:
            if shape.has_text_frame:
                found.append((f"slide {s} {shape.name}", shape.text_frame.text))
            if getattr(shape, "has_table", False) and shape.has_table:
                for row in shape.table.rows:
                    for cell in row.cells:
                        found.append((f"slide {s} {shape.name} table", cell.text))
    return found


@functools.lru_cache(maxsize=32)
def values(name: str, content: bytes) -> tuple[tuple[str, object], ...]:
    """(where, value) for every cell / paragraph / text of the file; a zip's members are read in turn. Kept for the
    same name and bytes: a test runs several scans over one set of files, and reading an .xlsx or a zip of them
    again was most of such a test (the result is a tuple, so no caller can change what the next one reads)."""
    return tuple(_read(name, content))


def _read(name: str, content: bytes) -> list[tuple[str, object]]:
    lower = name.lower()
    if lower.endswith(".xlsx"):
        found = _xlsx(content)
    elif lower.endswith(".docx"):
        found = _docx(content)
    elif lower.endswith(".pptx"):
        found = _pptx(content)
    elif lower.endswith(".zip"):
        found = []
        with zipfile.ZipFile(io.BytesIO(content)) as pack:
            for member in pack.namelist():
                found.append((f"{member} (name)", member))
                found += [(f"{member}: {where}", v) for where, v in values(member, pack.read(member))]
        return [(f"{name}: {w}", v) for w, v in found]
    elif lower.endswith((".txt", ".pdf.txt")):
        found = [(f"line {i}", line) for i, line in enumerate(content.decode("utf-8").splitlines())]
    else:
        return []  # an evidence file as uploaded (a PDF, a photo): the county's own document, passed on as it is
    return [(f"{name}: {w}", v) for w, v in found]


PDF_TEXT_SECONDS = 60  # pdftotext on a few pages takes well under a second; a stuck one ends the test in words


def pdf_text(content: bytes) -> bytes:
    """A PDF's text as poppler's pdftotext reads it (the words a reader copies out of it), for the scan as a
    `.pdf.txt` file: `{"briefing.pdf.txt": pdf_text(pdf)}`. Needs poppler-utils (scripts/system-packages.sh)."""
    import subprocess

    done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True,
                          timeout=PDF_TEXT_SECONDS, check=True)
    return done.stdout


def float_noise(files: dict[str, bytes]) -> list[str]:
    """Every number cell and text whose digits show binary-float noise."""
    bad = []
    for name, content in files.items():
        for where, value in values(name, content):
            text = repr(value) if isinstance(value, float) else str(value)
            if FLOAT_NOISE.search(text):
                bad.append(f"{where}: {text}")
    return bad


def hash_fragments(files: dict[str, bytes]) -> list[str]:
    return [f"{where}: {value}" for name, content in files.items() for where, value in values(name, content)
            if isinstance(value, str) and HASH_FRAGMENT.search(value)]


def containing(files: dict[str, bytes], words: list[str]) -> list[str]:
    """Where any of the words (e.g. a person's full name) stands in the files."""
    return [f"{where}: {value}" for name, content in files.items() for where, value in values(name, content)
            if isinstance(value, str) and any(w in value for w in words)]
