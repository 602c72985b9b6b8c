"""Parts of the acceptance report (验收报告) that the committee reads as conclusions: the reconciliation of two ledgers
that describe the same money, the self-evaluation's score and grade, and 六、结论与下一步工作 with its marked place for
the county's words. Figures only from AcceptanceData (collected once)."""

from __future__ import annotations

from metrics.core.i18n import t
from metrics.kpi import budget
from metrics.kpi.budget import LOGISTICS_LINE, MISMATCH_WAN
from metrics.kpi.formatting import format_date
from metrics.outputs.acceptance import grade


def reconciliation_paragraphs(data) -> list[tuple[str, bool]]:
    """(sentence, is_a_flag) for the report's 四（四）."""
    r, lang = data.reconciliation, data.lang
    text = t("report_reconcile_logistics", lang, as_of=format_date(data.dates.money_as_of, lang),
             ledger_yuan=f"{r['ledger_yuan']:,.2f}", ledger_wan=f"{r['ledger_wan']:,.4f}",
             paid_wan=f"{r['paid_wan']:,.4f}", difference_wan=f"{r['difference_wan']:,.4f}", line=LOGISTICS_LINE)
    flag = t("report_reconcile_agrees" if r["agrees"] else "report_reconcile_mismatch", lang,
             limit=f"{MISMATCH_WAN:.2f}")
    return [(text, False), (flag, not r["agrees"])]


def self_evaluation_sentence(data) -> str:
    sheet = data.sheets[-1]
    return t("report_self_evaluation", data.lang, total=f"{sheet.total:.2f}", points=f"{sheet.points:g}",
             grade=grade(sheet.total, data.lang))


def conclusion_paragraphs(data) -> list[str]:
    lang = data.lang
    judged = [r for r in data.results]
    achieved = sum(r.status == "achieved" for r in judged)
    missed = sum(r.status == "missed" for r in judged)
    spent = budget.wan(data.lines["spent_wan"].sum())
    rate = spent / data.config.budget_wan if data.config.budget_wan else 0.0
    return [
        t("report_conclusion", lang, end=format_date(data.dates.money_as_of, lang), n=len(judged), achieved=achieved,
          missed=missed, spent=f"{spent:,.2f}", rate=f"{rate:.1%}"),
        self_evaluation_sentence(data),
        t("report_next_steps", lang),
    ]

