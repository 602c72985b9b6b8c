"""Helpers to build ledger files and inspect the store in tests."""

from __future__ import annotations

import io
from pathlib import Path

import xlsxwriter

FIXTURES = Path(__file__).parent / "fixtures"
TEST_KEY = "test-hash-key-not-secret"


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def xlsx_bytes(rows: list[list], sheet: str = "Sheet1") -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = book.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    book.close()
    return buffer.getvalue()


def snapshot(con) -> dict:
    """Everything stored: every table's rows, sorted, so 'nothing changed' can be asserted exactly."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
    return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}
