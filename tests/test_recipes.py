"""The recipes of docs/architecture.md, done: a KPI added as the recipe says (one declaration, its words, its
target) works everywhere the registry is iterated, with no other file touched."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from metrics.core import registry
from metrics.core.config import Target, default_config
from metrics.core.locales import CATALOGUES
from metrics.kpi.scorecard import compute_value, query_params, scorecard
from metrics.load import ingest
from metrics.platform import store

from .conftest import copy_demo
from .ledgers import csv_bytes
from .test_registry import measured

ROOT = Path(__file__).resolve().parent.parent

WORDS = {
    "zh": {"name": "电商沙龙", "unit": "场", "unit_one": "场", "description": "类型为站长沙龙的活动场次"},
    "en": {"name": "E-commerce salons", "unit": "salons", "unit_one": "salon", "description": "Events of type 站长沙龙"},
}


@pytest.fixture
def salons_kpi():
    """The recipe: (1) one declaration in the registry, (2) its four words in every catalogue, (3) its target in
    the county's configuration. Undone afterwards (the registry and catalogues are module state)."""
    base = default_config()  # read (and cached) before: the file on disk has no target for the new KPI yet
    kpi = registry.Kpi.count("salons", "service", "events", "date", "type = '站长沙龙'")
    registry.KPIS.append(kpi)
    registry.KPI_BY_ID[kpi.id] = kpi
    for lang, words in WORDS.items():
        CATALOGUES[lang].update({f"kpi_salons_{part}": text for part, text in words.items()})
    config = dataclasses.replace(base, targets={**base.targets, "salons": Target("salons", 2, None, dt.date(2024, 10, 31), "五（三）")})
    try:
        yield kpi, config
    finally:
        registry.KPIS.remove(kpi)
        del registry.KPI_BY_ID[kpi.id]
        for lang in WORDS:
            for part in WORDS[lang]:
                CATALOGUES[lang].pop(f"kpi_salons_{part}")


def test_a_kpi_added_by_the_recipe_is_scored_traced_and_worded(salons_kpi, con):
    kpi, config = salons_kpi
    result = ingest.ingest_files(con, [("events.csv", csv_bytes("""活动编号,活动名称,类型,日期,参与主体
E1,沙龙一,站长沙龙,2023-05-01,
E2,推介,推介活动,2023-06-01,甲
E3,沙龙二,站长沙龙,2023-09-01,
E4,沙龙三,站长沙龙,2024-02-01,
"""))])
    assert result.committed, [e.as_text() for e in result.errors]
    as_of = dt.date(2023, 12, 31)
    # Salons by 2023-12-31: E1 and E3 = 2 (E2 is a promotion, E4 is later): the target of 2 is met.
    cards = {r.id: r for r in scorecard(con, as_of, config, lang="en")}
    card = cards["salons"]
    assert (card.value, card.status, card.name, card.unit) == (2, "achieved", "E-commerce salons", "salons")
    rows = store.query(con, kpi.rows_sql, query_params(kpi.rows_sql, as_of, config))
    assert sorted(rows["event_id"]) == ["E1", "E3"]
    assert measured(rows, kpi.rows_measure) == compute_value(con, kpi, as_of, config)[0] == 2
    # The words check every catalogue must pass finds them.
    assert all(f"kpi_salons_{part}" in CATALOGUES[lang] for lang in CATALOGUES for part in WORDS["zh"])


def test_a_kpi_declared_without_its_configuration_is_named_when_the_configuration_loads(salons_kpi):
    """Step 3 forgotten: the county file is refused at load with both missing entries at once, not when a page
    first scores the KPI."""
    from metrics.core.config import ConfigError, load_config

    with pytest.raises(ConfigError) as exc:
        load_config()
    assert {"targets: no target for KPI 'salons'", "evaluation.indicators: no entry for KPI 'salons'"} <= \
        set(exc.value.problem_texts("en"))


# ------------------------------------------------------------------------------------------- a third language

THIRD = "xx"


@pytest.fixture
def third_language(monkeypatch, tmp_path):
    """The recipe of docs/architecture.md: (1) one catalogue, listed in metrics/core/locales (here a copy of the
    English one with two words changed, so the test can tell it is read), which is what `i18n.LANGUAGES` is made
    of; (2) county.toml's names in it where a name has no fallback (each `[[references]]` entry). Every module that
    took `LANGUAGES` at import is given the longer list, as a new catalogue module would give it at start."""
    from metrics.core import i18n
    from metrics.core.config import DEFAULT_CONFIG, default_config

    catalogue = {**CATALOGUES["en"], "overview_caption": "XX " + CATALOGUES["en"]["overview_caption"],
                 "cli_no_loads_yet": "XX: no loads yet", "payment_stage_advance": "XX advance"}
    monkeypatch.setitem(CATALOGUES, THIRD, catalogue)
    before = i18n.LANGUAGES
    languages = (*before, THIRD)
    for module in list(sys.modules.values()):
        if getattr(module, "LANGUAGES", None) is before:
            monkeypatch.setattr(module, "LANGUAGES", languages)
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    county = tmp_path / "county.toml"  # one more column: the references' name in the new language
    county.write_text(text.replace('\nvalue = 0.', f'\n{THIRD} = "XX reference"\nvalue = 0.'), encoding="utf-8")
    monkeypatch.setenv("KPI_CONFIG", str(county))
    default_config.cache_clear()
    yield languages
    default_config.cache_clear()


def test_a_language_added_by_the_recipe_is_offered_and_read_everywhere(third_language, tmp_path, capsys,
                                                                        monkeypatch, demo_template):
    from streamlit.testing.v1 import AppTest

    from metrics.__main__ import main
    from metrics.core.config import default_config

    # The configuration: names without a text in the new language fall back to the source language's.
    config = default_config()
    assert config.project_name(THIRD) == config.project_name("zh") != ""
    assert [r.label(THIRD) for r in config.references] == ["XX reference 2023"] * len(config.references)
    # The command line: offered as --lang, and its words come from the new catalogue.
    assert main(["--db", str(tmp_path / "k.duckdb"), "--lang", THIRD, "loads"]) == 0
    assert capsys.readouterr().out.strip() == "XX: no loads yet"
    # The dashboard: the frame offers every language, ?lang=xx is honoured, and a page is drawn in it.
    # The database a first visit makes (the demo loaded into it), copied rather than loaded again by the frame.
    monkeypatch.setenv("KPI_DB", str(copy_demo(demo_template, tmp_path / "d.duckdb")))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.query_params["lang"] = THIRD
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["lang"] == THIRD
    switch = next(w for w in at.get("button_group"))
    assert [o.content for o in switch.proto.options] == [CATALOGUES[lang]["language_name"] for lang in third_language]
    assert any(m.value.startswith("**XX ") for m in at.markdown)  # the overview's caption, in the new catalogue
    assert at.subheader[0].value == default_config().project_name("zh")  # no project name in it: the source's
    # The budget page's payment stages are catalogue words (before: a dict of English names beside an if on "en").
    at.switch_page("pages/budget.py").run()
    assert not at.exception, [e.value for e in at.exception]
    legends = [trace.get("name") for chart in at.get("plotly_chart")
               for trace in json.loads(chart.proto.spec)["data"]]
    assert "XX advance" in legends
