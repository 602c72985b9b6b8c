"""验收报告.docx: the Word report of the acceptance pack, built from AcceptanceData (no database)."""

from __future__ import annotations

import io

from metrics.core.config import BUDGET_KPI
from metrics.core.i18n import t
from metrics.core.words import in_row
from metrics.kpi import budget
from metrics.kpi.formatting import format_date, format_month, format_target, format_value, format_wan
from metrics.outputs.acceptance import RED, AcceptanceData
from metrics.outputs.pack_dates import dates_sentence
from metrics.outputs.report_sections import (
    conclusion_paragraphs,
    reconciliation_paragraphs,
    self_evaluation_sentence,
)
from metrics.outputs.words import completion, kpi_sentence, met
from metrics.outputs.words import million as _million
from metrics.outputs.words import rate as _rate
from metrics.outputs.words import wan as _wan

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
    document = docx.Document()
    _font_table_fallbacks(document)
    normal = document.styles["Normal"]
    _set_font(normal, BODY_FONT, 14)
    # Chinese text is zh-CN: where 仿宋/宋体 are missing, LibreOffice then falls back to the Simplified Chinese
    # Noto CJK face rather than the Japanese one.
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), t("acceptance_docx_language", lang))
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
    props.title = cfg.project_name(lang) + " " + t("acceptance_report_title", lang)
    props.author = cfg.county_name(lang)

    # Cover
    for _ in range(4):
        document.add_paragraph()
    _para(document, cfg.project_name(lang), 22, True, WD_ALIGN_PARAGRAPH.CENTER, False,
          font=TITLE_FONT)
    _para(document, t("acceptance_report_title", lang), 26, True, WD_ALIGN_PARAGRAPH.CENTER, False, font=TITLE_FONT)
    document.add_paragraph()
    if data.demo:
        _para(document, t("acceptance_demo", lang), 14, True, WD_ALIGN_PARAGRAPH.CENTER, False, RED)
    cover = [
        ("county", cfg.county_name(lang)),
        ("period", f"{format_month(cfg.start, lang)}—{format_month(cfg.end, lang)}"),
        ("funds", t("acceptance_cover_funds", lang, funds_zh=format_wan(cfg.budget_wan, lang),
                    funds_en=_million(cfg.budget_wan))),
        ("as_of", format_date(data.as_of, lang)),
        ("made_on", format_date(data.made_on, lang)),
        ("made_by", "________________"),
    ]
    for key, value in cover:
        _para(document, t("label_value", lang, label=t(f'acceptance_{key}', lang), value=value), 16, False,
              WD_ALIGN_PARAGRAPH.LEFT, False).paragraph_format.left_indent = Cm(2)

    # Contents: one line per heading with its page number as a PAGEREF field to a bookmark on the heading (filled
    # in at the end, when the headings exist). LibreOffice and WPS lay the number out themselves; Word on opening
    # (the fields are marked dirty). No "press F9" in the body.
    body = document.add_section(WD_SECTION.NEW_PAGE)
    _para(document, t("acceptance_toc", lang), 16, True, WD_ALIGN_PARAGRAPH.CENTER, False, font=HEADING_FONT)
    hint = document.add_paragraph()
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
    spent = budget.wan(data.lines["spent_wan"].sum())
    # The phases' names are the county's own (data/county.toml, in both languages), not catalogue texts.
    phases = t("semicolon_separator", lang).join(
        t("acceptance_phase", lang, name=p.name(lang), start=format_date(p.start, lang),
          end=format_date(p.end, lang))
        for p in cfg.phases)
    overview = [
        t("acceptance_overview_project", lang, project=cfg.project_name(lang), county=cfg.county_name(lang),
          start=format_date(cfg.start, lang), end=format_date(cfg.end, lang),
          budget_zh=cfg.budget_wan, budget_en=_million(cfg.budget_wan)),
        t("acceptance_overview_phases", lang, phases=phases),
        dates_sentence(data.dates, lang),
        t("acceptance_overview_kpis", lang, kpis=len(results), as_of=format_date(data.dates.money_as_of, lang),
          achieved=achieved,
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
                     completion(r), met(r, lang), format_date(data.dates.kpi_dates[r.id], lang), ev.citation(lang)])
        if not ev.files:
            red.add((i, 6))
        if r.status != "achieved":
            red.add((i, 4))
    _para(document, t("report_kpi_sentences_intro", lang)
          + t("semicolon_separator", lang).join(kpi_sentence(r, lang) for r in results) + t("sentence_end", lang))
    _para(document, self_evaluation_sentence(data))
    _table(document, [t(f'acceptance_{k}', lang) for k in ("kpi", "target", "value", "rate", "met", "judged_on",
                                                          "evidence_no")], rows,
           [3.6, 2.3, 2.0, 1.5, 1.5, 2.4, 2.9], red)

    # 四、资金使用情况
    document.add_heading(t("acceptance_h4", lang), 1)
    _para(document, t("acceptance_budget_paid_by", lang,
                      rate=_rate(spent / cfg.budget_wan if cfg.budget_wan else None), budget_wan_zh=cfg.budget_wan, budget_wan_en=_million(cfg.budget_wan), as_of=format_date(data.dates.money_as_of, lang), spent_zh=spent, spent_en=_million(spent)))
    document.add_heading(t("acceptance_4_1_by_plan_line", lang), 2)
    line_rows = [[f"{row.line_id} {in_row(row, 'name', lang)}",
                  t("acceptance_blank_plan", lang) if row.plan_blank else _wan(row.plan_wan), _wan(row.spent_wan),
                  _rate(row.execution)] for row in data.lines.itertuples()]
    line_rows.append([t("acceptance_total", lang), _wan(cfg.budget_wan), _wan(spent),
                      _rate(spent / cfg.budget_wan if cfg.budget_wan else None)])
    over = {(i, 2) for i, row in enumerate(data.lines.itertuples()) if row.over_plan}
    _table(document, [t(f'acceptance_{k}', lang) for k in ("line", "plan", "paid", "execution")], line_rows, [8, 2.8, 2.8, 2], over)
    document.add_heading(t("acceptance_4_2_by_payment_stage", lang), 2)
    stage_rows = [[budget.stage_name(row.stage, lang), str(row.payments), _wan(row.paid_wan),
                   format_date(row.accepted_on, lang) if row.needs_acceptance else "—",
                   _wan(row.early_wan) if row.needs_acceptance else "—"] for row in data.stages.itertuples()]
    early_cells = {(i, 4) for i, row in enumerate(data.stages.itertuples()) if row.early_payments}
    _table(document, [t(f'acceptance_{k}', lang) for k in ("stage", "payments", "paid", "accepted_on", "early")], stage_rows,
           [3, 1.8, 3, 3.4, 3.4], early_cells)
    for row in data.early.itertuples():
        _para(document, t("acceptance_paid_early_sentence", lang, voucher=row.voucher,
                          format_date=format_date(row.needs_acceptance_on, lang), format_date_zh=format_date(row.date, lang), format_date_en=row.date, stage=budget.stage_name(row.stage, lang), wan_zh=_wan(row.amount), wan_en=_million(row.amount)),
              12, color=RED)
    _paid_after_end(document, data)
    document.add_heading(t("acceptance_4_3_by_payee", lang), 2)
    payee_rows = [[str(row.payee), str(row.payments), _wan(row.spent_wan), str(row.lines)]
                  for row in data.payees.itertuples()]
    _table(document, [t(f'acceptance_{k}', lang) for k in ("payee", "payments", "paid", "lines")], payee_rows, [6, 1.8, 3, 4.8])
    document.add_heading(t("report_4_4_reconciliation", lang), 2)
    for text, flag in reconciliation_paragraphs(data):
        _para(document, text, color=RED if flag else None)

    # 五、存在问题及整改措施
    document.add_heading(t("acceptance_h5", lang), 1)
    missing = [r for r in results if r.status != "achieved"]
    if missing:
        _para(document, t("acceptance_missing_intro_dated", lang, n_missing=len(missing)))
        for n, r in enumerate(missing, start=1):
            _para(document, t("acceptance_missing_item_dated", lang, n=n, name=r.name,
                              date=format_date(data.dates.kpi_dates[r.id], lang), format_target=format_target(r.id, r.target, r.target_max, lang), format_value=format_value(r.id, r.value, lang), gap=r.gap, status_label=r.status_label))
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

    # 六、结论与下一步工作: the generated conclusion, then the county's own words in the marked place.
    document.add_heading(t("report_h6", lang), 1)
    for text in conclusion_paragraphs(data):
        _para(document, text)
    marker = _para(document, t("report_county_conclusion", lang), 14, True, color="1F4E79")
    for run in marker.runs:
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    for _ in range(3):
        _para(document, "")

    _contents(document, hint)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _contents(document, before) -> None:
    """The contents lines, inserted before `before`: heading, dot leader, PAGEREF to a bookmark on the heading."""
    from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    headings = [p for p in document.paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    for n, heading in enumerate(headings, start=1):
        name = f"_Toc{n:08d}"
        start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
        start.set(qn("w:id"), str(n))
        start.set(qn("w:name"), name)
        end.set(qn("w:id"), str(n))
        heading._p.insert(1 if heading._p.pPr is not None else 0, start)
        heading._p.append(end)
        line = before.insert_paragraph_before()
        line.paragraph_format.tab_stops.add_tab_stop(Cm(15.5), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        if heading.style.name == "Heading 2":
            line.paragraph_format.left_indent = Cm(0.9)
        _set_font(line.add_run(heading.text + "\t"), BODY_FONT, 14 if heading.style.name == "Heading 1" else 12)
        _field(line, f"PAGEREF {name} \\h", "")
        for run in line.runs:
            _set_font(run, BODY_FONT, 14 if heading.style.name == "Heading 1" else 12)


def _paid_after_end(document, data: AcceptanceData) -> None:
    """Payments after the project's end (up to the pack's date): listed on their own, never added to the above."""
    if data.after_end.empty:
        return
    lang = data.lang
    _para(document, t("acceptance_paid_after_end", lang, money_as_of=format_date(data.dates.money_as_of, lang),
                      as_of=format_date(data.as_of, lang), n=len(data.after_end), wan=_wan(data.paid_after_end_wan)))
    for row in data.after_end.itertuples():
        _para(document, t("acceptance_paid_after_end_item", lang, voucher=row.voucher, date=format_date(row.date, lang),
                          line=row.line, wan=_wan(row.amount), payee=row.payee if row.payee == row.payee and row.payee
                          else "—"), 12)




