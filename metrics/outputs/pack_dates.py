"""The dates an acceptance pack judges at (kpis.md, "Acceptance"; docs/acceptance.md).

- Each KPI at its own deadline: a deadline on or before the pack's date -> the KPI's value and status at its deadline
  (what the plan promised by then); a later deadline -> its value and pace status at the pack's date.
- Money and milestones at the project's end date (county.toml [calendar] end), or the pack's date if earlier;
  payments after the end are listed separately, never added in.
- The pack's date, when not chosen: the latest KPI deadline the data reaches (the latest data date on or after it),
  else the latest data date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from metrics.core.config import BUDGET_KPI, CountyConfig, default_config
from metrics.core.registry import KPIS
from metrics.kpi.scorecard import latest_data_date

# Why the pack has its date; each reason's words are `acceptance_date_reason_<id>` in the catalogues.
REASONS = ("chosen", "latest_deadline", "latest_data")


@dataclass(frozen=True)
class PackDates:
    as_of: dt.date  # the pack's date (its file names)
    reason: str  # one of REASONS
    money_as_of: dt.date  # payments, plan lines, stages, milestones: the project's end (or the pack's date if earlier)
    kpi_dates: dict[str, dt.date]  # each KPI's judging date
    deadlines: dict[str, dt.date]  # each KPI's deadline (a yearly KPI's: the end of the pack date's year)

    @property
    def distinct_kpi_dates(self) -> list[dt.date]:
        return sorted(set(self.kpi_dates.values()))

    def at_deadline(self, kpi_id: str) -> bool:
        """Judged at its deadline (its period over), not at the pack's date by pace."""
        return self.deadlines[kpi_id] <= self.as_of


def kpi_deadlines(config: CountyConfig, until: dt.date) -> list[dt.date]:
    """Every KPI deadline up to `until`: the fixed ones, and each year's end for yearly KPIs (deadline 'year_end')."""
    days = set()
    for kpi in KPIS:
        target = config.targets[kpi.id]
        if target.deadline is not None:
            days.add(target.deadline)
        else:
            days.update(dt.date(y, 12, 31) for y in range(config.start.year, until.year + 1))
    return sorted(d for d in days if d <= until)


def default_pack_date(con: duckdb.DuckDBPyConnection, config: CountyConfig | None = None,
                      today: dt.date | None = None) -> tuple[dt.date, str]:
    """The latest KPI deadline the data reaches, else the latest data date; with the reason's id."""
    config = config or default_config()
    latest = latest_data_date(con, today)
    reached = kpi_deadlines(config, latest)
    return (reached[-1], "latest_deadline") if reached else (latest, "latest_data")


def pack_dates(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None,
               config: CountyConfig | None = None) -> PackDates:
    config = config or default_config()
    reason = "chosen"
    if as_of is None:
        as_of, reason = default_pack_date(con, config)
    money_as_of = min(as_of, config.end)
    deadlines = {k.id: config.targets[k.id].deadline_for(as_of) for k in KPIS}
    kpi_dates = {k: min(d, as_of) for k, d in deadlines.items()}
    kpi_dates[BUDGET_KPI] = money_as_of  # the budget execution rate is money: judged where the money is
    return PackDates(as_of, reason, money_as_of, kpi_dates, deadlines)


def dates_sentence(dates: PackDates, lang: str) -> str:
    """Which dates the pack used and why, in one sentence (report, 自评表, page)."""
    from metrics.core.i18n import t
    from metrics.kpi.formatting import format_date

    return t("acceptance_dates_rule", lang, as_of=format_date(dates.as_of, lang),
             reason=t(f"acceptance_date_reason_{dates.reason}", lang),
             money_as_of=format_date(dates.money_as_of, lang))
