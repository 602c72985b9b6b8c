"""The public site's pages (政务公开, issue 28), written from the content model of metrics.outputs.publish.

Files: `index.html` (the site: the charts as SVG files beside their tables, a stylesheet), `style.css`,
`charts/<name>.svg`, and `print.html`, the same content as one self-contained page (styles and charts inline) for a
content system that takes an article; print.pdf is printed from it. No script, no web font, no link to another
host: fonts are the reader's own (the CJK fonts every Chinese system has), and every link is to a file beside it.
"""

from __future__ import annotations

import html

from metrics.core.i18n import t
from metrics.core.words import in_row
from metrics.kpi import budget
from metrics.kpi.budget import NOT_STATED
from metrics.kpi.formatting import format_date, format_target, format_value, format_wan
from metrics.outputs import charts
from metrics.outputs.publish import Publication

CHART_WIDTH = 640  # px: the SVG's own width; scaled down on a phone, its table beside it carries the figures
STATUS_COLORS = charts.STATUS_COLORS

CSS = """:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
  "Hiragino Sans GB", sans-serif; font-size: 16px; line-height: 1.6; color: #1a1a1a; background: #fff; }
header, main, footer { max-width: 1400px; margin: 0 auto; padding: 0 16px; }
h1 { font-size: 1.5rem; margin: 16px 0 4px; } h2 { font-size: 1.25rem; margin: 32px 0 8px;
  border-bottom: 2px solid #0072B2; } h3 { font-size: 1.1rem; margin: 24px 0 8px; }
.demo { background: #fff3cd; border: 2px solid #E69F00; padding: 8px 16px; font-weight: bold; text-align: center; }
.as-of { color: #444; margin: 0 0 8px; }
nav ul { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
nav a, footer a { color: #0050a0; }
dl { display: grid; grid-template-columns: minmax(6em, 14em) 1fr; gap: 4px 16px; margin: 0; }
dt { font-weight: bold; } dd { margin: 0; overflow-wrap: anywhere; }
.pair { display: grid; grid-template-columns: 1fr; gap: 16px; align-items: start; margin-bottom: 24px; }
@media (min-width: 1100px) { .pair { grid-template-columns: minmax(0, 640px) minmax(0, 1fr); } }
figure { margin: 0; } figure img, figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.875rem; color: #444; }
table { border-collapse: collapse; width: 100%; font-size: 0.875rem; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
th, td { border: 1px solid #ccc; padding: 4px 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f2f2f2; } td.num { text-align: right; white-space: nowrap; }
td.status { border-left-width: 6px; } .note { font-size: 0.875rem; color: #444; }
footer { margin-top: 32px; padding-bottom: 32px; color: #444; font-size: 0.875rem; }
/* A phone: each row a card, each cell labelled with its column (the roles keep it a table for screen readers). */
@media (max-width: 600px) {
  dl { grid-template-columns: 1fr; gap: 0; } dd { margin-bottom: 8px; }
  table, tbody, tr, td, caption { display: block; width: 100%; } thead { display: none; }
  tr { border: 1px solid #ccc; margin-bottom: 8px; } th, td { border: 0; border-bottom: 1px solid #eee; }
  td { display: grid; grid-template-columns: 7.5em 1fr; gap: 8px; text-align: left; }
  td.num { text-align: left; white-space: normal; } td.status { border-left: 6px solid; }
  td::before { content: attr(data-label); font-weight: bold; color: #444; }
}
@media print {
  body { font-size: 10.5pt; } nav, .screen-only { display: none; }
  .pair { display: block; } figure, table, tr { break-inside: avoid; }
  h2 { break-after: avoid; } a { color: inherit; text-decoration: none; }
}
""" + "".join(f"td.status-{status} {{ border-left-color: {color}; }}\n" for status, color in STATUS_COLORS.items())

SECTIONS = ("project", "progress", "funds", "milestones", "updates")


def e(text) -> str:
    return html.escape(str(text), quote=True)


def figures(pub: Publication) -> dict[str, tuple]:
    """The charts (name -> figure, width, height): each area's bullet chart and the plan lines' chart."""
    out = {}
    for area, _name, results in pub.areas:
        fig = charts.finish(charts.bullet_chart(results, pub.lang, font_size=16, label_width=26))
        out[f"kpis-{area}"] = (fig, CHART_WIDTH, max(320, int(fig.layout.height or 320)))
    fig = charts.budget_lines_figure(pub.lines, pub.lang, font_size=16, label_width=26)
    out["budget"] = (fig, CHART_WIDTH, int(fig.layout.height))
    return out


def _wan(amount) -> str:
    """An amount in 万元 as every table of the site writes it (two decimals: 100 yuan)."""
    return "—" if amount is None or amount != amount else f"{amount:,.2f}"


def _rate(rate) -> str:
    return "—" if rate is None or rate != rate else f"{rate * 100:.1f}%"


def _table(caption: str, head: list[str], rows: list[list[tuple[str, str]]]) -> str:
    """A table; each cell is (text, css class) and the text is escaped here. Each cell carries its column's name
    (data-label), which a phone shows beside it; the ARIA roles keep the table a table when a phone's stylesheet
    lays its rows out as cards."""
    def cell(text: str, cls: str, label: str) -> str:
        css = f' class="{cls}"' if cls else ""
        return f'<td role="cell" data-label="{e(label)}"{css}>{e(text)}</td>'

    body = "".join('<tr role="row">' + "".join(cell(text, cls, label) for (text, cls), label in zip(row, head))
                   + "</tr>" for row in rows)
    heads = "".join(f'<th scope="col" role="columnheader">{e(h)}</th>' for h in head)
    return (f'<table role="table"><caption>{e(caption)}</caption><thead><tr role="row">{heads}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _figure(name: str, alt: str, caption: str, chart) -> str:
    return f"<figure>{chart(name, alt)}<figcaption>{e(caption)}</figcaption></figure>"


def _project(pub: Publication) -> str:
    lang, cfg, chosen = pub.lang, pub.config, pub.settings
    items = [(t("publish_project_name", lang), cfg.project_name(lang)),
             (t("publish_county", lang), cfg.county_name(lang)),
             (t("publish_period", lang), t("publish_period_value", lang, start=format_date(cfg.start, lang),
                                             end=format_date(cfg.end, lang))),
             (t("publish_funds", lang), format_wan(cfg.budget_wan, lang)
              + (f" · {chosen.funds.in_(lang)}" if chosen.funds else ""))]
    if chosen.departments:
        items.append((t("publish_departments", lang),
                      t("list_separator", lang).join(words.in_(lang) for words in chosen.departments)))
    if chosen.contractors:
        items.append((t("publish_contractors", lang), t("list_separator", lang).join(
            t("publish_tendered", lang, name=c.shown(lang),
              date=format_date(c.tender_date, lang)) for c in chosen.contractors)))
    rows = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in items)
    return f"<dl>{rows}</dl>"


def _progress(pub: Publication, chart) -> str:
    lang = pub.lang
    head = [t("publish_col_kpi", lang), t("publish_col_target", lang), t("publish_col_value", lang),
            t("publish_col_status", lang), t("publish_col_deadline", lang), t("publish_col_clause", lang)]
    parts = [f'<p class="note">{e(t("publish_progress_note", lang))}</p>']
    for area, name, results in pub.areas:
        rows = [[(r.name, ""), (format_target(r.id, r.target, r.target_max, lang), ""),
                 (format_value(r.id, r.value, lang), "num"), (r.status_label, f"status status-{r.status}"),
                 (format_date(r.deadline, lang), ""), (r.clause, "")] for r in results]
        parts.append(f"<h3>{e(name)}</h3><div class=\"pair\">"
                     + _figure(f"kpis-{area}", t("publish_chart_alt_area", lang, area=name),
                               t("publish_chart_caption_area", lang), chart)
                     + _table(t("publish_table_area", lang, area=name), head, rows) + "</div>")
    return "".join(parts)


def _funds(pub: Publication, chart) -> str:
    lang = pub.lang
    budget_wan = pub.config.budget_wan
    summary = t("publish_funds_summary", lang, budget=format_wan(budget_wan, lang),
                spent=format_wan(pub.spent_wan, lang), rate=_rate(pub.spent_wan / budget_wan if budget_wan else None))
    line_rows = [[(row.line_id, ""), (in_row(row, "name", lang), ""),
                  (t("budget_blank_in_plan", lang) if row.plan_blank else _wan(row.plan_wan), "num"),
                  (_wan(row.spent_wan), "num"), (_rate(row.execution), "num")] for row in pub.lines.itertuples()]
    lines = _table(t("publish_lines_caption", lang),
                   [t("publish_col_line", lang), t("publish_col_line_name", lang), t("publish_col_plan", lang),
                    t("publish_col_paid", lang), t("publish_col_rate", lang)], line_rows)
    stage_rows = [[(budget.stage_name(row.stage, lang), ""), (str(row.payments), "num"), (_wan(row.paid_wan), "num"),
                   (format_date(row.accepted_on, lang) if row.accepted_on else
                    (t("publish_not_needed", lang) if not row.needs_acceptance else t("budget_not_yet_accepted", lang)),
                    ""), (in_row(row, "acceptance", lang) or "—", "")]
                  for row in pub.stages.itertuples() if row.payments or row.stage != NOT_STATED]
    stages = _table(t("publish_stages_caption", lang),
                    [t("publish_col_stage", lang), t("publish_col_payments", lang), t("publish_col_paid", lang),
                     t("publish_col_accepted_on", lang), t("publish_col_acceptance", lang)], stage_rows)
    payee_rows = [[((in_row(p, "name", lang) or p["name"]) if p["listed"]
                    else t("publish_other_payees", lang), ""),
                   (format_date(p["tender_date"], lang) if p["listed"] and p["tender_date"] else "—", ""),
                   (str(p["payments"]), "num"), (_wan(p["spent_wan"]), "num")] for p in pub.payees]
    payees = _table(t("publish_payees_caption", lang),
                    [t("publish_col_payee", lang), t("publish_col_tender", lang), t("publish_col_payments", lang),
                     t("publish_col_paid", lang)], payee_rows)
    return (f"<p>{e(summary)}</p><div class=\"pair\">"
            + _figure("budget", t("publish_chart_alt_budget", lang), t("publish_chart_caption_budget", lang), chart)
            + lines + "</div>" + f'<p class="note">{e(t("briefing_plan_numbering", lang))}</p>' + stages
            + f'<p class="note">{e(t("publish_stages_note", lang))}</p>' + payees
            + f'<p class="note">{e(t("publish_payees_note", lang))}</p>')


def _milestones(pub: Publication) -> str:
    lang = pub.lang
    rows = [[(row.milestone_id, ""), (row.phase or "—", ""), (row.task, ""),
             (format_date(_day(row.planned_end), lang), ""),
             (format_date(_day(row.actual_end), lang) if row.state in ("done", "done_late") else "—", ""),
             (t(f"milestone_{row.state}", lang), "")] for row in pub.milestones.itertuples()]
    return _table(t("publish_milestones_caption", lang),
                  [t("publish_col_no", lang), t("publish_col_phase", lang), t("publish_col_task", lang),
                   t("publish_col_planned", lang), t("publish_col_done", lang), t("publish_col_state", lang)], rows)


def _day(value):
    """A date from a frame cell (a pandas Timestamp, a date, or missing)."""
    if value is None or value != value:
        return None
    return value.date() if hasattr(value, "date") else value


def _updates(pub: Publication) -> str:
    from metrics.core.datasets import DATASETS
    from metrics.kpi.status import status_name

    lang = pub.lang
    if pub.changes is None:
        return f"<p>{e(t('publish_first', lang))}</p>"
    changes = pub.changes
    items = [t("publish_status_change", lang, name=c["name"], before=status_name(c["before"], lang),
               after=status_name(c["after"], lang), value=c["value"]) for c in changes["status_changes"]]
    items += [t("publish_load_line", lang, name=DATASETS[item["dataset"]].label(lang), added=item["rows_added"],
                replaced=item["rows_replaced"]) + (t("publish_load_undone", lang) if item["undone"] else "")
              for item in changes["loads"]]
    if abs(changes["paid_wan"]) > 1e-9:
        items.append(t("publish_paid_since", lang, amount=format_wan(changes["paid_wan"], lang)))
    body = "".join(f"<li>{e(item)}</li>" for item in items) or f"<li>{e(t('publish_no_change', lang))}</li>"
    earlier = t("list_separator", lang).join(format_date(day, lang) for day in pub.earlier)
    return (f"<p>{e(t('publish_since', lang, date=format_date(changes['since'], lang)))}</p><ul>{body}</ul>"
            f"<p class=\"note\">{e(t('publish_earlier', lang, dates=earlier))}</p>")


def page(pub: Publication, chart, styles: str, printable: bool) -> str:
    """One whole page; `chart(name, alt)` gives a chart's markup (an <img> of the SVG file, or the SVG inline)."""
    lang = pub.lang
    cfg = pub.config
    title = t("publish_site_title", lang, project=cfg.project_name(lang))
    demo = f'<p class="demo" role="note">{e(t("publish_demo_banner", lang))}</p>' if pub.demo else ""
    as_of = t("publish_data_date", lang, date=format_date(pub.as_of, lang))
    nav = "" if printable else "<nav><ul>" + "".join(
        f'<li><a href="#{s}">{e(t(f"publish_section_{s}", lang))}</a></li>' for s in SECTIONS) + "</ul></nav>"
    bodies = {"project": _project(pub), "progress": _progress(pub, chart), "funds": _funds(pub, chart),
              "milestones": _milestones(pub), "updates": _updates(pub)}
    sections = "".join(f'<section id="{s}"><h2>{e(t(f"publish_section_{s}", lang))}</h2>{bodies[s]}</section>'
                       for s in SECTIONS)
    links = "" if printable else (f'<p class="screen-only">{e(t("publish_printable", lang))} '
                                  f'<a href="print.html">{e(t("publish_print_html", lang))}</a> · '
                                  f'<a href="print.pdf">{e(t("publish_print_pdf", lang))}</a></p>')
    footer = t("publish_footer", lang, county=cfg.county_name(lang),
               date=format_date(pub.as_of, lang))
    return (f'<!DOCTYPE html>\n<html lang="{e(t("html_language", lang))}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>'
            f"{styles}</head><body>{demo}<header><h1>{e(title)}</h1><p class=\"as-of\">{e(as_of)}</p>{nav}</header>"
            f"<main>{sections}</main><footer>{demo}<p>{e(footer)}</p>{links}</footer></body></html>\n")


def site(pub: Publication, svgs: dict[str, bytes]) -> dict[str, bytes]:
    """The folder's files (without the PDF): path -> bytes."""
    def as_file(name: str, alt: str) -> str:
        fig_width = CHART_WIDTH
        return f'<img src="charts/{e(name)}.svg" alt="{e(alt)}" width="{fig_width}">'

    def inline(name: str, alt: str) -> str:
        svg = svgs[name].decode("utf-8")
        return svg.replace("<svg ", f'<svg role="img" aria-label="{e(alt)}" ', 1)

    files = {f"charts/{name}.svg": content for name, content in svgs.items()}
    files["style.css"] = CSS.encode()
    files["index.html"] = page(pub, as_file, '<link rel="stylesheet" href="style.css">', False).encode()
    files["print.html"] = page(pub, inline, f"<style>{CSS}</style>", True).encode()
    return files
