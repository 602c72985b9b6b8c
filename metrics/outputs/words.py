"""Figures in words for the acceptance pack: amounts, rates and completion, rounded where they are made (one place,
so no file shows binary-float noise such as 452.0000000000001)."""

from __future__ import annotations

from metrics.core.i18n import t
from metrics.kpi.scorecard import KpiResult


def completion(r: KpiResult) -> str:
    return "—" if r.progress is None else f"{r.progress * 100:.1f}%"


def met(r: KpiResult, lang: str) -> str:
    if r.value is None:
        return r.status_label
    return t("acceptance_yes" if r.status == "achieved" else "acceptance_no", lang)


def wan(x) -> str:
    return "—" if x is None or x != x else f"{float(x):,.2f}"


def million(wan: float) -> str:
    """万元 in English prose: 452 万元 = 4.52 million yuan (1 万 = 10,000)."""
    return f"{wan / 100:,.2f} million yuan"


def rate(x) -> str:
    return "—" if x is None or x != x else f"{float(x) * 100:.1f}%"


def kpi_sentence(r, lang: str) -> str:
    """One sentence per KPI from its template in the catalogues (`kpi_<id>_sentence`), its zero form when the value is
    0 ("未举办站点技能比赛", not "举办…0 场"), the year for a yearly KPI (its deadline's year)."""
    from metrics.kpi.formatting import format_value

    if r.value is None:
        return t("report_kpi_sentence_no_data", lang, name=r.name)
    key = f"kpi_{r.id}_sentence" + ("_zero" if r.value == 0 else "")
    return t(key, lang, value=format_value(r.id, r.value, lang), year=r.deadline.year)
