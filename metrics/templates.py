"""An .xlsx template per dataset: the headers, one example row, and a notes sheet (填写说明) in Chinese."""

from __future__ import annotations

import io
from pathlib import Path

import xlsxwriter

from .config import CountyConfig, default_config
from .datasets import DATASETS, ONE_OF_REQUIRED, Column, Dataset

TYPE_NOTES = {
    "text": "文本",
    "date": "日期，如 2023-05-12、2023/5/12、2023年5月12日",
    "month": "月份，如 2023-05、2023年5月",
    "int": "整数，可写 1.2万",
    "number": "数字",
    "bool": "是/否",
    "enum": "只能填以下之一",
    "township": "乡镇，可用简称",
    "budget_line": "预算科目序号（如 3.2）或细项名称",
    "list": "多个名称用顿号、逗号或分号分隔",
}


def header_text(col: Column) -> str:
    return f"{col.zh}（{col.unit}）" if col.unit in ("万元", "元", "千克") else col.zh


def _note(col: Column, ds: Dataset, config: CountyConfig) -> str:
    parts = [TYPE_NOTES.get(col.type, "文本")]
    if col.type == "enum":
        parts.append("、".join(col.choices))
    if col.type == "township":
        parts.append("、".join(t.name for t in config.townships))
    if col.type == "number" and col.unit == "万元":
        parts.append("单位万元；写 12.5万 或 125000元 也可")
    if col.type == "number" and col.unit == "元":
        parts.append("单位元；写 1.2万 也可")
    if col.personal == "id_number":
        parts.append("仅以加密摘要保存，不保存原号码")
    if col.personal == "phone":
        parts.append("仅保存脱敏形式，如 138****0119")
    if col.minimum is not None:
        parts.append("必须大于 0" if col.exclusive_minimum else "不能为负数")
    return "；".join(parts)


def template_bytes(dataset: str, config: CountyConfig | None = None) -> bytes:
    config = config or default_config()
    ds = DATASETS[dataset]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
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
        sheet.set_column(i, i, max(12, len(header_text(col)) * 2 + 2))
    sheet.freeze_panes(1, 0)

    notes = book.add_worksheet("填写说明")
    notes.write_row(0, 0, ["列名", "English", "是否必填", "是否主键", "填写要求"], head)
    for i, col in enumerate(ds.columns, start=1):
        must = "必填" if col.required else ("二选一必填" if col.key in ONE_OF_REQUIRED.get(ds.name, ()) else "选填")
        notes.write_row(i, 0, [header_text(col), col.key, must, "是" if col.is_key else "", _note(col, ds, config)])
    row = len(ds.columns) + 2
    general = [
        f"数据集：{ds.label()}（{ds.name}）",
        "表头上方可保留最多 5 行标题；表头可用中文或英文列名。",
        "主键相同的行视为更正：新值替换旧值，旧值保留，可撤销。",
        "文件中有任何错误时整份文件不导入，错误报告会列出每个问题的行号、列和原因。",
        "CSV 可用 UTF-8、GBK 或 UTF-16 编码保存。",
    ]
    if ds.note("zh"):
        general.insert(1, ds.note("zh"))
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
