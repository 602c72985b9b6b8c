"""Budget execution: spent per plan line and group, against plan and against pace, by disbursement stage.

Kept as the plan has it: group 2 does not exist and line 5.2 has no amount (plan_wan None): its spending is shown,
its execution rate is not invented.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from metrics.core.config import CountyConfig, default_config
from metrics.core.i18n import t
from metrics.core.words import Words
from metrics.kpi.status import pace_fraction
from metrics.platform import store

STAGES = ("预拨", "阶段拨付", "尾款")
FEN_DIGITS = 6  # 万元 to the fen (0.01 元 = 0.000001 万元): sums of binary floats rounded where they are made


def wan(x) -> float:
    """A sum of money in 万元, rounded to the fen: 452, not 452.0000000000001."""
    return round(float(x), FEN_DIGITS)


def share(part: float, whole: float | None) -> float | None:
    """A rate (execution, share) rounded where it is made; None without a whole."""
    return round(part / whole, 8) if whole else None
NOT_STATED = "未注明"  # the stage or payee of a payment that left it blank, written as a ledger value would be
# The stage values (the contract's words) -> their catalogue keys: `payment_stage_<key>` in every language.
STAGE_KEYS = {"预拨": "advance", "阶段拨付": "stage_payment", "尾款": "final_payment", NOT_STATED: "not_stated"}


def stage_name(stage, lang: str) -> str:
    """A payment stage in the reader's language (the ledger's own word when it is not one of the contract's)."""
    key = STAGE_KEYS.get(stage)
    return t(f"payment_stage_{key}", lang) if key else str(stage)


def budget_lines(con: duckdb.DuckDBPyConnection, as_of: dt.date, config: CountyConfig | None = None) -> pd.DataFrame:
    """One row per plan line: plan, spent, spent by stage, execution, expected by pace, over-plan flag."""
    config = config or default_config()
    spent = store.query(con, """
        SELECT line, coalesce(stage, ?) AS stage, sum(amount) AS amount
        FROM expenditures WHERE date <= ? GROUP BY ALL""", [NOT_STATED, as_of])
    pace = pace_fraction(as_of, config.start, config.targets["budget_execution_rate"].deadline_for(as_of))
    groups = {g.id: g for g in config.budget_groups}
    rows = []
    for line in config.budget_lines:
        mine = spent[spent["line"] == line.id]
        by_stage = {stage: wan(mine.loc[mine["stage"] == stage, "amount"].sum()) for stage in (*STAGES, NOT_STATED)}
        total = wan(mine["amount"].sum())
        plan = line.plan_wan
        rows.append({
            "line_id": line.id, "group_id": line.group, **groups[line.group].names.columns("group"),
            **line.names.columns("name"),  # name_zh, name_en, …: words.in_row(row, "name", lang) reads one
            "plan_wan": plan, "spent_wan": total,
            "execution": share(total, plan),
            "expected_wan": plan * pace if plan is not None else None,
            "over_plan": bool(plan is not None and total > plan + 1e-9),
            "plan_blank": plan is None,
            **{f"stage_{stage}": amount for stage, amount in by_stage.items()},
        })
    return pd.DataFrame(rows)


def budget_groups(lines: pd.DataFrame, config: CountyConfig | None = None) -> pd.DataFrame:
    config = config or default_config()
    out = []
    for group in config.budget_groups:
        mine = lines[lines["group_id"] == group.id]
        spent = wan(mine["spent_wan"].sum())
        out.append({"group_id": group.id, **group.names.columns("group"), "plan_wan": group.plan_wan,
                    "spent_wan": spent, "execution": share(spent, group.plan_wan),
                    "over_plan": spent > group.plan_wan + 1e-9})
    return pd.DataFrame(out)


def spending_by_month(con: duckdb.DuckDBPyConnection, as_of: dt.date, config: CountyConfig | None = None) -> pd.DataFrame:
    """Cumulative spending at each month end against the pace line (budget x elapsed share of the period)."""
    config = config or default_config()
    monthly = store.query(con, """
        SELECT date_trunc('month', date)::DATE AS month, sum(amount) AS amount
        FROM expenditures WHERE date <= ? GROUP BY 1 ORDER BY 1""", [as_of])
    from metrics.kpi.scorecard import month_ends

    deadline = config.targets["budget_execution_rate"].deadline_for(as_of)
    rows = []
    by_month = {pd.Timestamp(m).date(): float(a) for m, a in zip(monthly["month"], monthly["amount"])}
    # Spending before the project start is part of the first month's running total.
    running = sum(a for m, a in by_month.items() if m < config.start.replace(day=1))
    for end in month_ends(config.start, as_of):
        running += by_month.get(end.replace(day=1), 0.0)
        rows.append({"month_end": end, "spent_wan": wan(running),
                     "pace_wan": config.budget_wan * pace_fraction(end, config.start, deadline)})
    return pd.DataFrame(rows)


def payments_by_payee(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Paid to each payee up to as-of: payments, amount, the plan lines paid from (for the acceptance report)."""
    return store.query(con, """
        SELECT coalesce(payee, ?) AS payee, count(*) AS payments, round(sum(amount), 6) AS spent_wan,
               string_agg(DISTINCT line, '、' ORDER BY line) AS lines
        FROM expenditures WHERE date <= ? GROUP BY 1 ORDER BY spent_wan DESC, payee""", [NOT_STATED, as_of])


def stage_acceptance(con: duckdb.DuckDBPyConnection, as_of: dt.date,
                     config: CountyConfig | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per payment stage, what was paid against what had been accepted; and the payments made too early.

    The plan (资金拨付): 预拨 may be paid after the start; 阶段拨付 only after a stage acceptance (阶段审核验收);
    尾款 only after the final acceptance. A payment of a stage dated before the first acceptance of that stage
    (config `acceptance.stages`) is early. Acceptances after as-of had not happened at as-of.
    Returns (stages: stage, paid_wan, payments, accepted_on, acceptance_<lang>, early_wan, early_payments;
             early: voucher, date, line, amount, payee, stage, needs_acceptance_on).
    """
    config = config or default_config()
    paid = store.query(con, """
        SELECT voucher, date, line, amount, payee, coalesce(stage, ?) AS stage
        FROM expenditures WHERE date <= ? ORDER BY date, voucher""", [NOT_STATED, as_of])
    known = [a for a in config.stage_acceptances if a.accepted_on <= as_of]
    stages, early_rows = [], []
    for stage in (*STAGES, NOT_STATED):
        mine = paid[paid["stage"] == stage]
        first = next((a for a in config.stage_acceptances if a.stage == stage), None)
        latest = [a for a in known if a.stage == stage]
        early = mine.iloc[0:0]
        if stage in ("阶段拨付", "尾款"):
            dates = pd.to_datetime(mine["date"]).dt.date
            # A boolean Series, not a list: an empty list would select columns, not rows.
            early = mine[pd.Series([first is None or d < first.accepted_on for d in dates], index=mine.index,
                                   dtype=bool)]
            for row in early.itertuples():
                early_rows.append({"voucher": row.voucher, "date": row.date, "line": row.line, "amount": row.amount,
                                   "payee": row.payee, "stage": stage,
                                   "needs_acceptance_on": first.accepted_on if first else None})
        stages.append({
            "stage": stage, "paid_wan": wan(mine["amount"].sum()),
            "payments": len(mine),
            "accepted_on": latest[-1].accepted_on if latest else None,
            **(latest[-1].names if latest else Words()).columns("acceptance"),
            "needs_acceptance": stage in ("阶段拨付", "尾款"),
            "early_wan": wan(early["amount"].sum()), "early_payments": len(early),
        })
    early_frame = pd.DataFrame(early_rows, columns=["voucher", "date", "line", "amount", "payee", "stage",
                                                    "needs_acceptance_on"])
    return pd.DataFrame(stages), early_frame


# ------------------------------------------------------------------- two ledgers describing the same money

LOGISTICS_LINE = "5.3"  # the plan line 物流补贴: paid in 万元 (expenditures) and recorded per parcel in 元
MISMATCH_WAN = 0.01  # 100 元: below this the two ledgers agree (rounding of per-parcel subsidies)


def logistics_reconciliation(con: duckdb.DuckDBPyConnection, as_of) -> dict:
    """物流补贴 ledger (元) and plan line 5.3's payments (万元) up to the money's date: both, and the difference."""
    yuan = float(store.one(con, "SELECT coalesce(sum(amount), 0) FROM logistics_subsidies WHERE date <= ?",
                           [as_of])[0])
    paid = wan(store.one(con, "SELECT coalesce(sum(amount), 0) FROM expenditures WHERE line = ? AND date <= ?",
                                [LOGISTICS_LINE, as_of])[0])
    ledger_wan = wan(yuan / 10000)
    return {"ledger_yuan": round(yuan, 2), "ledger_wan": ledger_wan, "paid_wan": paid,
            "difference_wan": wan(paid - ledger_wan), "agrees": abs(paid - ledger_wan) < MISMATCH_WAN}
