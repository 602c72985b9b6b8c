"""The table check: every table on every page, in both languages, as Streamlit is given it (AppTest; the browser
draws tables on a canvas, so their cells are not in the page's text).

No cell shows None/NaN/nan/NaT or a raw timestamp ("2022-10-01 00:00:00"); rates are percentages, never 0.9714;
column headers follow the chosen language (ledger values aside)."""

from __future__ import annotations

import pandas as pd
import pytest

from metrics.platform import store

from .language_check import ledger_values
from .page_runs import page_params
from .table_check import cell_problems, header_problems


# Session, not module: a worker alternates between this module and test_pages page by page (their xdist groups),
# and a module fixture was torn down and read again at every switch (~0.4 s each, about 30 times a run).
@pytest.fixture(scope="session")
def ledger(pages_db):
    """The ledger values of the demo database the pages ran on (values may stay in their own language)."""
    con = store.connect(pages_db)
    try:
        return ledger_values(con)
    finally:
        con.close()


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


@pytest.mark.parametrize(("page", "lang"), page_params())
def test_every_table_reads_cleanly(rendered_page, ledger, page, lang):
    """Every page of the router (acceptance and region included), from the same run test_pages checks."""
    at = rendered_page(page, lang)
    assert not at.exception, (page, [e.value for e in at.exception])
    found = []
    for i, element in enumerate(at.dataframe):
        frame = element.value
        found += cell_problems(frame, f"{page} {lang} table {i + 1}")
        found += header_problems(frame, lang, ledger, f"{page} {lang} table {i + 1}")
    assert found == [], "\n".join(found[:40])
