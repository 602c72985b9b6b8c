"""What every spreadsheet the dashboard writes shares: one place for the workbook's safe options, the quoting of text
a spreadsheet would run as a formula, and how wide text shows in a grid of fixed-width cells.

Every .xlsx writer (the problem report, the ledger templates, the explore downloads, the 绩效自评表 and the evidence
sheets of the acceptance pack) opens its workbook with `new_workbook`; tests/test_spreadsheet.py writes a hostile
cell through each of them and reads it back as text, and checks that no other module imports xlsxwriter.
"""

from __future__ import annotations

import unicodedata

# A text cell starting with one of these is read by a spreadsheet as a formula (=HYPERLINK(...), +1+1, -2+3, @SUM)
# or has a leading tab or carriage return that hides one (OWASP, "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# xlsxwriter's defaults turn a str starting with "=" into a formula and one like "http://…" into a link: every
# string the dashboard writes is text from a ledger, the configuration or a person, so both are off everywhere.
SAFE_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}


def new_workbook(buffer, **options):
    """An xlsxwriter Workbook writing into `buffer`, with SAFE_OPTIONS (other options added, never those undone)."""
    import xlsxwriter  # imported on first use: the pages that never write a workbook do not pay for it

    return xlsxwriter.Workbook(buffer, {**options, **SAFE_OPTIONS})


def neutralise(value):
    """A text value that a spreadsheet would read as a formula gets a leading apostrophe, so it stays text when the
    file is opened as CSV or a cell is edited and confirmed; anything else is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def display_width(text: str) -> int:
    """Columns the text takes in a grid of fixed-width cells (a spreadsheet column, a chart label, a terminal
    table): wide and full-width characters (CJK, ＰＸ) count two, every other character one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_width(texts, least: int = 8, most: int = 60) -> int:
    """A column as wide as its widest text needs plus a margin of two, within [least, most]."""
    return min(most, max(least, 2 + max((display_width(t) for t in texts), default=0)))
