"""The acceptance pack (验收材料) at an as-of date: the Word report, the 绩效自评表 and the evidence pack.

Every figure comes from what the dashboard shows: the KPI values, targets and statuses from metrics.kpi.scorecard, the
money from metrics.kpi.budget, the activity counts from metrics.kpi.views. Nothing here computes a KPI a second time, so the
files agree with the dashboard to the last digit.

`collect` reads everything inside one database connection (quick); the three files are then built from that data
with the connection closed (`build`), so a dashboard session never renders while holding the database file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from metrics.core.config import ConfigError, CountyConfig, default_config
from metrics.core.i18n import t
from metrics.core.registry import KPIS
from metrics.kpi import budget
from metrics.kpi.scorecard import KpiResult, LedgerFacts, evaluate
from metrics.outputs.activities import activities as _activities
from metrics.outputs.evidence import MAX_EVIDENCE_BYTES, KpiEvidence, PackTooLarge, collect_evidence
from metrics.outputs.pack_dates import PackDates, pack_dates
from metrics.outputs.self_evaluation_edits import apply_edits, read_edits
from metrics.outputs.self_evaluation_model import Sheet
from metrics.outputs.self_evaluation_model import sheets as self_evaluation_sheets
from metrics.platform import store

__all__ = ["MAX_EVIDENCE_BYTES", "PackTooLarge", "AcceptanceData", "collect", "file_names"]

Progress = Callable[[float, str], None]

# 绩效评价等级: the lowest total score of each grade; its word is `acceptance_grade_<id>` in the catalogues.
GRADES = ((90, "excellent"), (80, "good"), (60, "fair"), (0, "poor"))
RED = "C00000"


# ---------------------------------------------------------------------------------------------- scoring

def grade(total: float, lang: str = "zh") -> str:
    grade_id = next((g for floor, g in GRADES if total >= floor), GRADES[-1][1])
    return t(f"acceptance_grade_{grade_id}", lang)


@dataclass
class AcceptanceData:
    as_of: dt.date
    lang: str
    config: CountyConfig
    demo: bool
    results: list[KpiResult]
    lines: pd.DataFrame
    groups: pd.DataFrame
    payees: pd.DataFrame
    stages: pd.DataFrame
    early: pd.DataFrame
    activities: list[tuple[str, list[str]]]
    evidence: dict[str, KpiEvidence]
    dates: PackDates  # the pack's date, each KPI's judging date, the money's date
    after_end: pd.DataFrame  # payments after the money's date up to the pack's date: voucher, date, line, amount, payee
    sheets: list[Sheet]  # the 绩效自评表: one per calendar year, then the whole project
    reconciliation: dict  # 物流补贴 ledger (元) against plan line 5.3's payments (万元), at the money's date
    blobs: dict[str, bytes] | None = None  # evidence contents by sha256; None in a preview (collect(contents=False))
    made_on: dt.date = field(default_factory=dt.date.today)

    @property
    def paid_after_end_wan(self) -> float:
        return budget.wan(self.after_end["amount"].sum()) if not self.after_end.empty else 0.0

    @property
    def by_id(self) -> dict[str, KpiResult]:
        return {r.id: r for r in self.results}


def collect(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, lang: str = "zh",
            config: CountyConfig | None = None, progress: Progress | None = None,
            contents: bool = True) -> AcceptanceData:
    """Everything the three files show, each KPI read at its own judging date and the money at the project's end
    (metrics.outputs.pack_dates; as_of None: the default pack date). Raises ConfigError when [evaluation] is missing
    and PackTooLarge when the evidence would not fit. `contents=False` (a preview) leaves the evidence files' bytes
    in the database."""
    config = config or default_config()
    if not config.evaluation:
        raise ConfigError(config.path, ["evaluation.indicators: missing (the self-evaluation sheet needs each KPI's "
                                        "level-1 and level-2 headings and points)"])
    step = progress or (lambda fraction, message: None)
    dates = pack_dates(con, as_of, config)
    step(0.05, "scorecard")
    results = judged_results(con, dates, config, lang)
    by_id = {r.id: r for r in results}
    step(0.2, "budget")
    money = dates.money_as_of
    lines = budget.budget_lines(con, money, config)
    stages, early = budget.stage_acceptance(con, money, config)
    after_end = store.query(con, """
        SELECT voucher, date, line, amount, payee FROM expenditures WHERE date > ? AND date <= ?
        ORDER BY date, voucher""", [money, dates.as_of])
    step(0.3, "ledgers")
    activities = _activities(con, by_id, money, lang)
    step(0.4, "evidence")
    evidence, blobs = collect_evidence(con, results, dates.kpi_dates, lang, contents)
    step(0.42, "self-evaluation")
    sheets = self_evaluation_sheets(con, dates, config, lang, lambda d: judged_results(con, d, config, lang),
                                    results, lines)
    apply_edits(sheets, read_edits(con))
    return AcceptanceData(dates.as_of, lang, config, store.demo_loaded(con), results, lines,
                          budget.budget_groups(lines, config), budget.payments_by_payee(con, money), stages, early,
                          activities, evidence, dates, after_end, sheets,
                          budget.logistics_reconciliation(con, money), blobs)


def judged_results(con: duckdb.DuckDBPyConnection, dates: PackDates, config: CountyConfig,
                   lang: str) -> list[KpiResult]:
    """Each KPI evaluated at its judging date, in the registry's order (the scorecard's own evaluate: same figures)."""
    facts = {day: LedgerFacts.read(con, day) for day in dates.distinct_kpi_dates}
    return [evaluate(con, kpi, dates.kpi_dates[kpi.id], config, lang, with_forecast=False,
                     facts=facts[dates.kpi_dates[kpi.id]]) for kpi in KPIS]


def file_names(as_of: dt.date, lang: str) -> dict[str, str]:
    day = as_of.isoformat()
    return {"report": t("acceptance_file_report", lang, day=day), "self_eval": t("acceptance_file_self_eval", lang,
                                                                                 day=day),
            "pack": t("acceptance_file_pack", lang, day=day)}
