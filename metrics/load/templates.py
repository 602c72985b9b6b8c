"""An .xlsx template per dataset: the headers, one example row, and a notes sheet (填写说明) in Chinese."""

from __future__ import annotations

import io
from pathlib import Path

from metrics.core import spreadsheet
from metrics.core.config import CountyConfig, default_config
from metrics.core.datasets import DATASETS, ONE_OF_REQUIRED, Column, Dataset
from metrics.core.i18n import t
from metrics.core.locales import SOURCE_LANGUAGE

# A template is filled in by the county's clerks, in Chinese: its headers are the data contract's canonical ones, and
# its notes are written in the catalogues' source language (keys `template_…`, `template_type_<type>`).
LANG = SOURCE_LANGUAGE
TEMPLATE_TYPES = ("text", "date", "month", "int", "number", "bool", "enum", "township", "budget_line", "list")


def header_text(col: Column) -> str:
    return f"{col.zh}（{col.unit}）" if col.unit in ("万元", "元", "千克") else col.zh


def _note(col: Column, ds: Dataset, config: CountyConfig) -> str:
    parts = [t(f"template_type_{col.type}" if col.type in TEMPLATE_TYPES else "template_type_text", LANG)]
    if col.type == "enum":
        parts.append(t("list_separator", LANG).join(col.choices))
    if col.type == "township":
        parts.append(t("list_separator", LANG).join(township.name for township in config.townships))
    if col.type == "number" and col.unit == "万元":
        parts.append(t("template_unit_wan", LANG))
    if col.type == "number" and col.unit == "元":
        parts.append(t("template_unit_yuan", LANG))
    if col.personal == "id_number":
        parts.append(t("template_id_number", LANG))
    if col.personal == "phone":
        parts.append(t("template_phone", LANG))
    if col.minimum is not None:
        parts.append(t("not_positive" if col.exclusive_minimum else "negative", LANG))
    return t("semicolon_separator", LANG).join(parts)


def template_bytes(dataset: str, config: CountyConfig | None = None) -> bytes:
    config = config or default_config()
    ds = DATASETS[dataset]
    buffer = io.BytesIO()
    book = spreadsheet.new_workbook(buffer)  # a township or note starting with "=" stays text
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    required = book.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    sheet = book.add_worksheet(ds.label("zh").replace("（", "(").replace("）", ")")[:31])
    for i, col in enumerate(ds.columns):
        sheet.write_string(0, i, header_text(col), required if col.required else head)
        example = ds.example.get(col.key)
        if example is not None:
            if isinstance(example, (int, float)):
                sheet.write_number(1, i, example)
            else:
                sheet.write_string(1, i, str(example))
        sheet.set_column(i, i, spreadsheet.column_width([header_text(col)], least=12))
    sheet.freeze_panes(1, 0)

    notes = book.add_worksheet(t("template_notes_sheet", LANG))
    notes.write_row(0, 0, [t(f"template_head_{c}", LANG) for c in ("column", "english", "required", "key", "how")], head)
    for i, col in enumerate(ds.columns, start=1):
        must = "template_required" if col.required else \
            ("template_one_of_two" if col.key in ONE_OF_REQUIRED.get(ds.name, ()) else "template_optional")
        key = t("template_is_key", LANG) if col.is_key else ""
        notes.write_row(i, 0, [header_text(col), col.key, t(must, LANG), key, _note(col, ds, config)])
    row = len(ds.columns) + 2
    general = [
        t("template_dataset", LANG, name=ds.label(LANG), id=ds.name),
        *(t(f"template_general_{n}", LANG) for n in range(1, 5)),
    ]
    if ds.note(LANG):
        general.insert(1, ds.note(LANG))
    for text in general:
        notes.write_string(row, 0, text)
        row += 1
    notes.set_column(0, 0, 22)
    notes.set_column(1, 3, 14)
    notes.set_column(4, 4, 70)
    book.close()
    return buffer.getvalue()


def write_templates(directory: Path, config: CountyConfig | None = None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, ds in DATASETS.items():
        path = directory / f"{ds.label()}_{name}.xlsx".replace("（", "(").replace("）", ")")
        path.write_bytes(template_bytes(name, config))
        written.append(path)
    return written
