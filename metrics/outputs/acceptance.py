"""The acceptance pack (验收材料) at an as-of date: the Word report, the 绩效自评表 and the evidence pack.

Every figure comes from what the dashboard shows: the KPI values, targets and statuses from metrics.kpi.scorecard, the
money from metrics.kpi.budget, the activity counts from metrics.kpi.views. Nothing here computes a KPI a second time, so the
files agree with the dashboard to the last digit.

`collect` reads everything inside one database connection (quick); the three files are then built from that data
with the connection closed (`build`), so a dashboard session never renders while holding the database file.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from metrics.core import filenames
from metrics.core.config import (
    BUDGET_KPI,
    EVALUATION_LEVELS,
    LEVEL2_EN,
    ConfigError,
    CountyConfig,
    default_config,
)
from metrics.core.datasets import DATASETS
from metrics.core.errors import DashboardError
from metrics.core.i18n import t
from metrics.core.registry import KPI_BY_ID
from metrics.kpi import budget, views
from metrics.kpi.formatting import format_date, format_month, format_target, format_value, format_wan
from metrics.kpi.scorecard import KpiResult, scorecard
from metrics.platform import store
from metrics.platform.pii import scrub

Progress = Callable[[float, str], None]

# The evidence files travel inside the pack, held in memory once each: above this the pack is refused, saying so.
MAX_EVIDENCE_BYTES = 512 * 1024 * 1024


class PackTooLarge(DashboardError):
    """The evidence files behind the KPIs add up to more than one pack can hold."""


# 绩效评价等级: the lowest total score of each grade; its word is `acceptance_grade_<id>` in the catalogues.
GRADES = ((90, "excellent"), (80, "good"), (60, "fair"), (0, "poor"))
RED = "C00000"


# ---------------------------------------------------------------------------------------------- scoring

def indicator_score(points: float, value: float | None, target: float, achieved: bool) -> float:
    """The self-evaluation rule: full marks when achieved; otherwise points x completion rate (value / target),
    never below 0 nor above the points; no data scores 0. Rounded to 2 decimals, as the form shows it."""
    if value is None:
        return 0.0
    if achieved or target <= 0:
        return round(points, 2)
    return round(points * min(1.0, max(0.0, value / target)), 2)


def grade(total: float, lang: str = "zh") -> str:
    grade_id = next((g for floor, g in GRADES if total >= floor), GRADES[-1][1])
    return t(f"acceptance_grade_{grade_id}", lang)


@dataclass
class ScoreRow:
    result: KpiResult
    level1: str
    level2: str
    points: float
    score: float


# ------------------------------------------------------------------------------------------ the data

@dataclass
class KpiEvidence:
    code: str  # 佐证材料编号 of the KPI's folder, e.g. Z03
    rows: pd.DataFrame  # the ledger rows behind the value, personal data masked
    files: list[dict]  # each: code, file_name, sha256, load_id, added_by, added_at

    def citation(self, lang: str) -> str:
        """What the report's 佐证材料编号 column says: the ledger extract, then the evidence files or their absence."""
        ledger = f"{self.code}-00"
        if not self.files:
            return t("acceptance_citation_no_files", lang, ledger=ledger, no_evidence=t("acceptance_no_evidence", lang))
        span = self.files[0]["code"] if len(self.files) == 1 else t("acceptance_evidence_span", lang,
                                                                    first=self.files[0]["code"], last=self.files[-1]["code"])
        return t("acceptance_citation_files", lang, ledger=ledger, span=span)


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
    blobs: dict[str, bytes] | None = None  # evidence contents by sha256; None in a preview (collect(contents=False))
    made_on: dt.date = field(default_factory=dt.date.today)

    @property
    def by_id(self) -> dict[str, KpiResult]:
        return {r.id: r for r in self.results}

    def scores(self) -> tuple[list[ScoreRow], ScoreRow]:
        """The indicator rows (in the configured order) and the 预算执行率 row."""
        by_id = self.by_id
        rows = [ScoreRow(by_id[i.kpi_id], i.level1, i.level2, i.points,
                         indicator_score(i.points, by_id[i.kpi_id].value, by_id[i.kpi_id].target,
                                         by_id[i.kpi_id].status == "achieved"))
                for i in self.config.evaluation]
        budget_row = next(r for r in rows if r.result.id == BUDGET_KPI)
        order = list(EVALUATION_LEVELS)
        others = sorted((r for r in rows if r.result.id != BUDGET_KPI),
                        key=lambda r: (order.index(r.level1), EVALUATION_LEVELS[r.level1][1].index(r.level2)))
        return others, budget_row


def _mask_name(name) -> str:
    text = "" if name is None or name != name else str(name)
    return text[:1] + "*" * (len(text) - 1) if text else text


# Columns holding people's names: trainees and station keepers are private persons (talents are public personas).
_NAME_COLUMNS = {"name": ("training_attendance",), "manager": ("stations",)}


def mask_rows(frame: pd.DataFrame, kpi_id: str) -> pd.DataFrame:
    """The rows as they may leave the office: names of private persons shortened, no ID hash, ID/phone-like
    numbers masked wherever they stand."""
    frame = frame.drop(columns=[c for c in frame.columns if c in ("id_hash", "_extra")]).copy()
    datasets = KPI_BY_ID[kpi_id].datasets
    for column, owners in _NAME_COLUMNS.items():
        if column in frame.columns and any(d in datasets for d in owners):
            frame[column] = frame[column].map(_mask_name)
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: scrub(v) if isinstance(v, str) else v)
    return frame


# Headers of the columns the KPI row queries compute (the registry's rows_sql); ledger columns take the data contract's.
# The same words as the dashboard's tables (dashboard_ui/texts.py COLUMNS, which metrics/ cannot import).
# Their words are `column_<key>` in the catalogues.
_ROW_LABELS = ("first_session", "counted", "home", "participant", "events", "first_event", "all_platforms", "counts")


def row_labels(frame: pd.DataFrame, kpi_id: str, lang: str) -> pd.DataFrame:
    """Column headers as clerks know them: the KPI's own ledgers first, then any ledger, then computed columns."""
    from metrics.core.datasets import DATASETS

    names: dict[str, str] = {}
    ledgers = [DATASETS[d] for d in KPI_BY_ID[kpi_id].datasets if d in DATASETS]
    for ds in [*ledgers, *DATASETS.values()]:
        for col in ds.columns:
            names.setdefault(col.stored_as, col.label(lang))
    for key in _ROW_LABELS:
        names.setdefault(key, t(f"column_{key}", lang))
    return frame.rename(columns={c: names.get(c, c) for c in frame.columns})


_ROWS_PREFIX = "SELECT * EXCLUDE (_load_id, _source_row, _extra) FROM"


def row_load_ids(con: duckdb.DuckDBPyConnection, kpi_id: str, as_of: dt.date) -> list[int]:
    """The loads that hold the rows behind a KPI's value at as-of (their evidence supports the figure).

    Where the KPI's row query (the registry's rows_sql) selects whole ledger rows, the same query gives their loads;
    otherwise every load of the KPI's ledgers with a row dated on or before as-of (undated ledgers: every row).
    """
    sql = KPI_BY_ID[kpi_id].rows_sql
    if sql.startswith(_ROWS_PREFIX):
        inner = "SELECT _load_id FROM" + sql[len(_ROWS_PREFIX):]
        frame = store.query(con, f"SELECT DISTINCT _load_id FROM ({inner}) ORDER BY 1", {"as_of": as_of})
        return [int(x) for x in frame["_load_id"]]
    ids: set[int] = set()
    for dataset in KPI_BY_ID[kpi_id].datasets:
        if dataset == "training_attendance":
            q = ("SELECT DISTINCT a._load_id FROM training_attendance a JOIN training_sessions s USING (session_id) "
                 "WHERE s.date <= ?")
        elif DATASETS[dataset].date_column:
            q = f'SELECT DISTINCT _load_id FROM "{dataset}" WHERE "{DATASETS[dataset].date_column}" <= ?'
        else:
            q = f'SELECT DISTINCT _load_id FROM "{dataset}" WHERE ? IS NOT NULL'
        ids.update(int(x) for x in store.query(con, q, [as_of])["_load_id"])
    return sorted(ids)


def _evidence(con, results: list[KpiResult], as_of: dt.date,
              contents: bool) -> tuple[dict[str, KpiEvidence], dict[str, bytes] | None]:
    attached = store.query(con, """
        SELECT e.load_id, e.file_name, e.sha256, e.added_by, e.added_at FROM evidence e
        JOIN loads l USING (load_id) WHERE l.status = 'active' ORDER BY e.load_id, e.added_at, e.file_name""")
    evidence, wanted = {}, set()
    for n, r in enumerate(results, start=1):
        code = f"Z{n:02d}"
        loads = set(row_load_ids(con, r.id, as_of)) if not attached.empty else set()
        mine = attached[attached["load_id"].isin(loads)] if loads else attached.iloc[0:0]
        files = [{"code": f"{code}-{k:02d}", "file_name": row.file_name, "sha256": row.sha256,
                  "load_id": int(row.load_id), "added_by": row.added_by, "added_at": row.added_at}
                 for k, row in enumerate(mine.itertuples(), start=1)]
        wanted.update(f["sha256"] for f in files)
        evidence[r.id] = KpiEvidence(code, mask_rows(views.kpi_rows(con, r.id, as_of), r.id), files)
    total = sum(int(store.one(con, "SELECT size FROM evidence_files WHERE sha256 = ?", [sha])[0] or 0)
                for sha in wanted)
    if total > MAX_EVIDENCE_BYTES:
        mb, limit = total / 2**20, MAX_EVIDENCE_BYTES / 2**20
        raise PackTooLarge("acceptance_pack_too_large", mb=mb, limit=limit)
    if not contents:
        return evidence, None
    blobs = {}
    for sha in sorted(wanted):
        row = store.one(con, "SELECT content FROM evidence_files WHERE sha256 = ?", [sha])
        if row:
            blobs[sha] = bytes(row[0])
    return evidence, blobs


def _activities(con, results: dict[str, KpiResult], as_of: dt.date, lang: str) -> list[tuple[str, list[str]]]:
    """Sentences per construction area of the plan (五（一）…（五）), from the ledgers as the dashboard shows them."""

    def v(kpi_id: str) -> str:
        return format_value(kpi_id, results[kpi_id].value, lang)

    def n(x) -> str:
        return f"{float(x):,.0f}" if float(x).is_integer() else f"{float(x):,.1f}"

    stations = views.stations_by_township(con)
    events = views.events(con, as_of)
    by_type = events.groupby("type").size().to_dict() if not events.empty else {}
    monthly = views.training_monthly(con, as_of)
    brands = views.brands(con, as_of)
    done = brands[brands["completed"]] if not brands.empty else brands
    logistics = views.logistics_monthly(con, as_of)
    publicity = views.publicity_by_year(con, as_of)
    conv = results["training_conversion_rate"].detail
    promo = events[events["type"] == "推介活动"] if not events.empty else events
    deals = float(promo["deal_amount"].fillna(0).sum()) if not promo.empty else 0.0
    areas: list[tuple[str, list[str]]] = []

    township_stations = stations[stations["level"] == "乡镇站"] if not stations.empty else stations
    areas.append((t("acceptance_1_service_centre_and_stations", lang), [
        t("acceptance_stations_sentence", lang, stations=n(stations["stations"].sum() if not stations.empty else 0),
          operating=n(stations["operating"].sum() if not stations.empty else 0),
          township_operating=n(township_stations["operating"].sum() if not township_stations.empty else 0),
          pickup_coverage=v("pickup_coverage")),
        t("acceptance_livestream_sentence", lang, livestream_rooms=v('livestream_rooms'),
          livestream_kits=v('livestream_kits')),
        t("acceptance_contests_sentence", lang, station_skill_contests=v('station_skill_contests'),
          by_type=by_type.get('站长沙龙', 0)),
    ]))
    kinds = done.groupby("kind").size().to_dict() if not done.empty else {}
    areas.append((t("acceptance_2_brands_and_promotion", lang), [
        t("acceptance_brands_sentence", lang, industry_brands=v("industry_brands"), online_brands=v("online_brands"),
          brands_done=sum(kinds.values()), tourism_hit_products=v("tourism_hit_products")),
        t("acceptance_promotion_sentence", lang, promotion_events=v('promotion_events'),
          promotion_participants=v('promotion_participants'), n_zh=n(deals), n_en=_million(deals)),
    ]))
    sessions = int(monthly["sessions"].sum()) if not monthly.empty else 0
    areas.append((t("acceptance_3_training_and_talent", lang), [
        (t("acceptance_training_sentence", lang, sessions=sessions, training_person_times=v('training_person_times'),
           training_people=v('training_people'), n=n(conv.get('numerator') or 0), training_conversion_rate=v('training_conversion_rate'))),
        t("acceptance_talents_sentence", lang, local_talents=v('local_talents'), streamers_10k=v('streamers_10k'),
          startup_contests=v('startup_contests')),
    ]))
    orders = int(logistics["orders"].sum()) if not logistics.empty else 0
    subsidy = float(logistics["amount_yuan"].sum()) if not logistics.empty else 0.0
    areas.append((t("acceptance_4_logistics_and_digital_upgrading", lang), [
        t("acceptance_logistics_sentence", lang, orders=orders, subsidy=subsidy,
          digital_enterprises=v('digital_enterprises'), group_buying_coverage=v('group_buying_coverage')),
    ]))
    by_channel = publicity.groupby("channel")["items"].sum().to_dict() if not publicity.empty else {}
    channels = t("list_separator", lang).join(t("acceptance_channel_items", lang, channel=c, items=int(k))
                                              for c, k in by_channel.items())
    areas.append((t("acceptance_5_publicity", lang), [
        t("acceptance_publicity_sentence", lang, wechat_articles=v('wechat_articles'),
          mainstream_media_reports=v('mainstream_media_reports'), channels=channels or t("acceptance_none", lang)),
    ]))
    return areas


def collect(con: duckdb.DuckDBPyConnection, as_of: dt.date, lang: str = "zh", config: CountyConfig | None = None,
            progress: Progress | None = None, contents: bool = True) -> AcceptanceData:
    """Everything the three files show, read at as-of. Raises ConfigError when [evaluation] is missing and
    PackTooLarge when the evidence would not fit. `contents=False` (a preview) leaves the evidence files' bytes
    in the database."""
    config = config or default_config()
    if not config.evaluation:
        raise ConfigError(config.path, ["evaluation.indicators: missing (the self-evaluation sheet needs each KPI's "
                                        "level-1 and level-2 headings and points)"])
    step = progress or (lambda fraction, message: None)
    step(0.05, "scorecard")
    results = scorecard(con, as_of, config, lang, with_forecast=False)
    by_id = {r.id: r for r in results}
    step(0.2, "budget")
    lines = budget.budget_lines(con, as_of, config)
    stages, early = budget.stage_acceptance(con, as_of, config)
    step(0.3, "ledgers")
    activities = _activities(con, by_id, as_of, lang)
    step(0.4, "evidence")
    evidence, blobs = _evidence(con, results, as_of, contents)
    return AcceptanceData(as_of, lang, config, store.demo_loaded(con), results, lines,
                          budget.budget_groups(lines, config), budget.payments_by_payee(con, as_of), stages, early,
                          activities, evidence, blobs)


# ---------------------------------------------------------------------------------------- figures in words

def completion(r: KpiResult) -> str:
    return "—" if r.progress is None else f"{r.progress * 100:.1f}%"


def met(r: KpiResult, lang: str) -> str:
    if r.value is None:
        return r.status_label
    return t("acceptance_yes" if r.status == "achieved" else "acceptance_no", lang)


def _wan(x) -> str:
    return "—" if x is None or x != x else f"{float(x):,.2f}"


def _million(wan: float) -> str:
    """万元 in English prose: 452 万元 = 4.52 million yuan (1 万 = 10,000)."""
    return f"{wan / 100:,.2f} million yuan"


def _rate(x) -> str:
    return "—" if x is None or x != x else f"{float(x) * 100:.1f}%"


def file_names(as_of: dt.date, lang: str) -> dict[str, str]:
    day = as_of.isoformat()
    return {"report": t("acceptance_file_report", lang, day=day), "self_eval": t("acceptance_file_self_eval", lang,
                                                                                 day=day),
            "pack": t("acceptance_file_pack", lang, day=day)}


# --------------------------------------------------------------------------------------------- the report

BODY_FONT, HEADING_FONT, TITLE_FONT, LATIN_FONT = "仿宋", "黑体", "宋体", "Times New Roman"
# Where 宋体/仿宋/黑体 are not installed (LibreOffice on Linux), the font table names the Noto CJK faces instead.
FONT_FALLBACKS = {"仿宋": "Noto Serif CJK SC", "宋体": "Noto Serif CJK SC", "黑体": "Noto Sans CJK SC"}


def _set_font(target, east_asian: str, size: float | None = None, bold: bool | None = None, color: str | None = None):
    """Font of a run or style: Latin face, East-Asian face (w:eastAsia, which Word uses for Chinese)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    font = target.font
    font.name = LATIN_FONT
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asian)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):  # a theme font would win
        fonts.attrib.pop(qn(theme), None)
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if color is not None:
        font.color.rgb = RGBColor.from_string(color)


def _font_table_fallbacks(document) -> None:
    """Declare each Chinese face in fontTable.xml with its Noto CJK alternative (w:altName) and GB2312 charset."""
    from lxml import etree

    part = next(p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    root = etree.fromstring(part.blob)
    ns = root.nsmap["w"]

    def q(tag):
        return f"{{{ns}}}{tag}"
    for name, alt in FONT_FALLBACKS.items():
        font = etree.SubElement(root, q("font"), {q("name"): name})
        etree.SubElement(font, q("altName"), {q("val"): alt})
        etree.SubElement(font, q("charset"), {q("val"): "86"})  # GB2312
        etree.SubElement(font, q("family"), {q("val"): "roman" if name != "黑体" else "modern"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _field(paragraph, instruction: str, shown: str = "") -> None:
    """A Word field (PAGE, TOC …) as begin / instruction / separate / cached result / end."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind):
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            element.set(qn("w:dirty"), "true")  # Word refreshes it on opening
        run._r.append(element)
        return run
    char("begin")
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run._r.append(text)
    char("separate")
    if shown:
        paragraph.add_run(shown)
    char("end")


def _para(document, text: str, size: float = 14, bold: bool = False, align=None, indent: bool = True,
          color: str | None = None, font: str = BODY_FONT, style: str | None = None):
    from docx.shared import Pt

    p = document.add_paragraph(style=style)
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.line_spacing = Pt(28) if size >= 14 else None
    run = p.add_run(text)
    _set_font(run, font, size, bold, color)
    return p


def _table(document, header: list[str], rows: list[list[str]], widths_cm: list[float],
           red: set[tuple[int, int]] = frozenset()):
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table = document.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)  # the grid (LibreOffice and WPS read it) as well as each cell below (Word)
    for r, values in enumerate([header, *rows]):
        cells = table.rows[r].cells
        for c, value in enumerate(values):
            cell = cells[c]
            cell.width = Cm(widths_cm[c])
            p = cell.paragraphs[0]
            run = p.add_run(str(value))
            _set_font(run, HEADING_FONT if r == 0 else BODY_FONT, 10.5, r == 0,
                      RED if (r - 1, c) in red else None)
    # The header repeats on every page the table runs over, and no row is split across two pages.
    for r, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        for tag in ("w:cantSplit", "w:tblHeader") if r == 0 else ("w:cantSplit",):
            element = OxmlElement(tag)
            element.set(qn("w:val"), "true")
            tr_pr.append(element)
    return table


def report_docx(data: AcceptanceData) -> bytes:
    import docx
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Pt, RGBColor

    lang, cfg = data.lang, data.config
    en = lang == "en"
    document = docx.Document()
    _font_table_fallbacks(document)
    normal = document.styles["Normal"]
    _set_font(normal, BODY_FONT, 14)
    # Chinese text is zh-CN: where 仿宋/宋体 are missing, LibreOffice then falls back to the Simplified Chinese
    # Noto CJK face rather than the Japanese one.
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "en-US" if en else "zh-CN")
    language.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(language)
    for level, size in ((1, 16), (2, 15)):
        style = document.styles[f"Heading {level}"]
        _set_font(style, HEADING_FONT if level == 1 else BODY_FONT, size, True)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = False
        style.paragraph_format.space_before = Pt(12)
        style.paragraph_format.space_after = Pt(6)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4, the official paper size
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    props = document.core_properties
    props.title = (cfg.project_en if en else cfg.project_zh) + " " + t("acceptance_report_title", lang)
    props.author = cfg.name_en if en else cfg.name_zh

    # Cover
    for _ in range(4):
        document.add_paragraph()
    _para(document, cfg.project_en if en else cfg.project_zh, 22, True, WD_ALIGN_PARAGRAPH.CENTER, False,
          font=TITLE_FONT)
    _para(document, t("acceptance_report_title", lang), 26, True, WD_ALIGN_PARAGRAPH.CENTER, False, font=TITLE_FONT)
    document.add_paragraph()
    if data.demo:
        _para(document, t("acceptance_demo", lang), 14, True, WD_ALIGN_PARAGRAPH.CENTER, False, RED)
    cover = [
        ("county", cfg.name_en if en else cfg.name_zh),
        ("period", f"{format_month(cfg.start, lang)}—{format_month(cfg.end, lang)}"),
        ("funds", _million(cfg.budget_wan) if en else format_wan(cfg.budget_wan, lang)),
        ("as_of", format_date(data.as_of, lang)),
        ("made_on", format_date(data.made_on, lang)),
        ("made_by", "________________"),
    ]
    for key, value in cover:
        _para(document, t("label_value", lang, label=t(f'acceptance_{key}', lang), value=value), 16, False,
              WD_ALIGN_PARAGRAPH.LEFT, False).paragraph_format.left_indent = Cm(2)

    # Contents: a TOC field whose cached text lists the headings (Word adds the page numbers on opening).
    body = document.add_section(WD_SECTION.NEW_PAGE)
    _para(document, t("acceptance_toc", lang), 16, True, WD_ALIGN_PARAGRAPH.CENTER, False, font=HEADING_FONT)
    toc = document.add_paragraph()
    _field(toc, 'TOC \\o "1-2" \\h \\z \\u',
           "\n".join(t(f'acceptance_{k}', lang) for k in ("h1", "h2", "h3", "h4", "h5")))
    hint = _para(document, t("acceptance_toc_hint", lang), 10.5, False, WD_ALIGN_PARAGRAPH.CENTER, False, "808080")
    # Page numbers from the body on: a PAGE field in the footer, centred, "— 1 —" as official documents write it.
    body.footer.is_linked_to_previous = False
    footer = body.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("— ")
    _field(footer, "PAGE", "1")
    footer.add_run(" —")
    for run in footer.runs:
        _set_font(run, LATIN_FONT, 14)
    document.sections[0].footer.is_linked_to_previous = False  # the cover has no number
    sect_pr = body._sectPr
    pg = OxmlElement("w:pgNumType")
    pg.set(qn("w:start"), "1")
    sect_pr.append(pg)
    hint.add_run().add_break(WD_BREAK.PAGE)

    results = data.results
    by_id = data.by_id

    # 一、项目基本情况
    document.add_heading(t("acceptance_h1", lang), 1)
    achieved = sum(r.status == "achieved" for r in results)
    spent = float(data.lines["spent_wan"].sum())
    # The phases' names are the county's own (data/county.toml, in both languages), not catalogue texts.
    phases = t("semicolon_separator", lang).join(
        t("acceptance_phase", lang, name_zh=p.zh, name_en=p.en, start=format_date(p.start, lang),
          end=format_date(p.end, lang))
        for p in cfg.phases)
    overview = [
        t("acceptance_overview_project", lang, project_zh=cfg.project_zh, project_en=cfg.project_en,
          county_zh=cfg.name_zh,
          county_en=cfg.name_en, start=format_date(cfg.start, lang), end=format_date(cfg.end, lang),
          budget_zh=cfg.budget_wan, budget_en=_million(cfg.budget_wan)),
        t("acceptance_overview_phases", lang, phases=phases),
        t("acceptance_overview_kpis", lang, kpis=len(results), as_of=format_date(data.as_of, lang), achieved=achieved,
          spent_zh=spent, spent_en=_million(spent), execution=format_value(BUDGET_KPI, by_id[BUDGET_KPI].value, lang)),
    ]
    for text in overview:
        _para(document, text)

    # 二、综合示范开展情况
    document.add_heading(t("acceptance_h2", lang), 1)
    for title, sentences in data.activities:
        document.add_heading(title, 2)
        for sentence in sentences:
            _para(document, sentence)

    # 三、建设成效
    document.add_heading(t("acceptance_h3", lang), 1)
    _para(document, t("acceptance_results_intro", lang, n_results=len(results),
                      as_of=format_date(data.as_of, lang)))
    rows, red = [], set()
    for i, r in enumerate(results):
        ev = data.evidence[r.id]
        rows.append([r.name, format_target(r.id, r.target, r.target_max, lang), format_value(r.id, r.value, lang),
                     completion(r), met(r, lang), ev.citation(lang)])
        if not ev.files:
            red.add((i, 5))
        if r.status != "achieved":
            red.add((i, 4))
    _table(document, [t(f'acceptance_{k}', lang) for k in ("kpi", "target", "value", "rate", "met", "evidence_no")], rows,
           [4.0, 2.6, 2.2, 1.7, 1.8, 3.3], red)

    # 四、资金使用情况
    document.add_heading(t("acceptance_h4", lang), 1)
    _para(document, t("acceptance_budget_paid_by", lang,
                      rate=_rate(spent / cfg.budget_wan if cfg.budget_wan else None), budget_wan_zh=cfg.budget_wan, budget_wan_en=_million(cfg.budget_wan), as_of=format_date(data.as_of, lang), spent_zh=spent, spent_en=_million(spent)))
    document.add_heading(t("acceptance_4_1_by_plan_line", lang), 2)
    line_rows = [[f"{row.line_id} {row.name_en if en else row.name_zh}",
                  t("acceptance_blank_plan", lang) if row.plan_blank else _wan(row.plan_wan), _wan(row.spent_wan),
                  _rate(row.execution)] for row in data.lines.itertuples()]
    line_rows.append([t("acceptance_total", lang), _wan(cfg.budget_wan), _wan(spent),
                      _rate(spent / cfg.budget_wan if cfg.budget_wan else None)])
    over = {(i, 2) for i, row in enumerate(data.lines.itertuples()) if row.over_plan}
    _table(document, [t(f'acceptance_{k}', lang) for k in ("line", "plan", "paid", "execution")], line_rows, [8, 2.8, 2.8, 2], over)
    document.add_heading(t("acceptance_4_2_by_payment_stage", lang), 2)
    stage_rows = [[row.stage_en if en else row.stage, str(row.payments), _wan(row.paid_wan),
                   format_date(row.accepted_on, lang) if row.needs_acceptance else "—",
                   _wan(row.early_wan) if row.needs_acceptance else "—"] for row in data.stages.itertuples()]
    early_cells = {(i, 4) for i, row in enumerate(data.stages.itertuples()) if row.early_payments}
    _table(document, [t(f'acceptance_{k}', lang) for k in ("stage", "payments", "paid", "accepted_on", "early")], stage_rows,
           [3, 1.8, 3, 3.4, 3.4], early_cells)
    for row in data.early.itertuples():
        _para(document, t("acceptance_paid_early_sentence", lang, voucher=row.voucher,
                          format_date=format_date(row.needs_acceptance_on, lang), format_date_zh=format_date(row.date, lang), format_date_en=row.date, stage_zh=row.stage, stage_en=_stage_en(row.stage), wan_zh=_wan(row.amount), wan_en=_million(row.amount)),
              12, color=RED)
    document.add_heading(t("acceptance_4_3_by_payee", lang), 2)
    payee_rows = [[str(row.payee), str(row.payments), _wan(row.spent_wan), str(row.lines)]
                  for row in data.payees.itertuples()]
    _table(document, [t(f'acceptance_{k}', lang) for k in ("payee", "payments", "paid", "lines")], payee_rows, [6, 1.8, 3, 4.8])

    # 五、存在问题及整改措施
    document.add_heading(t("acceptance_h5", lang), 1)
    missing = [r for r in results if r.status != "achieved"]
    if missing:
        _para(document, t("acceptance_missing_intro", lang, n_missing=len(missing),
                          as_of=format_date(data.as_of, lang)))
        for n, r in enumerate(missing, start=1):
            _para(document, t("acceptance_missing_item", lang, n=n, name=r.name, format_target=format_target(r.id, r.target, r.target_max, lang), format_value=format_value(r.id, r.value, lang), gap=r.gap, status_label=r.status_label))
    else:
        _para(document, t("acceptance_every_indicator_is_achieved", lang))
    no_evidence = [r.name for r in results if not data.evidence[r.id].files]
    if no_evidence:
        _para(document, t("acceptance_no_evidence_for", lang)
              + t("list_separator", lang).join(no_evidence) + t("sentence_end", lang), color=RED)
    if not data.early.empty:
        _para(document, t("acceptance_paid_early_summary", lang, n_early=len(data.early)),
              color=RED)
    marker = _para(document, t("acceptance_county_words", lang), 14, True, color="1F4E79")
    from docx.enum.text import WD_COLOR_INDEX
    for run in marker.runs:
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    for _ in range(3):
        _para(document, "")

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _stage_en(stage: str) -> str:
    return budget.STAGE_EN.get(stage, stage)


# ------------------------------------------------------------------------------------ the 绩效自评表

def self_evaluation_xlsx(data: AcceptanceData) -> bytes:
    import xlsxwriter

    lang, cfg = data.lang, data.config
    en = lang == "en"
    rows, budget_row = data.scores()
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    font = {"font_name": "宋体", "font_size": 10.5, "valign": "vcenter", "text_wrap": True, "border": 1}
    cell = book.add_format(font)
    center = book.add_format({**font, "align": "center"})
    head = book.add_format({**font, "bold": True, "align": "center", "bg_color": "#EDEDED"})
    title = book.add_format({"font_name": "宋体", "font_size": 18, "bold": True, "align": "center", "valign": "vcenter"})
    number = book.add_format({**font, "num_format": "0.00", "align": "center"})
    red = book.add_format({**font, "font_color": "#C00000"})
    sheet = book.add_worksheet(t("acceptance_self_eval", lang)[:31])
    sheet.set_column(0, 1, 12)
    sheet.set_column(2, 2, 28)
    sheet.set_column(3, 4, 20 if en else 14)
    sheet.set_column(5, 7, 10)
    sheet.set_column(8, 8, 50)
    sheet.merge_range(0, 0, 0, 8, t("acceptance_self_eval", lang), title)
    sheet.set_row(0, 32)
    sub = t("acceptance_data_as_of", lang, as_of=format_date(data.as_of, lang))
    if data.demo:
        sub += " " + t("acceptance_demo", lang)
    sheet.merge_range(1, 0, 1, 8, sub, book.add_format({"align": "center", "font_color": "#C00000" if data.demo
                                                         else "#000000"}))
    sheet.write(2, 0, t("acceptance_project", lang), head)
    sheet.merge_range(2, 1, 2, 8, cfg.project_en if en else cfg.project_zh, cell)
    sheet.write(3, 0, t("acceptance_county", lang), head)
    sheet.merge_range(3, 1, 3, 8, cfg.name_en if en else cfg.name_zh, cell)

    # 年度资金: the 预算执行率 row of the form.
    b = budget_row.result
    spent = float(b.detail.get("spent_wan") or 0)
    for c, key in enumerate(("funds", "budget_initial", "budget_full", "budget_spent", "points",
                             "execution", "score")):
        sheet.write(5, c, t(f'acceptance_{key}', lang), head)
    sheet.set_row(5, 30)
    sheet.merge_range(5, 7, 5, 8, t("acceptance_deviation", lang), head)
    sheet.write(6, 0, t("acceptance_budget_row", lang), center)
    sheet.write_number(6, 1, cfg.budget_wan, number)
    sheet.write_number(6, 2, cfg.budget_wan, number)
    sheet.write_number(6, 3, spent, number)
    sheet.write_number(6, 4, budget_row.points, number)
    sheet.write(6, 5, format_value(b.id, b.value, lang), center)
    sheet.write_number(6, 6, budget_row.score, number)
    sheet.merge_range(6, 7, 6, 8, _deviation(b, lang), cell if b.status == "achieved" else red)
    sheet.set_row(6, 30)  # spreadsheet programs do not grow a row for wrapped text they did not write

    header = ["level1", "level2", "level3", "annual_target", "actual", "rate", "points", "score", "deviation"]
    top = 8
    for c, key in enumerate(header):
        sheet.write(top, c, t(f'acceptance_{key}', lang), head)
    first = top + 1
    for i, row in enumerate(rows):
        r = row.result
        at = first + i
        sheet.write(at, 2, r.name, cell)
        sheet.write(at, 3, format_target(r.id, r.target, r.target_max, lang), center)
        sheet.write(at, 4, format_value(r.id, r.value, lang), center)
        sheet.write(at, 5, completion(r), center)
        sheet.write_number(at, 6, row.points, number)
        sheet.write_number(at, 7, row.score, number)
        sheet.write(at, 8, _deviation(r, lang), cell if r.status == "achieved" else red)
        if r.status != "achieved":
            sheet.set_row(at, 30)  # the gap and the request for causes take two lines
    # 一级 and 二级 cells merged over their runs, as the paper form draws them.
    for column, key in ((0, lambda x: x.level1), (1, lambda x: (x.level1, x.level2))):
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or key(rows[i]) != key(rows[start]):
                label = rows[start].level1 if column == 0 else rows[start].level2
                label = (EVALUATION_LEVELS[label][0] if column == 0 else LEVEL2_EN[label]) if en else label
                if i - start > 1:
                    sheet.merge_range(first + start, column, first + i - 1, column, label, center)
                else:
                    sheet.write(first + start, column, label, center)
                start = i
    last = first + len(rows)
    total = round(sum(r.score for r in rows) + budget_row.score, 2)
    sheet.merge_range(last, 0, last, 5, t("acceptance_total_score", lang), head)
    sheet.write_number(last, 6, sum(r.points for r in rows) + budget_row.points, number)
    # A formula (so an edited score re-adds) with its value cached for readers that do not calculate.
    sheet.write_formula(last, 7, f"=SUM(H{first + 1}:H{last})+G7", number, total)
    sheet.write(last, 8, t("label_value", lang, label=t("acceptance_grade", lang), value=grade(total, lang)), cell)
    note = t("acceptance_scoring_note", lang)
    sheet.merge_range(last + 2, 0, last + 2, 8, note, book.add_format({"text_wrap": True, "valign": "top"}))
    sheet.set_row(last + 2, 36)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(top, top)
    book.close()
    return buffer.getvalue()


def _deviation(r: KpiResult, lang: str) -> str:
    if r.status == "achieved":
        return t("target_met", lang)
    return t("acceptance_deviation_to_fill", lang, gap=r.gap, status_label=r.status_label,
             to_fill=t("acceptance_to_fill", lang))


# ---------------------------------------------------------------------------------------- evidence pack

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip() or "_"


def _cell_text(value):
    """A value for a spreadsheet cell; text that would start a formula is quoted (formula injection)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (list, tuple)):
        value = "、".join(map(str, value))
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _frame_xlsx(sheets: list[tuple[str, pd.DataFrame, set[int]]]) -> bytes:
    """Frames as sheets; rows whose index is in the set are written in red."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": False,
                                        "default_date_format": "yyyy-mm-dd"})
    head = book.add_format({"bold": True, "bg_color": "#EDEDED", "border": 1})
    red = book.add_format({"font_color": "#C00000", "bold": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, frame, red_rows in sheets:
        sheet = book.add_worksheet(_safe(name)[:31])
        for c, column in enumerate(frame.columns):
            sheet.write(0, c, str(column), head)
            # As wide as the header and the first rows need (CJK characters count double), within bounds.
            sample = [str(column), *(str(v) for v in frame.iloc[:200, c] if v is not None)]
            sheet.set_column(c, c, min(60, max(8, 2 + max(_display_width(t) for t in sample))))
        for r, values in enumerate(frame.itertuples(index=False), start=1):
            fmt = red if (r - 1) in red_rows else None
            for c, value in enumerate(values):
                value = _cell_text(value)
                if value is None:
                    continue
                if isinstance(value, (dt.date, dt.datetime)):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()) if type(value) is dt.date
                                         else value, fmt or date)
                elif isinstance(value, bool):
                    sheet.write_boolean(r, c, value, fmt)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value, fmt)
                else:
                    sheet.write_string(r, c, str(value), fmt)
        sheet.freeze_panes(1, 0)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
    book.close()
    return buffer.getvalue()


def index_frame(data: AcceptanceData) -> tuple[pd.DataFrame, set[int]]:
    """The 目录: one row per file of the pack with its 佐证材料编号; a KPI without evidence gets a red row."""
    lang = data.lang
    rows, red = [], set()
    for r in data.results:
        ev = data.evidence[r.id]
        folder = _folder(ev, r)
        rows.append({"code": f"{ev.code}-00", "kpi": r.name, "value": format_value(r.id, r.value, lang),
                     "file": f"{folder}/{ev.code}-00_{t('acceptance_ledger', lang)}.xlsx",
                     "about": t("acceptance_rows_about", lang, n_rows=len(ev.rows),
                                as_of=format_date(data.as_of, lang))})
        if not ev.files:
            red.add(len(rows))
            rows.append({"code": ev.code, "kpi": r.name, "value": format_value(r.id, r.value, lang), "file": "",
                         "about": t("acceptance_no_evidence", lang)})
        for f in ev.files:
            rows.append({"code": f["code"], "kpi": r.name, "value": format_value(r.id, r.value, lang),
                         "file": f"{folder}/{_evidence_name(f)}",
                         "about": t("acceptance_evidence_of_load", lang, load_id=f['load_id'],
                                    file_name=f['file_name'], added_by=f['added_by'], added_at=f['added_at'])})
    frame = pd.DataFrame(rows, columns=["code", "kpi", "value", "file", "about"])
    frame.columns = [t("acceptance_evidence_no", lang), t("acceptance_kpi", lang), t("acceptance_value", lang),
                     t("acceptance_file", lang), t("acceptance_about", lang)]
    return frame, red


def _folder(ev: KpiEvidence, r: KpiResult) -> str:
    return _safe(f"{ev.code}_{r.name}")


def _evidence_name(f: dict) -> str:
    # Shortened to what unzip can create: a stored name may predate the cap at upload (metrics/core/filenames.py).
    return filenames.fit(_safe(f"{f['code']}_{f['file_name']}"))


def stage_frames(data: AcceptanceData) -> tuple[pd.DataFrame, pd.DataFrame]:
    lang = data.lang
    en = lang == "en"
    stages = pd.DataFrame({
        t("acceptance_stage", lang): data.stages["stage_en" if en else "stage"],
        t("acceptance_payments", lang): data.stages["payments"],
        t("acceptance_paid", lang): data.stages["paid_wan"].round(4),
        t("acceptance_accepted_on", lang): [a if need else None for a, need in zip(data.stages["accepted_on"],
                                                                          data.stages["needs_acceptance"])],
        t("acceptance_early", lang): data.stages["early_wan"].round(4),
    })
    early = data.early.rename(columns={"voucher": t("acceptance_voucher", lang),
                                       "date": t("acceptance_paid_on", lang),
                                       "line": t("acceptance_plan_line", lang),
                                       "amount": t("acceptance_amount_10k_yuan", lang),
                                       "payee": t("acceptance_payee", lang), "stage": t("acceptance_stage", lang),
                                       "needs_acceptance_on": t("acceptance_due", lang)})
    return stages, early


def evidence_zip(data: AcceptanceData, progress: Progress | None = None) -> bytes:
    if data.blobs is None:
        raise ValueError("the evidence contents were not read: collect(..., contents=True)")
    lang = data.lang
    buffer = io.BytesIO()
    index, red = index_frame(data)
    stages, early = stage_frames(data)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        pack.writestr(f"00_{t('acceptance_index', lang)}.xlsx",
                      _frame_xlsx([(t("acceptance_index", lang), index, red),
                                   (t("acceptance_stages_sheet", lang), stages,
                                    set(stages.index[stages[t("acceptance_early", lang)] > 0])),
                                   (t("acceptance_early_sheet", lang), early, set(range(len(early))))]))
        for n, r in enumerate(data.results):
            ev = data.evidence[r.id]
            folder = _folder(ev, r)
            pack.writestr(f"{folder}/{ev.code}-00_{t('acceptance_ledger', lang)}.xlsx",
                          _frame_xlsx([(r.name, row_labels(ev.rows, r.id, lang), set())]))
            for f in ev.files:
                pack.writestr(f"{folder}/{_evidence_name(f)}", data.blobs[f["sha256"]])
            if progress:
                progress(0.6 + 0.35 * (n + 1) / len(data.results), r.name)
    return buffer.getvalue()


def build(data: AcceptanceData, progress: Progress | None = None) -> dict[str, bytes]:
    """The three files, by file name."""
    step = progress or (lambda fraction, message: None)
    names = file_names(data.as_of, data.lang)
    step(0.45, names["report"])
    files = {names["report"]: report_docx(data)}
    step(0.55, names["self_eval"])
    files[names["self_eval"]] = self_evaluation_xlsx(data)
    files[names["pack"]] = evidence_zip(data, step)
    step(1.0, "")
    return files

