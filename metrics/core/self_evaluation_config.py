"""[self_evaluation] of county.toml: what the 项目支出绩效自评表 (财预〔2020〕10号, 附件) needs beyond the KPIs.

- 主管部门 and 实施单位 (the form's header);
- the points of the form's own measures: 时效 (milestones done on time) and 成本 (spending within each plan line)
  under 产出指标, 服务对象满意度 (the satisfaction_surveys ledger) under 满意度指标, with the satisfaction target;
  the KPI points of [evaluation.indicators] and these add up to 100;
- the funds by year and fund source (年初预算数, 全年预算数), one entry each; a year without one says 未配置.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# add(key, **values): a configuration problem (config.py makes it a ConfigProblem; this module imports no config).
Add = Callable[..., None]

# The form's fund rows under 年度资金总额 (其中：…), as the 附件 names them (county.toml's values), with the id of
# each one's words in the catalogues (`selfeval_fund_<id>`).
FUND_SOURCES = {"本年财政拨款": "current", "上年结转资金": "carried_over", "其他资金": "other"}
CARRIED_OVER = next(s for s, i in FUND_SOURCES.items() if i == "carried_over")


@dataclass(frozen=True)
class FundEntry:
    year: int
    source: str  # one of FUND_SOURCES
    initial_wan: float  # 年初预算数
    full_wan: float  # 全年预算数


@dataclass(frozen=True)
class SelfEvaluationConfig:
    department: str = ""  # 主管部门
    implementer: str = ""  # 实施单位
    department_en: str = ""
    implementer_en: str = ""
    timeliness_points: float = 0.0
    cost_points: float = 0.0
    satisfaction_points: float = 0.0
    satisfaction_target: float = 0.9
    funds: tuple[FundEntry, ...] = ()

    @property
    def extra_points(self) -> float:
        """The points of the form's own measures, beside the KPIs' (together 100)."""
        return self.timeliness_points + self.cost_points + self.satisfaction_points

    def funds_of(self, year: int) -> dict[str, FundEntry]:
        return {f.source: f for f in self.funds if f.year == year}


def _number(entry: dict, key: str, where: str, add: Add, default: float | None = None) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        add("config_bad_number", where=f"{where}.{key}", value=value)
        return 0.0
    return float(value)


def parse(section: dict | None, add: Add) -> SelfEvaluationConfig:
    if section is None:
        return SelfEvaluationConfig()
    where = "self_evaluation"
    funds = []
    for i, entry in enumerate(section.get("funds", [])):
        here = f"{where}.funds[{i}]"
        year, source = entry.get("year"), entry.get("source")
        if isinstance(year, bool) or not isinstance(year, int):
            add("config_bad_number", where=f"{here}.year", value=year)
            continue
        if source not in FUND_SOURCES:
            add("config_bad_fund_source", where=here, source=source, allowed="、".join(FUND_SOURCES))
            continue
        funds.append(FundEntry(year, source, _number(entry, "initial_wan", here, add),
                               _number(entry, "full_wan", here, add)))
    target = _number(section, "satisfaction_target", where, add, 0.9)
    if not 0 < target <= 1:
        add("config_bad_number", where=f"{where}.satisfaction_target", value=target)
    return SelfEvaluationConfig(
        department=str(section.get("department", "")), implementer=str(section.get("implementer", "")),
        department_en=str(section.get("department_en", "")), implementer_en=str(section.get("implementer_en", "")),
        timeliness_points=_number(section, "timeliness_points", where, add, 0),
        cost_points=_number(section, "cost_points", where, add, 0),
        satisfaction_points=_number(section, "satisfaction_points", where, add, 0),
        satisfaction_target=target, funds=tuple(funds))
