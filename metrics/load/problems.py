"""A problem found in a ledger: where it is (file, sheet, row, column), the value, and why.

Row numbers are the ones the spreadsheet shows (1-based, title rows counted), so a clerk can go straight to the cell.
Values of personal columns are masked before they get here: a report never carries a raw ID or phone number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from metrics.core.i18n import severity, t

MAX_VALUE_CHARS = 80


@dataclass
class Problem:
    severity: str  # "error" blocks the load; "warning" does not
    code: str  # message key of metrics.core.i18n
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
        return {
            t("problem_severity", lang): severity(self.severity, lang),
            t("problem_file", lang): Path(self.file).name,
            t("problem_sheet", lang): self.sheet or "",
            t("problem_row", lang): self.row if self.row is not None else "",
            t("problem_column", lang): self.column or "",
            t("problem_value", lang): self.value if self.value is not None else "",
            t("problem_reason", lang): self.message(lang),
        }

    def as_text(self, lang: str = "zh") -> str:
        where = []
        if self.sheet:
            where.append(t("problem_where_sheet", lang, sheet=self.sheet))
        if self.row is not None:
            where.append(t("problem_where_row", lang, row=self.row))
        if self.column:
            where.append(t("problem_where_column", lang, column=self.column))
        if self.value is not None:
            where.append(t("problem_where_value", lang, value=self.value))
        label = severity(self.severity, lang)
        sep = t("clause_separator", lang)
        head = sep.join(where)
        return f"[{label}] {head}{t('label_separator', lang)}{self.message(lang)}" if head else f"[{label}] {self.message(lang)}"


def show_value(raw) -> str | None:
    """A cell as shown in a report or kept aside: shortened, with anything that looks like an ID or phone masked and
    invisible characters written out (metrics.load.rules.kept_value strips them from what is kept)."""
    if raw is None:
        return None
    from metrics.core.text import visible
    from metrics.platform.pii import scrub

    text = visible(scrub(str(raw)))  # PXB-2303⟨U+200B⟩: what makes a value differ from the one it looks like
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"
