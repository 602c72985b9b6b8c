"""The region's grouped scorer (issue 26) answers exactly what the one-by-one scorer answers.

A scoring child reads a group of snapshots with one query per KPI over the group (metrics/kpi/grouped.py) instead of
one per snapshot per KPI. The golden check: on the demo region (seven counties, each with its own ledgers thinned
and scaled, its own person-times target and spending) and on distinct synthetic counties, every field of every
county's result is the one-by-one scorer's, both at a shared date found from the counties' own latest dates and at a
date asked for. The one-by-one scorer is the same code with the group's reading switched off (`_read_group` -> {}),
and the grouped path is checked to have really run (not fallen back in silence).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil

import duckdb
import pytest

from metrics.kpi import grouped
from metrics.outputs import region, region_score

# One worker reads this module: the demo region it shares (~3 s to write) is then written once, not once per worker.
pytestmark = pytest.mark.xdist_group("region-grouped")


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_REGION_CACHE", str(tmp_path / "region-cache"))


@pytest.fixture(scope="session")  # session: made once per worker even when xdist splits the module's tests
def demo_region(tmp_path_factory, demo_template):
    from metrics.demo import write_demo

    os.environ.setdefault("KPI_HASH_KEY", "test-hash-key-not-secret")
    directory = tmp_path_factory.mktemp("demo-region")
    write_demo(directory, loaded=demo_template)  # the run's demo database, not a load of its own
    return directory


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    from benchmarks.fixtures import synthetic_region

    return synthetic_region(tmp_path_factory.mktemp("synthetic"), 5, templates=3)


def fields(view: region.Region) -> list[dict]:
    """Everything the region shows of each county, field by field (results as their JSON, floats exact)."""
    return [{**{f.name: getattr(c, f.name) for f in dataclasses.fields(c) if f.name != "results"},
             "results": [r.as_json() for r in c.results]} for c in view.counties]


def one_by_one(monkeypatch, directory, as_of=None) -> region.Region:
    with monkeypatch.context() as patch:
        patch.setattr(region_score, "_read_group", lambda *args: {})
        return region.read_region(directory, as_of, isolate=False)


def grouped_read(monkeypatch, directory, as_of=None) -> tuple[region.Region, list[int]]:
    """The region read with the group's queries, and the number of snapshots each grouped scoring read."""
    sizes = []
    real = grouped.scorecard_inputs

    def spy(con, databases, *args):
        sizes.append(len(databases))
        return real(con, databases, *args)

    with monkeypatch.context() as patch:
        patch.setattr(grouped, "scorecard_inputs", spy)
        return region.read_region(directory, as_of, isolate=False), sizes


@pytest.mark.parametrize("as_of", [None, dt.date(2024, 6, 30)])
def test_the_grouped_scorer_gives_the_demo_regions_figures_field_by_field(demo_region, monkeypatch, as_of):
    expected = one_by_one(monkeypatch, demo_region, as_of)
    view, sizes = grouped_read(monkeypatch, demo_region, as_of)
    assert sizes == [7]  # one group of the seven counties, read together
    assert len(expected.readable) == 7 and expected.as_of == view.as_of
    # The demo counties differ (kept rows, retail and spending scales, targets): the comparison is not of copies.
    assert len({tuple(r.value for r in c.results) for c in expected.readable}) == 7
    assert fields(view) == fields(expected)


def test_the_grouped_scorer_gives_distinct_synthetic_counties_figures_field_by_field(synthetic, monkeypatch):
    expected = one_by_one(monkeypatch, synthetic)
    view, sizes = grouped_read(monkeypatch, synthetic)
    assert sizes == [5]
    assert len({c.spent_wan for c in expected.readable}) == 5  # each county paid its own amount
    assert fields(view) == fields(expected)


def test_each_countys_own_configuration_reaches_its_part_of_the_groups_query(demo_region, tmp_path, monkeypatch):
    """The KPI queries' parameters come from each county's configuration: 阿勒泰市 compares retail with 2022 and
    哈巴河县 counts streamers from 1,000 followers, the others keep 2021 and 10,000. Bound to the wrong county's part
    of the group's query, their growth and streamer figures would be their neighbours' settings'."""
    folder = tmp_path / "region"
    shutil.copytree(demo_region, folder)
    altay, habahe = folder / "altay.toml", folder / "habahe.toml"
    altay.write_text(altay.read_text(encoding="utf-8").replace("retail_baseline_year = 2021",
                                                                "retail_baseline_year = 2022", 1), encoding="utf-8")
    habahe.write_text(habahe.read_text(encoding="utf-8").replace("follower_threshold = 10000",
                                                                  "follower_threshold = 1000", 1), encoding="utf-8")
    expected = one_by_one(monkeypatch, folder)
    default = one_by_one(monkeypatch, demo_region)

    def value(view, name, kpi_id):
        return next(r.value for r in view.county(name).results if r.id == kpi_id)

    assert value(expected, "阿勒泰市", "online_retail_growth") != value(default, "阿勒泰市", "online_retail_growth")
    assert value(expected, "哈巴河县", "streamers_10k") != value(default, "哈巴河县", "streamers_10k")
    view, sizes = grouped_read(monkeypatch, folder)
    assert sizes == [7]
    assert fields(view) == fields(expected)


def test_a_grouped_query_that_fails_leaves_the_group_scored_one_by_one(demo_region, monkeypatch):
    """A value one snapshot's query cannot take fails the group's query: every county is then read on its own."""
    expected = one_by_one(monkeypatch, demo_region)

    def failing(*args):
        raise duckdb.ConversionException("Could not convert string 'x' to INT32")

    monkeypatch.setattr(grouped, "scorecard_inputs", failing)
    view = region.read_region(demo_region, isolate=False)
    assert fields(view) == fields(expected)


def test_bad_snapshots_in_a_group_are_their_own_rows_and_the_rest_are_read_together(demo_region, tmp_path,
                                                                                     monkeypatch):
    """In one group: a snapshot of another structure version, one with a configuration that does not load, one
    that is a view (refused by the catalogue check) and one that is not DuckDB; the four good ones are grouped."""
    folder = tmp_path / "region"
    shutil.copytree(demo_region, folder)
    con = duckdb.connect(str(folder / "fuhai.duckdb"))
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    (folder / "fuyun.toml").write_text("[calendar\n", encoding="utf-8")
    con = duckdb.connect(str(folder / "qinghe.duckdb"))
    con.execute("CREATE VIEW extra AS SELECT 1")
    con.close()
    (folder / "zz.duckdb").write_bytes(b"not a database")
    expected = one_by_one(monkeypatch, folder)
    view, sizes = grouped_read(monkeypatch, folder)
    assert sizes == [4]
    problems = {c.snapshot.stem: c.problem("en") for c in view.unreadable}
    assert sorted(problems) == ["fuhai", "fuyun", "qinghe", "zz"]
    assert problems["fuhai"].startswith("schema version 1.3, this dashboard reads")
    assert problems["fuyun"].startswith("configuration problems") and "view extra" in problems["qinghe"]
    assert fields(view) == fields(expected)


def test_a_kpi_query_is_pointed_at_each_snapshot_with_its_own_parameters():
    """Tables are qualified by the parser, not by matching text: a CTE's name is left alone."""
    sql = ("WITH latest AS (SELECT max(month) AS m FROM online_retail WHERE month <= $as_of) "
           "SELECT sum(total) / $budget_wan AS value FROM online_retail, latest WHERE month = latest.m")
    text = grouped.qualified(sql, "snapshot3", 3)
    assert text.count("snapshot3.main.online_retail") == 2
    assert "snapshot3.main.latest" not in text and "latest.m" in text
    assert "$as_of_3" in text and "$budget_wan_3" in text and "$as_of)" not in text


def test_each_statement_is_parsed_once_and_pointed_at_every_place_as_the_parser_would():
    """A statement is qualified once for a stand-in database and the stand-in then replaced per place (parsing 400
    statements cost a child ~1 s): for every query the group runs, the text is what the parser gives for that
    database and place directly."""
    import re

    from metrics.core.registry import KPIS
    from metrics.kpi.scorecard import LOADED_SQL, latest_sql

    for sql in [LOADED_SQL, latest_sql(), latest_sql(dated_only=True), *(kpi.sql for kpi in KPIS)]:
        for database, place in [("snapshot0", 0), ("snapshot12", 11)]:
            tree = grouped._parse(sql)
            grouped._qualify(tree, database, frozenset())
            direct = re.sub(r"\$([A-Za-z_]\w*)", rf"$\1_{place}", grouped._unparse(tree))
            assert grouped.qualified(sql, database, place) == direct
    with pytest.raises(ValueError):  # a statement naming the stand-in itself is refused, not silently rewritten
        grouped.qualified(f"SELECT 1 AS {grouped._DATABASE} FROM expenditures", "snapshot1", 1)


def test_the_groups_ledger_facts_are_each_databases_own_ledger_by_ledger(tmp_path):
    """The group's facts (one aggregate per ledger over the group) against LedgerFacts.read and latest_data_date on
    each database alone, on the cases that differ: attendance dated by its session (one session after the as-of
    date, one attendance row whose session is missing), an undated ledger dated by its latest *active* load (an
    undone later load, and an active load after the as-of date, which counts whatever the date), a dated ledger
    with a record after the as-of date and one with a NULL date, an empty database, and each county at its own
    as-of date."""
    from metrics.kpi.scorecard import LedgerFacts, latest_data_date
    from metrics.outputs import snapshot_check
    from metrics.platform import store

    paths = []
    for k, statements in enumerate([
        ["INSERT INTO training_sessions (session_id, date) VALUES ('S1', DATE '2024-03-01'), ('S2', DATE '2024-09-01')",
         "INSERT INTO training_attendance (session_id, trainee_id) VALUES ('S1', 'T1'), ('S2', 'T2'), ('S9', 'T3')",
         "INSERT INTO stations (station_id, name) VALUES ('ZD1', 'a')",
         "INSERT INTO loads (load_id, dataset, loaded_at, status) VALUES (1, 'stations', TIMESTAMP '2024-02-03 10:00',"
         " 'active'), (2, 'stations', TIMESTAMP '2024-05-06 10:00', 'undone'), (3, 'stations', "
         "TIMESTAMP '2024-08-09 23:59', 'active')",
         "INSERT INTO expenditures (voucher, date, line, amount) VALUES ('P1', DATE '2024-04-30', '1.1', 1), "
         "('P2', DATE '2024-07-01', '1.1', 2), ('P3', NULL, '1.1', 3)"],
        [],  # nothing loaded
        ["INSERT INTO training_attendance (session_id, trainee_id) VALUES ('S9', 'T1')",  # no session: undated
         "INSERT INTO expenditures (voucher, date, line, amount) VALUES ('P1', DATE '2023-12-31', '1.1', 1)"],
    ]):
        con = store.connect(tmp_path / f"c{k}.duckdb")
        for sql in statements:
            con.execute(sql)
        con.close()
        paths.append(tmp_path / f"c{k}.duckdb")
    as_ofs = [dt.date(2024, 6, 30), dt.date(2024, 6, 30), dt.date(2023, 12, 31)]
    con, attached, errors = snapshot_check.open_snapshots(paths)
    try:
        assert not errors
        databases = [attached[k] for k in range(len(paths))]
        facts = grouped.ledger_facts(con, databases, as_ofs)
        latest = grouped.latest_data_dates(con, databases, today=dt.date(2025, 1, 1))
        for k, database in enumerate(databases):
            con.execute(f"USE {database}")
            assert facts[k] == LedgerFacts.read(con, as_ofs[k])
            assert latest[k] == latest_data_date(con, today=dt.date(2025, 1, 1))
    finally:
        con.close()
    # The cases are there: by hand, county 0 at 2024-06-30.
    assert {"training_sessions", "training_attendance", "stations", "expenditures"} <= facts[0].loaded
    assert facts[0].latest["training_attendance"] == dt.date(2024, 3, 1)  # S2 (2024-09-01) is after the date
    assert facts[0].latest["stations"] == dt.date(2024, 8, 9)  # the latest active load, after the date too
    assert facts[0].latest["expenditures"] == dt.date(2024, 4, 30)
    assert latest[0] == dt.date(2024, 9, 1)  # the session of 2024-09-01 (the ledgers' latest, up to "today")
    assert facts[1].loaded == frozenset() and set(facts[1].latest.values()) == {None}
    assert facts[2].loaded == {"training_attendance", "expenditures"}
    assert facts[2].latest["training_attendance"] is None


def test_no_kpi_query_compares_year_of_a_column():
    """DuckDB 2.0 plans `year(column) = …` ~20x slower than `date_part('year', column) = …` (the same value); the
    region plans every KPI query once per county, so the registry uses date_part (year() of a parameter is fine)."""
    import re

    from metrics.core.registry import KPIS

    for kpi in KPIS:
        for sql in (kpi.sql, kpi.rows_sql):
            assert not re.search(r"\byear\(\s*[^$\s]", sql), (kpi.id, sql)


@pytest.mark.slow  # a child process
def test_the_scoring_child_does_not_import_pandas_or_pyarrow():
    """Each scoring child imports its code afresh: pandas and pyarrow (~0.3 s a child) are not part of scoring."""
    import subprocess
    import sys

    code = "import sys, metrics.outputs.region_score; print(sorted({'pandas', 'pyarrow'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_a_group_holds_at_most_group_snapshots_and_group_bytes(tmp_path):
    """Groups are cut by count (GROUP) and by size (GROUP_BYTES): a county at a hundred times the demo is scored
    alone instead of making its group's first answer wait past the time limit. Sizes in MB, budget 256: 40 small
    ones of 3 MB make groups of 32 and 8 (count); 100+100 fit, a third 100 (300 > 256) starts a new group; a 300 MB
    one is alone; an unreadable path is alone; the first `single_first` are alone whatever their size."""
    def job(name: str, mb: int | None):
        path = tmp_path / f"{name}.duckdb"
        if mb is not None:
            with open(path, "wb") as f:
                f.truncate(mb * 2**20)  # sparse: the size is what is read
        return region_score.Job(region.County(name, path, None), None, "zh")

    small = [job(f"s{i}", 3) for i in range(40)]
    groups = region_score._groups(small, 0)
    assert [len(g) for g in groups] == [32, 8]
    assert [j.county.name for g in groups for j in g] == [j.county.name for j in small]  # order kept
    mixed = [job("a", 100), job("b", 100), job("c", 100), job("big", 300), job("d", 3), job("gone", None),
             job("e", 3)]
    assert [[j.county.name for j in g] for g in region_score._groups(mixed, 0)] == \
        [["a", "b"], ["c"], ["big"], ["d"], ["gone"], ["e"]]
    assert [[j.county.name for j in g] for g in region_score._groups(small[:5], 2)] == \
        [["s0"], ["s1"], ["s2", "s3", "s4"]]
