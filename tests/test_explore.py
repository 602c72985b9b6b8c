"""Exploration: aggregations on a hand-computed ledger, URL state, safe downloads, and the SQL sandbox."""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

import pytest

from metrics.kpi import explore
from metrics.kpi.explore import Filter, Spec
from metrics.load import ingest
from metrics.platform import store
from metrics.platform.sandbox import SandboxError, build_sandbox, run_query

from .ledgers import csv_bytes

D = dt.date
ROOT = Path(__file__).resolve().parent.parent

SUBSIDIES = """运单号,发货日期,企业,快递公司,目的地,补贴金额（元）
W1,2023-01-05,甲合作社,中通快递,上海,10
W2,2023-01-20,甲合作社,圆通速递,北京,6
W3,2023-02-03,乙公司,中通快递,上海,8
W4,2023-02-10,甲合作社,中通快递,=HYPERLINK("http://x"),4
W5,2023-03-01,乙公司,,广州,12
"""


@pytest.fixture
def loaded(con):
    assert ingest.ingest_files(con, [("w.csv", csv_bytes(SUBSIDIES))]).committed
    return con


YEAR_END = D(2023, 12, 31)


def run(con, spec, as_of=YEAR_END):
    return explore.run(con, spec, as_of)


def test_count_by_one_dimension(loaded):
    frame = run(loaded, Spec("logistics_subsidies", group_by=["enterprise"]))
    # 甲合作社: W1, W2, W4 = 3; 乙公司: W3, W5 = 2
    assert dict(zip(frame["enterprise"], frame["value"])) == {"甲合作社": 3, "乙公司": 2}


def test_sum_and_average_by_month(loaded):
    frame = run(loaded, Spec("logistics_subsidies", group_by=["month:date"], measure="sum", measure_column="amount"))
    # January 10 + 6 = 16; February 8 + 4 = 12; March 12
    assert list(frame["value"]) == [16, 12, 12]
    frame = run(loaded, Spec("logistics_subsidies", group_by=["enterprise"], measure="avg", measure_column="amount"))
    # 甲合作社 (10 + 6 + 4) / 3 = 6.67; 乙公司 (8 + 12) / 2 = 10
    assert dict(zip(frame["enterprise"], frame["value"].round(2))) == {"甲合作社": 6.67, "乙公司": 10.0}


def test_distinct_count_and_two_dimensions_with_pivot(loaded):
    frame = run(loaded, Spec("logistics_subsidies", measure="count_distinct", measure_column="destination"))
    assert frame["value"][0] == 4  # 上海, 北京, the formula text, 广州
    spec = Spec("logistics_subsidies", group_by=["enterprise", "carrier"])
    pivot = explore.pivot(run(loaded, spec), spec)
    # 甲合作社: 中通 W1 W4 = 2, 圆通 W2 = 1; 乙公司: 中通 W3 = 1 (W5 has no carrier)
    assert pivot.loc["甲合作社", "中通快递"] == 2 and pivot.loc["甲合作社", "圆通速递"] == 1
    assert pivot.loc["乙公司", "中通快递"] == 1


def test_filters(loaded):
    between = Filter("date", "between", [D(2023, 1, 10), D(2023, 2, 5)])
    assert run(loaded, Spec("logistics_subsidies", [between]))["value"][0] == 2  # W2, W3
    chosen = Filter("carrier", "in", ["中通快递"])
    assert run(loaded, Spec("logistics_subsidies", [chosen]))["value"][0] == 3  # W1, W3, W4
    contains = Filter("enterprise", "contains", ["合作"])
    assert run(loaded, Spec("logistics_subsidies", [contains, chosen]))["value"][0] == 2  # W1, W4
    amount = Filter("amount", "between", [7, None])
    assert run(loaded, Spec("logistics_subsidies", [amount]))["value"][0] == 3  # 10, 8, 12


def test_as_of_applies(loaded):
    assert run(loaded, Spec("logistics_subsidies"), as_of=D(2023, 1, 31))["value"][0] == 2  # W1, W2


def test_attendance_is_explored_by_its_sessions_township_and_month(con):
    sessions = "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-03-01,禾木,直播带货,线下\nS2,2023-03-20,禾木,网店运营,线上\nS3,2023-04-02,杜来提,电商基础,线下\n"
    attendance = "场次编号,学员编号\nS1,A\nS1,B\nS2,A\nS3,C\nS3,D\nS3,E\n"
    assert ingest.ingest_files(con, [("s.csv", csv_bytes(sessions)), ("a.csv", csv_bytes(attendance))]).committed
    frame = run(con, Spec("training_attendance", group_by=["session_township", "month:session_date"]))
    got = {(r.session_township, str(r._2)[:7]): r.value for r in frame.itertuples()}
    # 禾木 in March: S1 (2) + S2 (1) = 3 person-times; 杜来提 in April: S3 = 3
    assert got == {("杜来提乡", "2023-04"): 3, ("禾木哈纳斯蒙古族乡", "2023-03"): 3}


def test_unknown_columns_are_refused_not_spliced(loaded):
    with pytest.raises(explore.ExploreError):
        run(loaded, Spec("logistics_subsidies", group_by=['amount"; DROP TABLE loads; --']))
    with pytest.raises(explore.ExploreError):
        run(loaded, Spec("logistics_subsidies", measure="sum", measure_column="enterprise"))
    assert store.one(loaded, "SELECT count(*) FROM loads")[0] == 1


@pytest.mark.parametrize("spec", [
    Spec("training_sessions"),
    Spec("logistics_subsidies", [Filter("date", "between", [D(2023, 1, 1), D(2023, 6, 30)]),
                                 Filter("carrier", "in", ["中通快递", "圆通|速递"])], ["enterprise", "month:date"],
         "sum", "amount"),
    Spec("talents", [Filter("can_sell_live", "is", [False]), Filter("name", "contains", ["阿依"])], ["township"],
         "count_distinct", "type"),
    Spec("logistics_subsidies", [Filter("amount", "between", [2.5, 10])]),
])
def test_url_state_round_trips(spec):
    again = explore.from_params(explore.to_params(spec))
    if spec.filters and spec.filters[-1].values == ["中通快递", "圆通|速递"]:
        spec.filters[-1].values[1] = "圆通／速递"  # a "|" inside a value is replaced, it separates values in the URL
    assert again == spec


def test_downloads_neutralise_formula_cells(loaded):
    frame = explore.rows(loaded, Spec("logistics_subsidies"), None)
    frame.loc[0, "enterprise"] = "+cmd|' /C calc'!A0"
    frame.loc[1, "enterprise"] = "@SUM(1+1)"
    frame.loc[2, "enterprise"] = "-2+3"
    frame.loc[3, "enterprise"] = "\tTAB"
    text = explore.csv_bytes(frame).decode("utf-8")
    assert text.startswith("\ufeff")  # BOM: Excel opens UTF-8 Chinese correctly
    import csv

    cells = [c for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for c in row]
    formula_like = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert formula_like == []
    assert "'=HYPERLINK(\"http://x\")" in cells and "'+cmd|' /C calc'!A0" in cells
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(explore.xlsx_bytes(frame)))
    values = [v for row in book.get_sheet_by_index(0).to_python() for v in row if isinstance(v, str)]
    assert not [v for v in values if v[:1] in ("=", "+", "-", "@", "\t")]
    assert "'@SUM(1+1)" in values


# ------------------------------------------------------------------------------------------------ sandbox

@pytest.fixture
def sandbox(loaded):
    return build_sandbox(loaded)


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_sandbox_answers_a_select(sandbox):
    result = run_query(sandbox, "SELECT enterprise, sum(amount) AS s FROM logistics_subsidies GROUP BY 1 ORDER BY 1")
    assert result.frame.values.tolist() == [["乙公司", 20.0], ["甲合作社", 20.0]]


@pytest.mark.parametrize("query", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM glob('/*')",
    "COPY logistics_subsidies TO '/tmp/leak.csv'",
    "ATTACH '/tmp/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "PRAGMA database_list",
    "SELECT 1; SELECT 2",
    "SELECT * FROM read_parquet('http://127.0.0.1/x.parquet')",
    "CREATE TABLE x AS SELECT 1",
    "DELETE FROM logistics_subsidies",
])
@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_sandbox_refuses_every_escape(sandbox, query, tmp_path):
    with pytest.raises(SandboxError):
        run_query(sandbox, query)
    assert not Path("/tmp/leak.csv").exists()
    assert run_query(sandbox, "SELECT count(*) FROM logistics_subsidies").frame.iloc[0, 0] == 5


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_sandbox_caps_the_results_size_in_the_child(sandbox):
    # 100 rows of 1,000 characters: 100 × (1,000 + 16) = 101,600 bytes as counted, under a 200,000 cap (195 kB);
    # 300 rows are 304,800, over it: refused, naming the cap, with the row the count passed it at (a batch's end).
    assert len(run_query(sandbox, "SELECT repeat('x',1000) FROM range(100)", result_cap=200_000).frame) == 100
    with pytest.raises(SandboxError) as exc:
        run_query(sandbox, "SELECT repeat('x',1000) FROM range(300)", result_cap=200_000)
    assert exc.value.message("zh").startswith("查询结果超过 195 kB 的上限（读到第 256 行时）")
    assert "over the 195 kB limit (reached at row 256)" in exc.value.message("en")
    # Text is counted as UTF-8: 100 rows of 1,000 CJK characters are 100 × (3,000 + 16) = 301,600 bytes.
    with pytest.raises(SandboxError):
        run_query(sandbox, "SELECT repeat('字',1000) FROM range(100)", result_cap=200_000)


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_the_dashboard_reads_no_more_than_an_answer_can_be(sandbox, monkeypatch):
    """Whatever the child sends, the parent stops reading past the answer's cap and kills it (a child that
    floods the pipe would otherwise fill the dashboard's memory until the time limit)."""
    import sys
    import time

    from metrics.platform import sandbox as sandbox_module

    flood = "import sys\nsys.stdin.buffer.read()\nwhile True: sys.stdout.buffer.write(b'x' * 2**20)"
    monkeypatch.setattr(sandbox_module, "CHILD_COMMAND", [sys.executable, "-c", flood])
    start = time.monotonic()
    with pytest.raises(SandboxError) as exc:
        run_query(sandbox, "SELECT 1", result_cap=2**20)  # read at most 1 MB + 256 kB + 1 MB
    assert "查询结果超过 1 MB 的上限" in exc.value.message("zh")
    assert time.monotonic() - start < 5  # stopped at the cap, not at the 10 s time limit


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_sandbox_has_no_access_to_the_store(loaded, sandbox):
    # Ledger tables are copies: the load log and bookkeeping tables are not there at all.
    with pytest.raises(SandboxError):
        run_query(sandbox, "SELECT * FROM loads")


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_a_runaway_query_is_stopped_within_the_limit(sandbox):
    start = time.monotonic()
    with pytest.raises(SandboxError) as exc:
        run_query(sandbox, "SELECT count(*) FROM range(1000000000000) a, range(10) b", time_limit_s=1.5)
    assert time.monotonic() - start < 5
    assert "中止" in exc.value.message()
    assert run_query(sandbox, "SELECT 42").frame.iloc[0, 0] == 42  # the sandbox still works afterwards


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_row_cap(sandbox):
    result = run_query(sandbox, "SELECT * FROM range(50)", row_cap=10)
    assert len(result.frame) == 10 and result.truncated


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_sql_command_line(tmp_path, capsys):
    from metrics.__main__ import main

    db = str(tmp_path / "k.duckdb")
    con = store.connect(db)
    assert ingest.ingest_files(con, [("w.csv", csv_bytes(SUBSIDIES))]).committed
    con.close()
    assert main(["--db", db, "sql", "SELECT count(*) AS n FROM logistics_subsidies", "--csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "5"]
    assert main(["--db", db, "sql", "COPY logistics_subsidies TO '/tmp/x.csv'"]) == 1
    assert "只允许 SELECT" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- the page

@pytest.mark.slow  # the page runs its query in the sandbox child (metrics.platform.sandbox)
def test_explore_page_reads_its_view_from_the_url(loaded, tmp_path, monkeypatch):
    import time as t

    from streamlit.testing.v1 import AppTest

    from metrics.platform.auth import User

    db = tmp_path / "test.duckdb"
    monkeypatch.setenv("KPI_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.query_params.update(explore.to_params(Spec("logistics_subsidies", [Filter("carrier", "contains", ["中通"])],
                                                  ["enterprise"])))
    at.session_state["user"] = User("ana", "分析员", "editor", "local")
    at.session_state["user_seen"] = t.time()
    at.run()
    at.switch_page("pages/explore.py").run()
    assert not at.exception, [e.value for e in at.exception]
    result = at.dataframe[0].value
    assert dict(zip(result["企业"], result["行数"])) == {"甲合作社": 2, "乙公司": 1}  # 中通 only: W1 W4 / W3
    at.text_area(key="ex_sql").input("SELECT count(*) AS n FROM logistics_subsidies").run()
    at.button(key="ex_sql_run").click().run()
    assert any(d.value.iloc[0, 0] == 5 for d in at.dataframe if list(d.value.columns) == ["n"])
