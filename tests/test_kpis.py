"""Every KPI on a tiny ledger whose answer is computed by hand in the comment beside it.

Ledgers are loaded through the real ingest path. As-of dates are chosen to exercise the traps kpis.md names.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from metrics.core.config import ConfigError, load_config
from metrics.core.registry import KPI_BY_ID, KPIS
from metrics.kpi import budget
from metrics.kpi.scorecard import evaluate, gap_text, history, scorecard
from metrics.load import ingest

from .ledgers import csv_bytes

D = dt.date


def ledger(con, *texts):
    result = ingest.ingest_files(con, [(f"f{i}.csv", csv_bytes(t)) for i, t in enumerate(texts)])
    assert result.committed, [e.as_text() for e in result.errors]


def kpi(con, kpi_id, as_of):
    from metrics.core.config import default_config

    return evaluate(con, KPI_BY_ID[kpi_id], as_of, default_config())


SESSIONS = """场次编号,培训日期,乡镇,培训主题,培训形式
S1,2023-03-01,禾木,直播带货,线下
S2,2023-06-01,禾木,网店运营,线下
S3,2023-09-01,冲乎尔,电商基础,线上
"""
ATTENDANCE = """场次编号,学员编号
S1,A
S1,B
S2,A
S2,C
S3,A
S3,D
"""


@pytest.fixture
def training(con):
    ledger(con, SESSIONS, ATTENDANCE)
    return con


def test_person_times_count_rows_up_to_as_of(training):
    # As of 2023-06-30: S1 (A, B) + S2 (A, C) = 4 rows; S3 (2023-09-01) is after the date and ignored.
    assert kpi(training, "training_person_times", D(2023, 6, 30)).value == 4
    # As of 2023-12-31: all 6 rows.
    assert kpi(training, "training_person_times", D(2023, 12, 31)).value == 6


def test_people_count_each_person_once(training):
    # As of 2023-06-30: A, B, C = 3 (A attended twice). As of year end: A, B, C, D = 4.
    assert kpi(training, "training_people", D(2023, 6, 30)).value == 3
    assert kpi(training, "training_people", D(2023, 12, 31)).value == 4


def test_conversion_rate_traps(training):
    ledger(training, """学员编号,转化日期,转化类型
A,2023-04-01,开设网店
A,2023-05-01,直播带货
B,2023-02-01,开设网店
C,2023-07-01,电商企业就业
D,2023-10-01,其他创业
""")
    # As of 2023-06-30: trainees A, B, C (3). A converted after S1 (2023-03-01): counts once though twice listed.
    # B's conversion (2023-02-01) is before B's first session (2023-03-01): not counted.
    # C's conversion (2023-07-01) is after the as-of date: not counted.  -> 1 / 3
    r = kpi(training, "training_conversion_rate", D(2023, 6, 30))
    assert r.value == pytest.approx(1 / 3)
    assert (r.detail["numerator"], r.detail["denominator"]) == (1, 3)
    # As of 2023-12-31: A, C, D converted (B still not) of A, B, C, D -> 3 / 4 = 0.75
    assert kpi(training, "training_conversion_rate", D(2023, 12, 31)).value == pytest.approx(0.75)


def test_conversion_rate_no_data_without_trainees(con):
    assert kpi(con, "training_conversion_rate", D(2023, 6, 30)).status == "no_data"


def retail_csv(months: dict[str, tuple[float, float]]) -> str:
    return "月份,全县网络零售额,农产品网络零售额\n" + "".join(f"{m},{t},{a}\n" for m, (t, a) in months.items())


def months(year: int, total: float, agri: float, skip: int | None = None) -> dict:
    return {f"{year}-{m:02d}": (total, agri) for m in range(1, 13) if m != skip}


def test_online_retail_growth_against_the_2021_baseline(con):
    ledger(con, retail_csv({**months(2021, 100, 20), **months(2022, 110, 22), **months(2023, 125, 25)}))
    # As of 2023-12-31: window 2023-01..2023-12 = 12 x 125 = 1500; baseline 2021 = 12 x 100 = 1200.
    # 1500 / 1200 - 1 = 0.25
    r = kpi(con, "online_retail_growth", D(2023, 12, 31))
    assert r.value == pytest.approx(0.25) and r.status == "achieved"
    # As of 2023-06-15: latest month with data <= as-of is 2023-06; window 2022-07..2023-06 = 6 x 110 + 6 x 125 = 1410.
    # 1410 / 1200 - 1 = 0.175, below 0.20 but above 0.7 x 0.20 = 0.14: at risk.
    r = kpi(con, "online_retail_growth", D(2023, 6, 15))
    assert r.value == pytest.approx(0.175) and r.status == "at_risk"


def test_online_retail_growth_no_data_when_a_month_is_missing(con):
    ledger(con, retail_csv({**months(2021, 100, 20, skip=5), **months(2022, 110, 22), **months(2023, 125, 25)}))
    # 2021-05 missing from the baseline year: no_data rather than a growth computed on 11 months.
    assert kpi(con, "online_retail_growth", D(2023, 12, 31)).status == "no_data"


def test_online_retail_growth_no_data_when_the_window_has_a_gap(con):
    ledger(con, retail_csv({**months(2021, 100, 20), **months(2022, 110, 22), **months(2023, 125, 25, skip=3)}))
    assert kpi(con, "online_retail_growth", D(2023, 12, 31)).value is None


def test_agri_yoy_needs_24_months(con):
    ledger(con, retail_csv({**months(2022, 110, 20), **months(2023, 125, 21)}))
    # As of 2023-12-31: window 2023 agri = 12 x 21 = 252; the 12 months before = 12 x 20 = 240. 252 / 240 - 1 = 0.05
    r = kpi(con, "agri_online_retail_yoy", D(2023, 12, 31))
    assert r.value == pytest.approx(0.05)


def test_agri_yoy_status_and_no_data(con):
    ledger(con, retail_csv({**months(2022, 110, 20), **months(2023, 125, 21)}))
    # 0.05 is below 0.7 x 0.10 = 0.07: behind. As of 2023-11-30 only 23 months exist: no data.
    assert kpi(con, "agri_online_retail_yoy", D(2023, 12, 31)).status == "behind"
    assert kpi(con, "agri_online_retail_yoy", D(2023, 11, 30)).status == "no_data"


TALENTS = """达人编号,姓名,乡镇,类型,孵化日期,具备直播带货能力
T1,甲,禾木,主播,2023-01-10,是
T2,乙,禾木,主播,2023-01-10,是
T3,丙,禾木,主播,2023-01-10,是
T4,丁,禾木,网店店主,2023-01-10,否
T5,戊,禾木,主播,2024-03-01,是
"""
FOLLOWERS = """达人编号,平台,日期,粉丝数
T1,抖音,2023-12-31,1.2万
T2,抖音,2023-12-31,6000
T2,快手,2023-12-31,5000
T3,抖音,2023-06-30,15000
T3,抖音,2023-12-31,9000
T4,抖音,2023-12-31,20000
T5,抖音,2023-12-31,30000
T1,快手,2024-01-31,200
T2,抖音,2024-02-01,10000
"""


def test_streamers_10k_traps(con):
    ledger(con, TALENTS, FOLLOWERS)
    # As of 2023-12-31:
    #   T1 12,000 on 抖音 -> counts.
    #   T2 6,000 + 5,000 on two platforms: never summed -> no.
    #   T3 15,000 earlier but latest snapshot 9,000 -> no.
    #   T4 20,000 but cannot sell live -> no.
    #   T5 30,000 but incubated 2024-03-01, after the date -> no.           => 1
    assert kpi(con, "streamers_10k", D(2023, 12, 31)).value == 1
    # As of 2024-03-31: T1 still 12,000 on 抖音 (its 快手 200 is another platform) -> yes; T2 10,000 on 抖音 -> yes;
    # T5 now incubated with 30,000 -> yes.                                   => 3
    assert kpi(con, "streamers_10k", D(2024, 3, 31)).value == 3
    # Snapshots after the as-of date are ignored: on 2024-01-31 T2's 10,000 (dated 02-01) is not yet there. => 1
    assert kpi(con, "streamers_10k", D(2024, 1, 31)).value == 1


def test_local_talents(con):
    ledger(con, TALENTS)
    # Incubated on or before 2023-12-31: T1-T4 = 4; all five by 2024-03-01.
    assert kpi(con, "local_talents", D(2023, 12, 31)).value == 4
    assert kpi(con, "local_talents", D(2024, 3, 1)).value == 5


def test_brands_range_target(con):
    ledger(con, """品牌名称,品牌类型,完成日期
B1,特色产业品牌,2023-01-01
B2,特色产业品牌,2023-02-01
B3,特色产业品牌,2023-03-01
B4,特色产业品牌,2023-04-01
B5,特色产业品牌,
N1,网销品牌,2023-05-01
""")
    # Industry brands completed by 2023-03-31: B1..B3 = 3, inside the 2-3 range: achieved.
    r = kpi(con, "industry_brands", D(2023, 3, 31))
    assert (r.value, r.target, r.target_max, r.status) == (3, 2, 3, "achieved")
    # By 2023-12-31: B1..B4 = 4 (B5 in progress): above the range, still achieved, gap says it exceeds the plan.
    r = kpi(con, "industry_brands", D(2023, 12, 31))
    assert (r.value, r.status) == (4, "achieved") and "超出计划上限 1" in r.gap
    # Online brands: 1 of 10-15.
    assert kpi(con, "online_brands", D(2023, 12, 31)).value == 1


def test_events_participants_and_contests(con):
    ledger(con, """活动编号,活动名称,类型,日期,参与主体
E1,推介一,推介活动,2023-05-01,甲、乙，丙
E2,推介二,推介活动,2023-08-01,乙;丁
E3,大赛,电商创业大赛,2023-09-01,
E4,沙龙,站长沙龙,2023-09-02,戊
E5,推介三,推介活动,2024-02-01,己
""")
    as_of = D(2023, 12, 31)
    assert kpi(con, "promotion_events", as_of).value == 2  # E1, E2 (E5 is later)
    assert kpi(con, "promotion_participants", as_of).value == 4  # 甲 乙 丙 丁; 乙 once; 戊 was at a salon
    assert kpi(con, "startup_contests", as_of).value == 1
    assert kpi(con, "station_skill_contests", as_of).value == 0


def test_products_assets(con):
    ledger(con, """单品名称,类型,上线日期
P1,旅游网红单品,2023-05-01
P2,旅游网红单品,
P3,农产品单品,2023-05-01
""", """资产编号,资产名称,类型,数量,验收日期
Z1,直播间,直播间,2,2023-06-30
Z2,直播间,直播间,1,2024-01-10
Z3,设备,直播设备,3,2023-07-01
Z4,设备,直播设备,1,
""")
    as_of = D(2023, 12, 31)
    assert kpi(con, "tourism_hit_products", as_of).value == 1  # P1 (P2 not launched; P3 another type)
    assert kpi(con, "livestream_rooms", as_of).value == 2  # Z1's quantity 2; Z2 accepted later
    assert kpi(con, "livestream_kits", as_of).value == 3  # Z3's 3; Z4 not accepted


def test_digital_enterprises_need_all_three(con):
    ledger(con, """企业名称,升级项目,完成日期
甲,在线下单,2023-03-01
甲,在线支付,2023-04-01
甲,在线库存管理,2023-05-01
乙,在线下单,2023-03-01
乙,在线支付,2023-03-01
乙,门店管理,2023-03-01
丙,在线下单,2023-03-01
丙,在线支付,2023-03-01
丙,在线库存管理,
""")
    # 甲 has all three by 2023-05-01; 乙 has 门店管理 instead of 库存; 丙's 库存 is in progress. => 1
    assert kpi(con, "digital_enterprises", D(2023, 12, 31)).value == 1
    assert kpi(con, "digital_enterprises", D(2023, 4, 30)).value == 0


def test_coverage_rates(con):
    ledger(con, """名称,乡镇,类型,社区团购覆盖,覆盖日期
C1,布尔津镇,社区,是,2023-03-01
C2,布尔津镇,社区,是,2023-09-01
C3,布尔津镇,社区,否,
C4,布尔津镇,社区,是,
V1,布尔津镇,村,是,2023-01-01
""", """站点编号,站点名称,级别,乡镇,自提点,运营状态
Z1,一,乡镇站,禾木,是,运营中
Z2,二,乡镇站,冲乎尔,否,运营中
Z3,三,乡镇站,杜来提,是,停运
Z4,四,村级点,杜来提,是,运营中
""")
    # As of 2023-06-30: C1 (dated) and C4 (covered, date unknown) of C1..C4 = 2 / 4; the village V1 is not a community.
    r = kpi(con, "group_buying_coverage", D(2023, 6, 30))
    assert r.value == pytest.approx(0.5) and r.status == "behind"  # 0.5 < 0.7 x 1.0
    assert kpi(con, "group_buying_coverage", D(2023, 12, 31)).value == pytest.approx(0.75)  # C1, C2, C4 of 4
    # Township stations in operation: Z1, Z2 (Z3 stopped, Z4 a village point); pickup: Z1. 1 / 2 = 0.5 < 0.6
    r = kpi(con, "pickup_coverage", D(2023, 6, 30))
    assert r.value == pytest.approx(0.5) and r.status == "at_risk"  # 0.5 >= 0.7 x 0.6 = 0.42


def test_wechat_articles_count_the_as_of_year(con):
    rows = [f"2023-{m:02d}-10,本县公众号,文{m}" for m in range(1, 13)]
    rows += ["2024-01-05,本县公众号,新年", "2024-02-05,本县公众号,春节", "2024-02-06,布尔津县零距离,转载",
             "2024-03-01,自治区主流媒体,报道", "2023-05-01,中央主流媒体,报道"]
    ledger(con, "发布日期,渠道,标题\n" + "\n".join(rows) + "\n")
    # As of 2024-02-29: 2024's articles on the county account = 2 (the 零距离 one is another channel).
    r = kpi(con, "wechat_articles", D(2024, 2, 29))
    assert r.value == 2
    # Its deadline is the end of the as-of year and its pace runs from 2024-01-01: 30 x 59 / 365 = 4.85 expected.
    assert r.deadline == D(2024, 12, 31)
    assert r.expected == pytest.approx(30 * 59 / 365)
    assert r.status == "behind"  # 2 < 0.7 x 4.85 = 3.39
    # As of 2023-12-31 the year is 2023: 12 articles. The deadline is that very day: the year is over, 12 < 30: missed.
    r = kpi(con, "wechat_articles", D(2023, 12, 31))
    assert (r.value, r.expected, r.status) == (12, 30, "missed")
    # The day before, the year is still open: the same 12 against 30 x 363 / 364 expected, 12 < 0.7 x that: behind.
    r = kpi(con, "wechat_articles", D(2023, 12, 30))
    assert (r.value, r.status) == (12, "behind")
    assert kpi(con, "mainstream_media_reports", D(2024, 3, 1)).value == 2  # 中央 2023-05-01 + 自治区 2024-03-01


def test_budget_execution_rate_and_lines(con):
    ledger(con, """凭证号,支付日期,预算科目,金额（万元）,拨付阶段
V1,2023-01-10,3.3,40,预拨
V2,2023-06-10,走出去，开展整体推介活动,30,阶段拨付
V3,2023-07-10,4.1,20,
V4,2025-01-10,4.1,10,尾款
""")
    # As of 2023-12-31: 40 + 30 + 20 = 90 of 500 万元 = 0.18.
    r = kpi(con, "budget_execution_rate", D(2023, 12, 31))
    assert r.value == pytest.approx(0.18)
    # Paced like a count: 2022-10-01 to 2024-10-31 is 761 days; 2023-12-31 is day 456. 1.0 x 456 / 761 = 0.599
    assert r.expected == pytest.approx(456 / 761)
    assert r.status == "behind"  # 0.18 < 0.7 x 0.599
    lines = budget.budget_lines(con, D(2023, 12, 31)).set_index("line_id")
    assert lines.loc["3.3", "spent_wan"] == 70 and lines.loc["3.3", "over_plan"]  # 40 + 30 > 60
    assert lines.loc["3.3", "stage_预拨"] == 40 and lines.loc["3.3", "stage_阶段拨付"] == 30
    assert lines.loc["4.1", "stage_未注明"] == 20  # V4 is after the as-of date
    assert lines.loc["5.2", "plan_blank"] and pd.isna(lines.loc["5.2", "execution"])  # no invented rate for 5.2
    assert "2" not in set(lines["group_id"])  # the plan has no group 2
    groups = budget.budget_groups(lines.reset_index()).set_index("group_id")
    assert groups.loc["3", "spent_wan"] == 70 and groups.loc["3", "plan_wan"] == 220


def test_count_kpi_with_no_rows_loaded_is_no_data(con):
    assert kpi(con, "local_talents", D(2023, 6, 30)).status == "no_data"


def test_history_gives_month_end_values_against_pace(training):
    points = history(training, "training_person_times", D(2023, 9, 30))
    # Month ends 2022-10-31 .. 2023-09-30 = 12 points; values 0 until S1 (March: 2), S2 (June: 4), S3 (Sept: 6).
    assert len(points) == 12
    values = {p["date"]: p["value"] for p in points}
    assert (values[D(2023, 2, 28)], values[D(2023, 3, 31)], values[D(2023, 6, 30)], values[D(2023, 9, 30)]) == (0, 2, 4, 6)
    assert points[-1]["expected"] == pytest.approx(4000 * 364 / 761)  # 2023-09-30 is day 364 of 761


def test_forecast_extrapolates_the_recent_trend(training):
    # As of 2023-09-01 the count is 6; 180 days earlier (2023-03-05) it was 2: 4 / 180 per day.
    # 426 days remain to 2024-10-31: 6 + 4 / 180 x 426 = 15.47
    r = kpi(training, "training_person_times", D(2023, 9, 1))
    assert r.forecast == pytest.approx(6 + 4 / 180 * 426)


def test_gap_in_words():
    k = KPI_BY_ID["training_person_times"]
    assert gap_text(k, 3950, 4000, None) == "还差 50 人次"
    assert gap_text(k, 3950, 4000, None, "en") == "50 person-times to go"
    assert gap_text(KPI_BY_ID["training_conversion_rate"], 0.015, 0.02, None) == "还差 0.5 个百分点"


def test_scorecard_has_every_kpi_with_the_contract_fields(training):
    results = scorecard(training, D(2023, 6, 30))
    assert [r.id for r in results] == [k.id for k in KPIS]
    data = [r.as_json() for r in results]
    json.dumps(data, ensure_ascii=False)
    for key in ("id", "name", "value", "unit", "target", "target_max", "expected", "status", "deadline"):
        assert key in data[0]


def test_scorecard_cli_json(tmp_path, capsys):
    from metrics.__main__ import main

    db = str(tmp_path / "k.duckdb")
    from metrics.platform import store

    con = store.connect(db)
    ledger(con, SESSIONS, ATTENDANCE)
    con.close()
    assert main(["--db", db, "scorecard", "--as-of", "2023-06-30", "--json"]) == 0
    data = {d["id"]: d for d in json.loads(capsys.readouterr().out)}
    assert data["training_person_times"]["value"] == 4 and data["training_people"]["value"] == 3
    assert data["local_talents"]["status"] == "no_data"
    assert main(["--db", db, "scorecard", "--as-of", "2023-06-30"]) == 0
    assert "电商培训人次" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["--db", db, "scorecard", "--as-of", "June"])
    assert exc.value.code == 2


def test_config_problems_are_all_reported(tmp_path):
    bad = tmp_path / "county.toml"
    bad.write_text("""
[calendar]
start = 2024-01-01
end = 2023-01-01
budget_wan = 100
status_threshold = 1.5
[[budget.groups]]
id = "1"
plan_wan = 50
[[budget.lines]]
id = "9.1"
plan_wan = 60
[targets.x]
max = 3
""", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(bad)
    text = " | ".join(exc.value.problems)
    for expected in ("start must be before end", "townships", "no group '9'", "status_threshold", "missing 'min'"):
        assert expected in text


def test_targets_are_checked_against_the_registry_when_the_configuration_loads(tmp_path):
    """A target naming no KPI and a KPI without a target are problems of the file, reported with all the others
    when it loads (before, the second surfaced only when a scorecard ran, in English whatever the reader's language)."""
    from metrics.core.config import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert "[targets.local_talents]" in text
    bad = tmp_path / "county.toml"
    bad.write_text(text.replace("[targets.local_talents]", "[targets.local_talent]", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(bad)
    problems = exc.value.problems
    assert "targets.local_talent: no such KPI" in problems
    assert "targets: no target for KPI 'local_talents'" in problems
    assert "targets：指标「local_talents」没有目标值" in exc.value.message("zh")


def test_golden_statuses_at_the_project_end_and_the_retail_deadline(training):
    """The scorecard at 2024-10-31 (most deadlines, the project's end) and 2024-12-31 (the retail and tourism
    deadline): on its deadline day a KPI short of its floor is missed, a later deadline still gets a pace status."""
    ledger(training, "单品名称,类型,上线日期\nP1,旅游网红单品,2023-05-01\nP2,旅游网红单品,2024-06-01\n")
    # Training (fixture): 6 person-times, 4 people, deadline 2024-10-31.
    for as_of, expected in ((D(2024, 10, 30), "behind"), (D(2024, 10, 31), "missed"), (D(2024, 12, 31), "missed")):
        r = kpi(training, "training_person_times", as_of)
        assert (r.value, r.status) == (6, expected), as_of  # 6 < 0.7 x ~4000 the day before; 6 < 4000 after
    # Tourism products: 2 launched (P1, P2), floor 3, deadline 2024-12-31, pace from 2022-10-01 (822 days).
    r = kpi(training, "tourism_hit_products", D(2024, 10, 31))
    # 3 x 761 / 822 = 2.777 expected; 2 >= 0.7 x 2.777 = 1.944: at risk, not missed (its deadline is later)
    assert (r.value, r.status) == (2, "at_risk") and r.expected == pytest.approx(3 * 761 / 822)
    r = kpi(training, "tourism_hit_products", D(2024, 12, 30))
    assert r.status == "behind"  # 3 x 820 / 822 = 2.993; 2 < 0.7 x 2.993 = 2.095
    assert kpi(training, "tourism_hit_products", D(2024, 12, 31)).status == "missed"  # the deadline day: over


def test_on_the_demo_no_kpi_is_still_at_risk_on_its_deadline_day(demo_db):
    """issue 24: at 2024-10-31 the demo said 存在风险 7 for KPIs whose deadline was that day. On its deadline day a KPI
    is achieved, missed or without data, never a pace status; a KPI due 2024-12-31 still has one."""
    from metrics.platform import store as store_module

    con = store_module.connect(demo_db, read_only=True)
    try:
        for day in (D(2024, 10, 31), D(2024, 12, 31)):
            results = scorecard(con, day, with_forecast=False)
            due = [r for r in results if r.deadline == day]
            assert due and {r.status for r in due} <= {"achieved", "missed", "no_data"}, day
        later = [r for r in scorecard(con, D(2024, 10, 31), with_forecast=False) if r.deadline > D(2024, 10, 31)]
        assert later and all(r.status != "missed" for r in later)  # 2024-12-31 KPIs: not yet over
    finally:
        con.close()
