"""The table check: every table on every page, in both languages, as Streamlit is given it (AppTest; the browser
draws tables on a canvas, so their cells are not in the page's text).

No cell shows None/NaN/nan/NaT or a raw timestamp ("2022-10-01 00:00:00"); rates are percentages, never 0.9714;
column headers follow the chosen language (ledger values aside)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from metrics.platform import store

from .language_check import CJK, ENGLISH_WORD, LATIN_IN_CHINESE, ledger_values

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["overview", "training", "retail", "talent", "brands", "service", "publicity", "budget", "schedule",
         "definitions", "explore", "data_import", "meeting"]
MISSING = {"None", "none", "nan", "NaN", "NaT", "<NA>", "null"}
RAW_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")
RATE_HEADER = re.compile(r"率|同比|增长|占比|rate|growth|YoY|execution|share|coverage", re.IGNORECASE)


def cell_problems(frame: pd.DataFrame, where: str) -> list[str]:
    found = []
    for column in frame.columns:
        values = frame[column]
        if RATE_HEADER.search(str(column)) and pd.api.types.is_float_dtype(values):
            found.append(f"{where}: column '{column}' shows rates as fractions ({values.dropna().head(2).tolist()})")
        if pd.api.types.is_datetime64_any_dtype(values):
            found.append(f"{where}: column '{column}' shows raw timestamps")
        for row, value in enumerate(values):
            text = str(value)
            if value is None or text in MISSING or (not isinstance(value, str) and pd.isna(value)):
                found.append(f"{where}: row {row + 1}, column '{column}' shows '{text}'")
            elif isinstance(value, (pd.Timestamp, dt.datetime)) or RAW_TIMESTAMP.fullmatch(text):
                found.append(f"{where}: row {row + 1}, column '{column}' shows the raw timestamp '{text}'")
    return found


def header_problems(frame: pd.DataFrame, lang: str, ledger: list[str], where: str) -> list[str]:
    found = []
    for column in [*frame.columns, *(frame.index.names or [])]:  # (a columns-axis name is not shown)
        if column is None:
            continue
        text = str(column)
        for value in ledger:
            text = text.replace(value, " ")
        if lang == "en" and CJK.search(text):
            found.append(f"{where}: header '{column}' is Chinese in the English UI")
        if lang == "zh" and [w for w in ENGLISH_WORD.findall(text) if w not in LATIN_IN_CHINESE]:
            found.append(f"{where}: header '{column}' is English in the Chinese UI")
    return found


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    os.environ["KPI_HASH_KEY"] = "test-hash-key-not-secret"
    path = tmp_path_factory.mktemp("tables") / "demo.duckdb"
    from metrics.demo import load_demo

    con = store.connect(path)
    assert load_demo(con).committed
    ledger = ledger_values(con)
    con.close()
    return path, ledger


def test_the_checks_catch_what_they_are_for():
    """Each rule fires on the defect it names (the defects seen in issue 15)."""
    bad = pd.DataFrame({"执行率": [0.9714, 0.5], "月份": ["2022-10-01 00:00:00", "2022-11-01"],
                        "备注": [None, "x"], "金额": [1.0, float("nan")]})
    found = cell_problems(bad, "t")
    assert any("fractions" in p for p in found)
    assert any("raw timestamp '2022-10-01 00:00:00'" in p for p in found)
    assert any("'备注' shows" in p for p in found) and any("'金额' shows 'nan'" in p for p in found)
    assert header_problems(pd.DataFrame(columns=["value then"]), "zh", [], "t")
    assert header_problems(pd.DataFrame(columns=["计划 (万元)"]), "en", [], "t")
    assert not header_problems(pd.DataFrame(columns=["KPI", "指标"]), "zh", [], "t")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_table_reads_cleanly(demo_db, monkeypatch, lang):
    db, ledger = demo_db
    monkeypatch.setenv("KPI_DB", str(db))
    found = []
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
        at.session_state["lang"] = lang
        at.run()
        if page != "overview":
            at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        for i, element in enumerate(at.dataframe):
            frame = element.value
            found += cell_problems(frame, f"{page} {lang} table {i + 1}")
            found += header_problems(frame, lang, ledger, f"{page} {lang} table {i + 1}")
    assert found == [], "\n".join(found[:40])
