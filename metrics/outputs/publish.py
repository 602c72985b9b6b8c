"""政务公开 (issue 28; the plan's 五（四）): the project's progress and spending as a static site for the county's
government website, from the same scorecard and budget the dashboard shows.

One content model (`Publication`, read by `collect`), written by `metrics.outputs.publish_html` as a folder (index.html,
style.css, charts/*.svg) and one printable page (print.html, print.pdf); `metrics.outputs.publish_site` puts them
together (charts drawn, PDF printed, everything screened). The rules, each checked in tests/test_publish.py:
- no personal data: only counts and organisations. Payees are shown by name only when `county.toml`'s
  `[publication]` lists them as the project's 承办企业; every other payee (收款单位 is free text and may name a
  person) is summed as 其他收款方. Every text of the model is screened by field, and every byte of every file is
  screened before it is written (`screen_files`): ID and mobile numbers (the ingest's `pii` screen), the stored
  hashed keys, and the names the ledgers hold in their personal columns (trainees, talents, station keepers);
- nothing fetched: no URL to another host, no script, no web font; the charts are SVG files drawn by kaleido;
- deterministic: no build time anywhere (the data date instead), plotly's random SVG ids replaced, the zip's
  timestamps set to the data date, the PDF's dates too: the same data and date give the same bytes;
- 更新记录: what changed since the last approved publication of other data, by the digest's own change detection.
Records (who prepared, who approved) and the 更新记录 live in `metrics.outputs.publish_record`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import tomllib
import zipfile
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from metrics.core.config import ConfigError, ConfigProblem, CountyConfig, default_config
from metrics.core.errors import DashboardError
from metrics.core.i18n import LANGUAGES
from metrics.core.locales import SOURCE_LANGUAGE
from metrics.core.registry import AREAS, area_name
from metrics.core.words import Words
from metrics.core.words import column as name_column
from metrics.kpi import budget, views
from metrics.kpi.scorecard import KpiResult, latest_data_date, scorecard
from metrics.platform import pii, store

# The ledgers' columns that hold a person's name: their values must never appear in a published file.
PERSON_COLUMNS = (("training_attendance", "name"), ("talents", "name"), ("stations", "manager"))
HASHED_KEY = re.compile(r"\bH[0-9a-f]{16}\b|\b[0-9a-f]{64}\b")  # privacy's derived trainee ids; raw sha256 hashes
TEXT_SUFFIXES = (".html", ".css", ".svg", ".txt")


class PublicationRefused(DashboardError):
    """The publication would carry personal data (or cannot be made); the message names the field or file."""


@dataclass(frozen=True)
class Contractor:
    name: str  # as the expenditure ledger writes the payee
    tender_date: dt.date | None
    names: Words = Words()  # shown: `name` in the source language, `name_<lang>` (name_en, …) in the others

    def shown(self, lang: str) -> str:
        return self.names.in_(lang) or self.name


@dataclass(frozen=True)
class PublicationSettings:
    """`[publication]` of county.toml: what the plan says about the project that the ledgers do not hold."""

    funds: Words = Words()  # funds_zh, funds_en, …
    departments: tuple[Words, ...] = ()  # each department's zh, en, …
    contractors: tuple[Contractor, ...] = ()


def settings(config: CountyConfig) -> PublicationSettings:
    """Read `[publication]` from the county's file (absent: an empty section). Problems: one ConfigError with all."""
    try:
        raw = tomllib.loads(config.path.read_text(encoding="utf-8")).get("publication", {})
    except (OSError, tomllib.TOMLDecodeError):
        return PublicationSettings()  # load_config has read this very file: it cannot fail here but by a race
    problems: list[str] = []
    departments, contractors = [], []
    for i, item in enumerate(raw.get("departments", [])):
        if not isinstance(item, dict) or "zh" not in item:
            problems.append(ConfigProblem("config_missing_key", where=f"publication.departments[{i}]", key="zh"))
            continue
        departments.append(Words.read(item))
    for i, item in enumerate(raw.get("contractors", [])):
        where = f"publication.contractors[{i}]"
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            problems.append(ConfigProblem("config_missing_key", where=where, key="name"))
            continue
        tender = item.get("tender_date")
        if tender is not None and not isinstance(tender, dt.date):
            problems.append(ConfigProblem("config_not_a_date", where=f"{where}.tender_date", value=tender))
            tender = None
        name = str(item["name"]).strip()
        others = {lang: item.get(name_column("name", lang)) for lang in LANGUAGES if lang != SOURCE_LANGUAGE}
        contractors.append(Contractor(name, tender, Words.of(**{SOURCE_LANGUAGE: name}, **others)))
    if problems:
        raise ConfigError(config.path, problems)
    return PublicationSettings(Words.read(raw, "funds"), tuple(departments), tuple(contractors))


@dataclass
class Publication:
    """Everything the site says, in the order a citizen reads it."""

    lang: str
    as_of: dt.date
    demo: bool
    config: CountyConfig
    settings: PublicationSettings
    results: list[KpiResult]
    lines: pd.DataFrame  # budget.budget_lines
    stages: pd.DataFrame  # budget.stage_acceptance
    payees: list[dict]  # name, tender_date, payments, spent_wan, listed (False: the 其他收款方 sum, without a name)
    milestones: pd.DataFrame  # views.milestones without the owner (a person's name)
    changes: dict | None = None  # since the last approved publication of other data (None: the first one)
    earlier: list[dt.date] = field(default_factory=list)  # as-of dates of the approved publications before

    @property
    def areas(self) -> list[tuple[str, str, list[KpiResult]]]:
        """(area id, its name, its KPIs) for the areas that have KPIs."""
        out = []
        for area in AREAS:
            mine = [r for r in self.results if r.area == area]
            if mine:
                out.append((area, area_name(area, self.lang), mine))
        return out

    @property
    def spent_wan(self) -> float:
        return float(self.lines["spent_wan"].sum())

    @property
    def data_key(self) -> str:
        """The identity of the published figures, whatever the language: equal keys are the same news."""
        facts = {
            "as_of": self.as_of.isoformat(), "demo": self.demo,
            "kpis": [(r.id, r.value, r.status) for r in self.results],
            "lines": [(row.line_id, round(float(row.spent_wan), 6)) for row in self.lines.itertuples()],
            "stages": [(row.stage, round(float(row.paid_wan), 6), str(row.accepted_on))
                       for row in self.stages.itertuples()],
            "payees": [(p["name"], p["payments"], round(p["spent_wan"], 6)) for p in self.payees],
            "milestones": [(row.milestone_id, row.state, str(row.actual_end)) for row in self.milestones.itertuples()],
        }
        return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()

    def record_facts(self) -> dict:
        """What the next publication's 更新记录 compares with (the digest's own fields)."""
        return {"statuses": json.dumps({r.id: r.status for r in self.results}, sort_keys=True),
                "spent_wan": self.spent_wan}


def payees(con: duckdb.DuckDBPyConnection, as_of: dt.date, listed: tuple[Contractor, ...]) -> list[dict]:
    """Paid per listed 承办企业 (even one not paid yet), then every other payee summed as one row."""
    paid = budget.payments_by_payee(con, as_of)
    names = {c.name for c in listed}
    rows = []
    for contractor in listed:
        mine = paid[paid["payee"] == contractor.name]
        rows.append({"name": contractor.name, **contractor.names.columns("name"), "tender_date": contractor.tender_date,
                     "payments": int(mine["payments"].sum()), "spent_wan": float(mine["spent_wan"].sum()),
                     "listed": True})
    others = paid[~paid["payee"].isin(names)]
    if len(others):
        rows.append({"name": "", **Words().columns("name"), "tender_date": None, "payments": int(others["payments"].sum()),
                     "spent_wan": float(others["spent_wan"].sum()), "listed": False})
    return rows


def collect(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, lang: str = "zh",
            config: CountyConfig | None = None) -> Publication:
    """The content at `as_of` (default: the latest data date); the 更新记录 is added by
    metrics.outputs.publish_site.content, which also screens it."""
    config = config or default_config()
    as_of = as_of or latest_data_date(con)
    stages, _early = budget.stage_acceptance(con, as_of, config)
    chosen = settings(config)
    milestones = views.milestones(con, as_of).drop(columns=["owner"])
    pub = Publication(lang=lang, as_of=as_of, demo=store.demo_loaded(con), config=config, settings=chosen,
                      results=scorecard(con, as_of, config, lang, with_forecast=False),
                      lines=budget.budget_lines(con, as_of, config), stages=stages,
                      payees=payees(con, as_of, chosen.contractors), milestones=milestones)
    return pub


# ------------------------------------------------------------------------------------------ personal data

def _refuse_if_personal(text, where: str) -> None:
    if not isinstance(text, str) or not text:
        return
    kinds = pii.find(text)
    if kinds:
        raise PublicationRefused("publish_personal_data", field=where, **pii.kind_words(kinds[:1]))
    if HASHED_KEY.search(text):
        raise PublicationRefused("publish_hashed_key", field=where)


def screen_model(pub: Publication) -> None:
    """Every text of the model that came from a ledger or the configuration, screened by field before writing."""
    fields = [(f"publication.{name_column('funds', lang)}", pub.settings.funds.in_(lang)) for lang in LANGUAGES]
    fields += [("publication.departments", text) for words in pub.settings.departments for _, text in words.texts]
    fields += [("publication.contractors", c.name) for c in pub.settings.contractors]
    fields += [("targets.clause", r.clause) for r in pub.results]
    for column in ("phase", "task"):
        fields += [(f"milestones.{column}", text) for text in pub.milestones[column].dropna()]
    fields += [("acceptance.stages", text) for lang in LANGUAGES for text in pub.stages[name_column("acceptance", lang)]]
    for where, text in fields:
        _refuse_if_personal(text, where)


def person_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every name the ledgers hold in a personal column -> 'table.column' (names of one character are left out:
    they would match inside any word)."""
    names: dict[str, str] = {}
    for table, column in PERSON_COLUMNS:
        rows = con.execute(f'SELECT DISTINCT "{column}" FROM "{table}" WHERE length("{column}") >= 2').fetchall()
        names.update({str(r[0]).strip(): f"{table}.{column}" for r in rows if str(r[0]).strip()})
    return names


def screen_files(files: dict[str, bytes], names: dict[str, str]) -> None:
    """The last guard, on every byte about to be written: refuse naming the file and what it holds."""
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))) if names else None
    for path, content in files.items():
        if not path.endswith(TEXT_SUFFIXES):
            continue  # the PDF is printed from print.html, screened here
        text = content.decode("utf-8")
        _refuse_if_personal(text, path)
        hit = pattern.search(text) if pattern else None
        if hit:
            raise PublicationRefused("publish_person_name", file=path, column=names[hit.group(0)])


# --------------------------------------------------------------------------------------------- the files

def files_digest(files: dict[str, bytes]) -> str:
    """One sha256 over every file's name and content: equal digests, identical folders."""
    whole = hashlib.sha256()
    for path in sorted(files):
        whole.update(path.encode() + b"\0" + hashlib.sha256(files[path]).hexdigest().encode() + b"\n")
    return whole.hexdigest()


def zip_bytes(files: dict[str, bytes], as_of: dt.date) -> bytes:
    """The folder as a zip whose entries carry the data date, not the packing time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=(as_of.year, as_of.month, as_of.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[path])
    return buffer.getvalue()
