"""Make tests/forms/parts/: small workbooks for what a workbook holds besides its values (merged ranges, hidden
sheets, rows and columns, formula errors), each written by openpyxl and saved by LibreOffice as .xlsx, .xls and .ods.
LibreOffice computes the formulas on opening, so the files carry the error values (#DIV/0!, #N/A) a clerk sees.
The generated files are committed: CI does not run LibreOffice. tests/test_workbook_parts.py holds what each gives.

    flock /tmp/kpi-heavy.lock .venv/bin/python tests/forms/make_parts.py
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

OUT = Path(__file__).parent / "parts"
D = dt.date
HEADER = ["凭证号", "支付日期", "预算科目", "金额（万元）", "收款单位", "说明"]


def p01(ws) -> None:
    """收款单位 merged down rows 3-5 (optional), 预算科目 merged down rows 2-3 (required)."""
    for row in (HEADER,
                ["PZ1", D(2023, 4, 1), "3.2", 1.5, "甲公司", None],
                ["PZ2", D(2023, 4, 2), None, 2.25, "乙公司", None],
                ["PZ3", D(2023, 4, 3), "1.1", 3, None, None],
                ["PZ4", D(2023, 4, 4), "1.1", 4, None, None]):
        ws.append(row)
    ws.merge_cells("C2:C3")
    ws.merge_cells("E3:E5")


def p02(ws) -> None:
    """A visible sheet and a hidden 旧版（作废） sheet holding the same voucher with another amount."""
    for row in (HEADER, ["PZ1", D(2023, 4, 1), "3.2", 1.5, "甲公司", None]):
        ws.append(row)
    old = ws.parent.create_sheet("旧版（作废）")
    for row in (HEADER, ["PZ1", D(2023, 4, 1), "3.2", 15, "甲公司", None]):
        old.append(row)
    old.sheet_state = "hidden"


def p03(ws) -> None:
    """A #DIV/0! in 金额 (required) and a #N/A in 说明 (optional)."""
    for row in (HEADER,
                ["PZ1", D(2023, 4, 1), "3.2", 1.5, "甲公司", None],
                ["PZ2", D(2023, 4, 2), "3.2", "=1/0", "乙公司", None],
                ["PZ3", D(2023, 4, 3), "1.1", 3, "丙公司", "=NA()"]):
        ws.append(row)


def p04(ws) -> None:
    """Row 3 hidden (a voided payment hidden, not deleted); column F (说明) hidden, holding a note."""
    for row in (HEADER,
                ["PZ1", D(2023, 4, 1), "3.2", 1.5, "甲公司", None],
                ["PZ2", D(2023, 4, 2), "3.2", 2, "乙公司", "重复录入"],
                ["PZ3", D(2023, 4, 3), "1.1", 3, "丙公司", None]):
        ws.append(row)
    ws.row_dimensions[3].hidden = True
    ws.column_dimensions["F"].hidden = True


def p05(ws) -> None:
    """金额 merged down rows 2-3: one figure written for two payments."""
    for row in (HEADER,
                ["PZ1", D(2023, 4, 1), "3.2", 5, "甲公司", None],
                ["PZ2", D(2023, 4, 2), "3.2", None, "乙公司", None]):
        ws.append(row)
    ws.merge_cells("D2:D3")


def p06(ws) -> None:
    """A units row under the header, Calc's 分类汇总 rows, a header repeated after a page break, a footer."""
    for row in (["凭证号", "支付日期", "预算科目", "金额", "收款单位"],
                [None, None, None, "元", None],
                ["PZ1", D(2023, 4, 1), "3.2", 125000, "甲公司"],
                ["PZ2", D(2023, 4, 2), "3.2", 50000, "甲公司"],
                [None, None, None, 175000, "甲公司 汇总"],
                ["凭证号", "支付日期", "预算科目", "金额", "收款单位"],
                ["PZ3", D(2023, 5, 3), "1.1", 8000, "乙公司"],
                [None, None, None, 8000, "乙公司 汇总"],
                [None, None, None, 183000, "总计"],
                ["填表人：张三", None, None, None, None]):
        ws.append(row)


def p07(ws) -> None:
    """单位 stated only in a note below the table."""
    for row in (["凭证号", "支付日期", "预算科目", "金额", "收款单位"],
                ["PZ1", D(2023, 4, 1), "3.2", 800000, "甲公司"],
                ["PZ2", D(2023, 4, 2), "1.1", 8000, "乙公司"],
                ["注：金额单位为元", None, None, None, None]):
        ws.append(row)
    ws.merge_cells("A4:E4")


def p08(ws) -> None:
    """A comment (批注) on a row's amount saying the payment was voided."""
    from openpyxl.comments import Comment

    for row in (HEADER,
                ["PZ1", D(2023, 4, 1), "3.2", 1.5, "甲公司", None],
                ["PZ2", D(2023, 4, 2), "3.2", 2, "乙公司", None]):
        ws.append(row)
    ws["D3"].comment = Comment("已作废，退回财政", "县商务局")


FORMS = {"p01_merged_down": p01, "p02_hidden_sheet": p02, "p03_formula_errors": p03, "p04_hidden_row_column": p04,
         "p05_merged_amount": p05, "p06_units_row_subtotals": p06, "p07_unit_in_note": p07,
         "p08_comment": p08}


def main() -> int:
    if shutil.which("soffice") is None:
        print("LibreOffice (soffice) is needed: apt-get install libreoffice-calc-nogui", file=sys.stderr)
        return 1
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        sources = []
        for name, build in FORMS.items():
            book = openpyxl.Workbook()
            book.active.title = "支出"
            build(book.active)
            sources.append(Path(tmp) / f"{name}.xlsx")
            book.save(sources[-1])
        for ext in ("xlsx", "xls", "ods"):
            out = Path(tmp) / ext
            subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", ext, "--outdir", str(out),
                            *map(str, sources)], check=True, capture_output=True, timeout=600)
            for made in out.iterdir():
                shutil.copy(made, OUT / made.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
