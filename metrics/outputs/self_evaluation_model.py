"""The figures of the 项目支出绩效自评表 (财预〔2020〕10号, 附件): one sheet per calendar year of the project and one for
the whole project, each judged by the pack's date rule (metrics.outputs.pack_dates) at its own date.

Scoring (docs/acceptance.md, the one place it is written down):
- 预算执行率: 分值 x min(1, 全年执行数 / 全年预算数); no 全年预算数 configured -> 0, saying so.
- each KPI (三级指标): full 分值 when its 实际完成值 reaches the 年度指标值; otherwise 分值 x value / 年度指标值 (0..分值);
  no data 0. The 年度指标值 of the whole-project sheet is the plan's target; of a year sheet, the target where the KPI's
  deadline falls in or before that year (yearly KPIs: every year), else the plan's straight-line pace at the sheet's
  date (rates: the target). Its 偏差 text measures the gap against that 年度指标值, not the plan's full target.
- 时效: 分值 x milestones done on time / milestones due by the sheet's date (none due -> 0, saying so).
- 成本: 分值 x plan lines within their plan / plan lines with a plan amount.
- 服务对象满意度: full 分值 when satisfied / sample (surveys up to the sheet's date) reaches the target, else 分值 x
  rate / target; no survey -> 暂无数据 and 0, saying so.
Every score is rounded to 2 decimals where it is made; the total is their sum.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from metrics.core.config import BUDGET_KPI, EVALUATION_LEVELS, CountyConfig
from metrics.core.i18n import t
from metrics.core.registry import KPI_BY_ID
from metrics.core.self_evaluation_config import CARRIED_OVER, FUND_SOURCES
from metrics.core.words import in_row
from metrics.kpi import budget, views
from metrics.kpi.formatting import format_date, format_target, format_value
from metrics.kpi.scorecard import KpiResult, gap_text
from metrics.platform import store

TOTAL_FUNDS = "total"  # the first fund row (年度资金总额); the others are FUND_SOURCES
PERCENT = "{:.1%}"
# The form's 一级 and the 二级 of its own measures, as config.EVALUATION_LEVELS names them.
OUTPUT, OUTCOME, SATISFACTION = EVALUATION_LEVELS
TIMELINESS, COST = EVALUATION_LEVELS[OUTPUT][1][2], EVALUATION_LEVELS[OUTPUT][1][3]
BENEFICIARIES = EVALUATION_LEVELS[SATISFACTION][1][0]


@dataclass
class FundRow:
    source: str  # TOTAL_FUNDS or one of FUND_SOURCES
    initial_wan: float | None  # None: 未配置
    full_wan: float | None
    executed_wan: float | None  # None: not attributable to this source
    points: float | None = None  # only the total row is scored
    rate: float | None = None
    score: float | None = None


@dataclass
class IndicatorRow:
    key: str  # a KPI id, or timeliness / cost / satisfaction: the key of its stored edit
    level1: str
    level2: str
    level3: str
    target_text: str
    actual_text: str
    points: float
    score: float
    deviation: str  # 偏差原因分析及改进措施, generated (an editor's stored words replace it)
    short: bool  # below its 年度指标值 (written in red)


@dataclass
class Sheet:
    key: str  # "2023" or "project": the key of its stored edits
    year: int | None  # None: the whole project
    as_of: dt.date  # the sheet's date (a KPI's own date may be earlier, see the pack's rule)
    money_as_of: dt.date
    period_start: dt.date
    funds: list[FundRow]
    budget_note: str  # why the 预算执行率 scores what it does, when not plain
    goal_expected: str
    goal_actual: str
    indicators: list[IndicatorRow]
    budget_points: float
    budget_score: float
    edited: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # key -> (text, who, when)

    @property
    def total(self) -> float:
        return round(self.budget_score + sum(r.score for r in self.indicators), 2)

    @property
    def points(self) -> float:
        return round(self.budget_points + sum(r.points for r in self.indicators), 2)


def indicator_score(points: float, value: float | None, goal: float | None, reached: bool) -> float:
    """The rule of every scored row: full points when reached; otherwise points x value / goal, within 0..points;
    no data scores 0. Rounded to 2 decimals, as the form shows it."""
    if value is None:
        return 0.0
    if reached or not goal or goal <= 0:
        return round(points, 2)
    return round(points * min(1.0, max(0.0, value / goal)), 2)


def _kpi_goal(r: KpiResult, sheet_as_of: dt.date, whole: bool, lang: str) -> tuple[float, str]:
    """The 年度指标值 (a number to score against) and its words."""
    if whole or r.deadline <= sheet_as_of or r.expected is None:
        return r.target, format_target(r.id, r.target, r.target_max, lang)
    return r.expected, t("selfeval_by_pace", lang, value=format_value(r.id, round(r.expected, 2), lang))


def _deviation(short: bool, gap: str, status_label: str, lang: str, no_data: bool = False) -> str:
    if not short:
        return t("target_met", lang)
    if no_data:
        return t("selfeval_no_data_why", lang, to_fill=t("acceptance_to_fill", lang))
    return t("acceptance_deviation_to_fill", lang, gap=gap, status_label=status_label,
             to_fill=t("acceptance_to_fill", lang))


def kpi_rows(results: list[KpiResult], config: CountyConfig, sheet_as_of: dt.date, whole: bool,
             lang: str) -> list[IndicatorRow]:
    by_id = {r.id: r for r in results}
    rows = []
    for ind in config.evaluation:
        if ind.kpi_id == BUDGET_KPI:
            continue
        r = by_id[ind.kpi_id]
        goal, goal_text = _kpi_goal(r, sheet_as_of, whole, lang)
        reached = r.value is not None and r.value >= goal - 1e-9
        score = indicator_score(ind.points, r.value, goal, reached)
        # The gap against this sheet's 年度指标值: a year sheet's goal is the year's share of the target, and "还差
        # 3,624 人次" against the full target told a 2022 reader the whole project's shortfall (issue 24).
        gap = r.gap if goal == r.target else gap_text(KPI_BY_ID[r.id], r.value, goal, None, lang)
        rows.append(IndicatorRow(r.id, ind.level1, ind.level2, r.name, goal_text, format_value(r.id, r.value, lang),
                                 ind.points, score, _deviation(not reached, gap, r.status_label, lang, r.value is None),
                                 not reached))
    return rows


def timeliness_row(con: duckdb.DuckDBPyConnection, config: CountyConfig, start: dt.date, as_of: dt.date,
                   lang: str) -> IndicatorRow:
    """时效: milestones due in the sheet's period (planned end from `start` to as-of) done by their planned end."""
    frame = views.milestones(con, as_of)
    ends = pd.to_datetime(frame["planned_end"]).dt.date
    due = frame[(ends >= start) & (ends <= as_of)]
    on_time = int((due["state"] == "done").sum())
    late = [f"{row.milestone_id} {row.task}" for row in due.itertuples() if row.state != "done"]
    points = config.self_evaluation.timeliness_points
    if due.empty:
        return IndicatorRow("timeliness", OUTPUT, TIMELINESS, t("selfeval_timeliness", lang), "100%",
                            t("selfeval_none_due", lang), points, 0.0, t("selfeval_none_due_why", lang), True)
    rate = on_time / len(due)
    deviation = (t("target_met", lang) if not late else
                 t("selfeval_late_milestones", lang, items=t("list_separator", lang).join(late),
                   to_fill=t("acceptance_to_fill", lang)))
    return IndicatorRow("timeliness", OUTPUT, TIMELINESS, t("selfeval_timeliness", lang), "100%",
                        t("selfeval_on_time", lang, done=on_time, due=len(due), rate=PERCENT.format(rate)),
                        points, round(points * rate, 2), deviation, bool(late))


def cost_row(lines: pd.DataFrame, config: CountyConfig, lang: str) -> IndicatorRow:
    """成本: plan lines with a plan amount whose spending stays within it."""
    planned = lines[~lines["plan_blank"]]
    over = [f"{row.line_id} {in_row(row, 'name', lang)}" for row in planned.itertuples()
            if row.over_plan]
    within = len(planned) - len(over)
    points = config.self_evaluation.cost_points
    rate = within / len(planned) if len(planned) else 0.0
    deviation = (t("target_met", lang) if not over else
                 t("selfeval_over_plan", lang, items=t("list_separator", lang).join(over),
                   to_fill=t("acceptance_to_fill", lang)))
    return IndicatorRow("cost", OUTPUT, COST, t("selfeval_cost", lang), t("selfeval_cost_goal", lang),
                        t("selfeval_within", lang, within=within, lines=len(planned)), points,
                        round(points * rate, 2), deviation, bool(over))


def satisfaction_row(con: duckdb.DuckDBPyConnection, config: CountyConfig, as_of: dt.date,
                     lang: str) -> IndicatorRow:
    sample, satisfied = store.one(con, "SELECT coalesce(sum(sample), 0), coalesce(sum(satisfied), 0) "
                                       "FROM satisfaction_surveys WHERE date <= ?", [as_of])
    se = config.self_evaluation
    goal = t("selfeval_satisfaction_goal", lang, target=PERCENT.format(se.satisfaction_target))
    if not sample:
        return IndicatorRow("satisfaction", SATISFACTION, BENEFICIARIES, t("selfeval_satisfaction", lang), goal,
                            t("status_no_data", lang), se.satisfaction_points, 0.0,
                            t("selfeval_no_survey", lang), True)
    rate = round(int(satisfied) / int(sample), 6)
    reached = rate >= se.satisfaction_target
    return IndicatorRow("satisfaction", SATISFACTION, BENEFICIARIES, t("selfeval_satisfaction", lang), goal,
                        t("selfeval_satisfied", lang, satisfied=int(satisfied), sample=int(sample),
                          rate=PERCENT.format(rate)),
                        se.satisfaction_points, indicator_score(se.satisfaction_points, rate, se.satisfaction_target, reached),
                        t("target_met", lang) if reached else t("selfeval_satisfaction_short", lang,
                                                                to_fill=t("acceptance_to_fill", lang)),
                        not reached)


def order(rows: list[IndicatorRow]) -> list[IndicatorRow]:
    """As the form draws them: by 一级 then 二级 in the form's order, the configured order within."""
    levels = list(EVALUATION_LEVELS)
    return sorted(rows, key=lambda r: (levels.index(r.level1), EVALUATION_LEVELS[r.level1][1].index(r.level2)))


def fund_rows(config: CountyConfig, year: int | None, executed: float, budget_points: float,
              lang: str) -> tuple[list[FundRow], float, str]:
    """The 项目资金 rows, the 预算执行率 score and its note. The whole project: 本年财政拨款 and 其他资金 summed over the
    years (上年结转资金 is money already counted), else the plan's budget."""
    se = config.self_evaluation
    if year is None:
        by_source = {s: [f for f in se.funds if f.source == s] for s in FUND_SOURCES}
        sources = {s: (budget.wan(sum(f.initial_wan for f in fs)), budget.wan(sum(f.full_wan for f in fs)))
                   if se.funds else (None, None) for s, fs in by_source.items()}
        sources[CARRIED_OVER] = (0.0, 0.0)
        total_full = config.budget_wan
        total_initial = config.budget_wan
    else:
        # A year with entries: a source not listed had nothing (0); a year without any: every cell 未配置.
        mine = se.funds_of(year)
        sources = {s: ((mine[s].initial_wan, mine[s].full_wan) if s in mine else (0.0, 0.0) if mine else (None, None))
                   for s in FUND_SOURCES}
        known = [v for v in sources.values() if v[1] is not None]
        total_initial = budget.wan(sum(v[0] for v in known)) if known else None
        total_full = budget.wan(sum(v[1] for v in known)) if known else None
    funded = [s for s, (_, full) in sources.items() if full]
    rows = [FundRow(TOTAL_FUNDS, total_initial, total_full, executed, budget_points)]
    for s in FUND_SOURCES:
        initial, full = sources[s]
        rows.append(FundRow(s, initial, full, executed if funded == [s] else None))
    note = ""
    if not total_full:
        score = 0.0
        note = t("selfeval_budget_not_configured", lang, year=year)
    else:
        rows[0].rate = round(executed / total_full, 6)
        score = round(budget_points * min(1.0, rows[0].rate), 2)
    rows[0].score = score
    return rows, score, note


def goals(results: list[KpiResult], executed: float, full: float | None, as_of: dt.date, lang: str) -> tuple[str, str]:
    expected = t("selfeval_goal_expected", lang, targets=t("semicolon_separator", lang).join(
        f"{r.name} {format_target(r.id, r.target, r.target_max, lang)}" for r in results if r.id != BUDGET_KPI))
    counts = {s: sum(r.status == s for r in results if r.id != BUDGET_KPI) for s in ("achieved", "missed")}
    actual = t("selfeval_goal_actual", lang, as_of=format_date(as_of, lang), n=len(results) - 1,
               achieved=counts["achieved"], missed=counts["missed"], others=len(results) - 1 - sum(counts.values()),
               executed=f"{executed:,.2f}",
               rate=PERCENT.format(executed / full) if full else t("selfeval_not_configured", lang))
    return expected, actual


def spent_between(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> float:
    return budget.wan(store.one(con, "SELECT coalesce(sum(amount), 0) FROM expenditures WHERE date >= ? AND date <= ?",
                                [start, end])[0])


def sheets(con: duckdb.DuckDBPyConnection, dates, config: CountyConfig, lang: str, results_for,
           pack_results: list[KpiResult], lines: pd.DataFrame) -> list[Sheet]:
    """One sheet per calendar year of the project up to the pack's date, then the whole project (the pack's dates).
    `results_for(PackDates)` judges every KPI at its date (metrics.outputs.acceptance.judged_results)."""
    from metrics.outputs.pack_dates import pack_dates

    budget_points = next((i.points for i in config.evaluation if i.kpi_id == BUDGET_KPI), 0.0)
    out = []
    last_year = min(dates.as_of.year, config.end.year)
    for year in range(config.start.year, last_year + 1):
        sheet_dates = pack_dates(con, min(dt.date(year, 12, 31), dates.as_of), config)
        start = dt.date(year, 1, 1) if year > config.start.year else dt.date.min  # early payments count in year one
        out.append(_sheet(con, str(year), year, sheet_dates, start, config, lang, results_for(sheet_dates),
                          budget.budget_lines(con, sheet_dates.money_as_of, config), budget_points))
    out.append(_sheet(con, "project", None, dates, dt.date.min, config, lang, pack_results, lines, budget_points))
    return out


def _sheet(con, key: str, year: int | None, dates, start: dt.date, config: CountyConfig, lang: str,
           results: list[KpiResult], lines: pd.DataFrame, budget_points: float) -> Sheet:
    money = dates.money_as_of
    executed = spent_between(con, start, money)
    funds, budget_score, note = fund_rows(config, year, executed, budget_points, lang)
    rows = kpi_rows(results, config, dates.as_of, year is None, lang)
    rows += [timeliness_row(con, config, start, money, lang), cost_row(lines, config, lang),
             satisfaction_row(con, config, dates.as_of, lang)]
    expected, actual = goals(results, executed, funds[0].full_wan, dates.as_of, lang)
    return Sheet(key, year, dates.as_of, money, start, funds, note, expected, actual, order(rows), budget_points,
                 budget_score)
