"""The county's configuration (data/county.toml): calendar, townships, budget plan, KPI targets.

Nothing county-specific lives in code; another county points KPI_CONFIG at its own file. The file is validated on
load and every problem is reported at once, so a broken configuration fails with a list, not a KeyError later.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from metrics.core import i18n
from metrics.core.errors import DashboardError
from metrics.core.registry import KPI_BY_ID, KPIS  # the KPI contract the targets and evaluation points refer to
from metrics.core.self_evaluation_config import SelfEvaluationConfig
from metrics.core.self_evaluation_config import parse as parse_self_evaluation
from metrics.core.words import Words

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # metrics/core/config.py -> the project folder
DEFAULT_CONFIG = PROJECT_ROOT / "data" / "county.toml"


class ConfigProblem(str):
    """One problem of the configuration file: a message key and its values. As a str it is its English text (the
    file's keys are English; logs and the command line quote it so), `text(lang)` in either language."""

    def __new__(cls, key: str, /, **values):
        problem = super().__new__(cls, i18n.t(key, "en", **values))
        problem.key, problem.values = key, values
        return problem

    def text(self, lang: str = "zh") -> str:
        return i18n.t(self.key, lang, **self.values)


class ConfigError(DashboardError):
    """The configuration file is unusable; `problems` lists every reason."""

    code = "config_problems"

    def __init__(self, path: Path, problems: list[str]):
        super().__init__(path=path, problems="; ".join(problems))
        self.path = path
        self.problems = problems

    def problem_texts(self, lang: str = "zh") -> list[str]:
        return [p.text(lang) if isinstance(p, ConfigProblem) else p for p in self.problems]

    def message(self, lang: str = "zh") -> str:
        return i18n.t(self.code, lang, path=self.path,
                      problems=i18n.t("semicolon_separator", lang).join(self.problem_texts(lang)))


@dataclass(frozen=True)
class Township:
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class BudgetLine:
    id: str
    group: str
    names: Words  # the 细项 in each language (county.toml's `zh`, `en`, …)
    plan_wan: float | None  # None where the plan leaves the amount blank (line 5.2)
    aliases: tuple[str, ...] = ()

    @property
    def zh(self) -> str:
        """The 细项 as the expenditure ledger writes it (the data contract's word, matched on load)."""
        return self.names.in_(i18n.SOURCE_LANGUAGE)

    def name(self, lang: str) -> str:
        return self.names.in_(lang)


@dataclass(frozen=True)
class BudgetGroup:
    id: str
    names: Words
    plan_wan: float

    def name(self, lang: str) -> str:
        return self.names.in_(lang)


@dataclass(frozen=True)
class Phase:
    id: str
    names: Words
    start: dt.date
    end: dt.date

    def name(self, lang: str) -> str:
        return self.names.in_(lang)


@dataclass(frozen=True)
class Target:
    kpi_id: str
    min: float
    max: float | None
    deadline: dt.date | None  # None = 12-31 of the as-of year ("year_end")
    clause: str
    extra: dict = field(default_factory=dict)

    def deadline_for(self, as_of: dt.date) -> dt.date:
        return self.deadline or dt.date(as_of.year, 12, 31)


# The standard form of a project-expenditure performance self-evaluation (项目支出绩效自评表): 一级 -> its 二级.
EVALUATION_LEVELS: dict[str, tuple[str, tuple[str, ...]]] = {  # 一级 -> (English, 二级 allowed under it)
    "产出指标": ("Output", ("数量指标", "质量指标", "时效指标", "成本指标")),
    "效益指标": ("Outcome", ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标")),
    "满意度指标": ("Satisfaction", ("服务对象满意度指标",)),
}
LEVEL2_EN = {"数量指标": "Quantity", "质量指标": "Quality", "时效指标": "Timeliness", "成本指标": "Cost",
             "经济效益指标": "Economic benefit", "社会效益指标": "Social benefit", "生态效益指标": "Ecological benefit",
             "可持续影响指标": "Sustainable impact", "服务对象满意度指标": "Beneficiary satisfaction"}


def level_name(level: str, lang: str) -> str:
    """A 一级 or 二级 指标 as shown: the form's own word in the source language, its English name in the others."""
    english = {**{level1: words[0] for level1, words in EVALUATION_LEVELS.items()}, **LEVEL2_EN}
    return level if lang == i18n.SOURCE_LANGUAGE else english.get(level, level)


BUDGET_KPI = "budget_execution_rate"  # scored on the form's own 预算执行率 row, not under a 一级指标
EVALUATION_TOTAL = 100.0


@dataclass(frozen=True)
class Indicator:
    """One row of the 绩效自评表: a KPI under its 一级/二级 指标 with its 分值."""
    kpi_id: str
    level1: str  # "" for the budget execution row
    level2: str
    points: float


@dataclass(frozen=True)
class StageAcceptance:
    """An acceptance that releases a payment stage: 阶段拨付 after a 阶段审核验收, 尾款 after the final one."""
    stage: str
    accepted_on: dt.date
    names: Words

    def name(self, lang: str) -> str:
        return self.names.in_(lang)


@dataclass(frozen=True)
class Reference:
    """A published figure to read a KPI against (the region's growth beside the county's): drawn as a dashed line."""
    id: str
    kpi_id: str
    names: Words
    value: float  # in the KPI's own unit (a fraction for a rate: 0.2368 = 23.68 %)
    year: int
    source: str

    def label(self, lang: str = "zh") -> str:
        return f"{self.names.in_(lang)} {self.year}"

    def as_json(self) -> dict:
        return {"id": self.id, "kpi": self.kpi_id, **self.names.columns("name"), "value": self.value,
                "year": self.year, "source": self.source}


@dataclass(frozen=True)
class CountyConfig:
    path: Path
    name: Words  # the county's name: [county] name_zh, name_en, …
    project: Words  # the project's name: [county] project_zh, project_en, …
    start: dt.date
    end: dt.date
    budget_wan: float
    retail_baseline_year: int
    status_threshold: float
    phases: tuple[Phase, ...]
    townships: tuple[Township, ...]
    budget_groups: tuple[BudgetGroup, ...]
    budget_lines: tuple[BudgetLine, ...]
    targets: dict[str, Target]
    evaluation: tuple[Indicator, ...] = ()  # empty when the file has no [evaluation] section
    stage_acceptances: tuple[StageAcceptance, ...] = ()
    references: tuple[Reference, ...] = ()
    self_evaluation: SelfEvaluationConfig = SelfEvaluationConfig()

    def county_name(self, lang: str) -> str:
        return self.name.in_(lang)

    def project_name(self, lang: str) -> str:
        return self.project.in_(lang)

    def references_for(self, kpi_id: str) -> tuple[Reference, ...]:
        return tuple(r for r in self.references if r.kpi_id == kpi_id)

    def township_lookup(self) -> dict[str, str]:
        """Every accepted spelling -> the canonical township name."""
        lookup: dict[str, str] = {}
        for t in self.townships:
            lookup[t.name] = t.name
            for alias in t.aliases:
                lookup[alias] = t.name
        return lookup

    def budget_line_lookup(self) -> dict[str, str]:
        """A line id ('3.2') or its 细项 name -> the line id."""
        lookup: dict[str, str] = {}
        for line in self.budget_lines:
            lookup[line.id] = line.id
            lookup[line.zh] = line.id
            for alias in line.aliases:
                lookup[alias] = line.id
        return lookup


def _as_date(value, where: str, problems: list[str]) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    problems.append(ConfigProblem("config_not_a_date", where=where, value=value))
    return None


def _require(table: dict, key: str, where: str, problems: list[str]):
    if key not in table:
        problems.append(ConfigProblem("config_missing_key", where=where, key=key))
        return None
    return table[key]


def load_config(path: Path | str | None = None) -> CountyConfig:
    path = Path(path or os.environ.get("KPI_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, [ConfigProblem("config_file_not_found")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [ConfigProblem("config_not_toml", detail=exc)]) from None

    problems: list[str] = []
    county = raw.get("county", {})
    cal = raw.get("calendar", {})
    start = _as_date(_require(cal, "start", "calendar", problems), "calendar.start", problems)
    end = _as_date(_require(cal, "end", "calendar", problems), "calendar.end", problems)
    if start and end and start >= end:
        problems.append(ConfigProblem("config_start_after_end"))

    phases = []
    for i, p in enumerate(cal.get("phases", [])):
        where = f"calendar.phases[{i}]"
        ps = _as_date(p.get("start"), where + ".start", problems)
        pe = _as_date(p.get("end"), where + ".end", problems)
        phases.append(Phase(p.get("id", str(i)), Words.read(p), ps, pe))

    townships = []
    seen_names: dict[str, str] = {}
    for i, t in enumerate(raw.get("townships", [])):
        name = t.get("name")
        if not name:
            problems.append(ConfigProblem("config_township_no_name", i=i))
            continue
        for spelling in [name, *t.get("aliases", [])]:
            if spelling in seen_names and seen_names[spelling] != name:
                problems.append(ConfigProblem("config_township_twice", spelling=spelling, first=seen_names[spelling], second=name))
            seen_names[spelling] = name
        townships.append(Township(name, tuple(t.get("aliases", []))))
    if not townships:
        problems.append(ConfigProblem("config_no_townships"))

    budget = raw.get("budget", {})
    groups = tuple(
        BudgetGroup(str(g["id"]), Words.read(g), float(g.get("plan_wan", 0)))
        for g in budget.get("groups", [])
    )
    group_ids = {g.id for g in groups}
    lines = []
    for i, line in enumerate(budget.get("lines", [])):
        line_id = str(line.get("id", ""))
        group_id = line_id.split(".")[0]
        if group_id not in group_ids:
            problems.append(ConfigProblem("config_line_without_group", i=i, line_id=line_id, group_id=group_id))
        plan = line.get("plan_wan")
        if plan is not None and plan < 0:
            problems.append(ConfigProblem("config_negative_plan", i=i))
        lines.append(
            BudgetLine(line_id, group_id, Words.read(line), None if plan is None else float(plan), tuple(line.get("aliases", [])))
        )
    budget_wan = float(cal.get("budget_wan", 0))
    planned = sum(line.plan_wan or 0 for line in lines)
    if lines and abs(planned - budget_wan) > 1e-6:
        problems.append(ConfigProblem("config_lines_total", planned=planned, budget_wan=budget_wan))
    for g in groups:
        in_group = sum(line.plan_wan or 0 for line in lines if line.group == g.id)
        if abs(in_group - g.plan_wan) > 1e-6:
            problems.append(ConfigProblem("config_group_total", group=g.id, in_group=in_group, plan=g.plan_wan))

    targets: dict[str, Target] = {}
    for kpi_id, t in raw.get("targets", {}).items():
        where = f"targets.{kpi_id}"
        if kpi_id not in KPI_BY_ID:
            problems.append(ConfigProblem("config_no_such_kpi", where=where))
        tmin = _require(t, "min", where, problems)
        tmax = t.get("max")
        if tmin is not None and tmax is not None and tmax < tmin:
            problems.append(ConfigProblem("config_max_below_min", where=where, tmax=tmax, tmin=tmin))
        raw_deadline = _require(t, "deadline", where, problems)
        deadline = None if raw_deadline == "year_end" else _as_date(raw_deadline, where + ".deadline", problems)
        extra = {k: v for k, v in t.items() if k not in {"min", "max", "deadline", "clause"}}
        targets[kpi_id] = Target(kpi_id, float(tmin or 0), None if tmax is None else float(tmax),
                                 deadline, t.get("clause", ""), extra)

    # Every KPI of the registry has its target: checked here, with every other problem, rather than when a
    # scorecard first runs.
    problems += [ConfigProblem("config_no_target", kpi=k.id) for k in KPIS if k.id not in targets]
    references = _references(raw.get("references", []), problems)

    threshold = cal.get("status_threshold", 0.7)
    if not 0 < threshold < 1:
        problems.append(ConfigProblem("config_threshold_range"))
    self_evaluation = parse_self_evaluation(raw.get("self_evaluation"),
                                            lambda key, **values: problems.append(ConfigProblem(key, **values)))
    evaluation = _evaluation(raw.get("evaluation"), problems, self_evaluation.extra_points)
    stage_acceptances = _stage_acceptances(raw.get("acceptance", {}), problems)

    if problems:
        raise ConfigError(path, problems)
    return CountyConfig(
        path=path,
        name=Words.read(county, "name"),
        project=Words.read(county, "project"),
        start=start,
        end=end,
        budget_wan=budget_wan,
        retail_baseline_year=int(cal.get("retail_baseline_year", 2021)),
        status_threshold=float(threshold),
        phases=tuple(phases),
        townships=tuple(townships),
        budget_groups=groups,
        budget_lines=tuple(lines),
        targets=targets,
        evaluation=evaluation,
        self_evaluation=self_evaluation,
        stage_acceptances=stage_acceptances,
        references=references,
    )


def _evaluation(section: dict | None, problems: list[str], extra_points: float = 0.0) -> tuple[Indicator, ...]:
    """[evaluation.indicators]: every KPI once, under an allowed 一级/二级, points > 0, adding up to 100 with the
    points of the 自评表's own measures ([self_evaluation]: 时效, 成本, 满意度)."""
    if section is None:
        return ()
    entries = section.get("indicators", {})
    out = []
    for kpi_id, entry in entries.items():
        where = f"evaluation.indicators.{kpi_id}"
        if kpi_id not in KPI_BY_ID:
            problems.append(ConfigProblem("config_no_such_kpi", where=where))
            continue
        if not isinstance(entry, dict):
            problems.append(ConfigProblem("config_bad_indicator", where=where, entry=entry))
            continue
        points = entry.get("points")
        if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
            problems.append(ConfigProblem("config_bad_points", where=where, points=points))
            points = 0
        level1, level2 = entry.get("level1", ""), entry.get("level2", "")
        if kpi_id != BUDGET_KPI:
            if level1 not in EVALUATION_LEVELS:
                problems.append(ConfigProblem("config_bad_level1", where=where, level1=level1, allowed='、'.join(EVALUATION_LEVELS)))
            elif level2 not in EVALUATION_LEVELS[level1][1]:
                problems.append(ConfigProblem("config_bad_level2", where=where, level2=level2, allowed='、'.join(EVALUATION_LEVELS[level1][1])))
        out.append(Indicator(kpi_id, level1 if kpi_id != BUDGET_KPI else "", level2 if kpi_id != BUDGET_KPI else "",
                             float(points)))
    problems += [ConfigProblem("config_no_indicator", kpi=k) for k in KPI_BY_ID if k not in entries]
    total = sum(i.points for i in out)
    if out and abs(total + extra_points - EVALUATION_TOTAL) > 1e-6:
        problems.append(ConfigProblem("config_points_total", total=total, expected=EVALUATION_TOTAL - extra_points))
    return tuple(out)


def _stage_acceptances(section: dict, problems: list[str]) -> tuple[StageAcceptance, ...]:
    out = []
    for i, entry in enumerate(section.get("stages", [])):
        where = f"acceptance.stages[{i}]"
        stage = entry.get("stage")
        if stage not in ("阶段拨付", "尾款"):
            problems.append(ConfigProblem("config_bad_stage", where=where, stage=stage, stages_zh="阶段拨付或尾款", stages_en="阶段拨付 or 尾款"))
        raw_day = _require(entry, "accepted_on", where, problems)
        day = None if raw_day is None else _as_date(raw_day, where + ".accepted_on", problems)
        if stage in ("阶段拨付", "尾款") and day:
            out.append(StageAcceptance(stage, day, Words.read(entry)))
    return tuple(sorted(out, key=lambda a: a.accepted_on))


def _references(entries, problems: list[str]) -> tuple[Reference, ...]:
    """[[references]]: each names a KPI, a value in the KPI's unit, the year it describes and where it comes from."""
    if not isinstance(entries, list):
        problems.append(ConfigProblem("config_references_not_tables"))
        return ()
    out, seen = [], set()
    for i, entry in enumerate(entries):
        where = f"references[{i}]"
        missing = [k for k in ("id", "kpi", *i18n.LANGUAGES, "value", "year", "source") if entry.get(k) in (None, "")]
        if missing:
            problems.append(ConfigProblem("config_reference_missing", where=where, keys=", ".join(repr(k) for k in missing)))
            continue
        if entry["id"] in seen:
            problems.append(ConfigProblem("config_reference_twice", where=where, id=entry["id"]))
        seen.add(entry["id"])
        if entry["kpi"] not in KPI_BY_ID:
            problems.append(ConfigProblem("config_reference_no_kpi", where=where, kpi=entry["kpi"]))
        value, year = entry["value"], entry["year"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(ConfigProblem("config_reference_value", where=where, value=value))
            continue
        if entry["kpi"] in KPI_BY_ID and KPI_BY_ID[entry["kpi"]].is_fraction and abs(value) > 10:
            problems.append(ConfigProblem("config_reference_percent", where=where, value=value, fraction=value / 100))
        if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100:
            problems.append(ConfigProblem("config_reference_year", where=where, year=year))
            continue
        out.append(Reference(str(entry["id"]), entry["kpi"], Words.read(entry), float(value),
                             year, str(entry["source"])))
    return tuple(out)


@lru_cache(maxsize=4)
def default_config() -> CountyConfig:
    return load_config()
