"""A problem found in a ledger: where it is (file, sheet, row, column), the value, and why.

Row numbers are the ones the spreadsheet shows (1-based, title rows counted), so a clerk can go straight to the cell.
Values of personal columns are masked before they get here: a report never carries a raw ID or phone number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .i18n import severity, t

MAX_VALUE_CHARS = 80


@dataclass
class Problem:
    severity: str  # "error" blocks the load; "warning" does not
    code: str  # message key of metrics.i18n
    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: dict = field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def message(self, lang: str = "zh") -> str:
        return t(self.code, lang, **self.params)

    def as_row(self, lang: str = "zh") -> dict:
        """One line of the report, with headers in the chosen language."""
        zh = lang != "en"
        return {
            ("级别" if zh else "severity"): severity(self.severity, lang),
            ("文件" if zh else "file"): Path(self.file).name,
            ("工作表" if zh else "sheet"): self.sheet or "",
            ("行号" if zh else "row"): self.row if self.row is not None else "",
            ("列" if zh else "column"): self.column or "",
            ("值" if zh else "value"): self.value if self.value is not None else "",
            ("原因" if zh else "reason"): self.message(lang),
        }

    def as_text(self, lang: str = "zh") -> str:
        zh = lang != "en"
        where = []
        if self.sheet:
            where.append(f"工作表「{self.sheet}」" if zh else f"sheet '{self.sheet}'")
        if self.row is not None:
            where.append(f"第 {self.row} 行" if zh else f"row {self.row}")
        if self.column:
            where.append(f"列「{self.column}」" if zh else f"column '{self.column}'")
        if self.value is not None:
            where.append(f"值「{self.value}」" if zh else f"value '{self.value}'")
        label = severity(self.severity, lang)
        sep = "，" if zh else ", "
        head = sep.join(where)
        return f"[{label}] {head}{'：' if zh else ': '}{self.message(lang)}" if head else f"[{label}] {self.message(lang)}"


def show_value(raw) -> str | None:
    """A cell as shown in a report or kept aside: shortened, with anything that looks like an ID or phone masked."""
    if raw is None:
        return None
    from .pii import scrub

    text = scrub(str(raw))
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"
