"""The recipes of docs/architecture.md, done: a KPI added as the recipe says (one declaration, its words, its
target) works everywhere the registry is iterated, with no other file touched."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from metrics.core import registry
from metrics.core.config import Target, default_config
from metrics.core.locales import CATALOGUES
from metrics.kpi.scorecard import compute_value, query_params, scorecard
from metrics.load import ingest
from metrics.platform import store

from .ledgers import csv_bytes
from .test_registry import measured

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
