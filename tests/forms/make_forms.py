"""Make the corpus of county forms in tests/forms/files/ with a real spreadsheet program (LibreOffice headless).

Each form below is written as a source workbook (openpyxl: cells, merged cells, number and date cells as a clerk
types them), then LibreOffice opens it and saves it as .xlsx, .xls and .ods, and its first sheet as CSV; the CSV
(LibreOffice's UTF-8) is stored in GBK and in UTF-8 with a BOM, the two encodings county computers write.
The generated files are committed: CI does not run LibreOffice. tests/test_forms.py holds what each must give.

    flock /tmp/browser.lock .venv/bin/python tests/forms/make_forms.py
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

OUT = Path(__file__).parent / "files"
D = dt.date

# name -> {"sheets": [(sheet name, rows, merged ranges)], "csv": whether the first sheet is also saved as CSV}
FORMS: dict[str, dict] = {}


def form(name: str, *sheets, csv: bool = True) -> None:
    FORMS[name] = {"sheets": list(sheets), "csv": csv}


# 1. 单位：元 in the title rows, header 金额 with no unit; a totals row and a footer spread over cells.
form("f01_expenditures_title_unit", ("支出", [
    ["2023年资金支出台账", None, None, None, None],
    ["填报单位：县商务局", None, None, "单位：元", None],
    ["凭证号", "支付日期", "预算科目", "金额", "收款单位"],
    ["PZ2023-001", D(2023, 4, 12), "3.2", 125000, "新疆某设计公司"],
    ["PZ2023-002", D(2023, 5, 20), "3.2", 50000, "布尔津县印刷厂"],
    ["合计", None, None, 175000, None],
    ["填表人：张三", None, "审核人：李四", None, "填报日期：2023-06-01"],
], ["A1:E1", "A6:C6"]))

# 2. Amounts typed in 元 under a bare 金额 header, nothing says so: the plausibility checks must refuse.
form("f02_expenditures_yuan_undeclared", ("支出", [
    ["凭证号", "支付日期", "预算科目", "金额", "收款单位"],
    ["PZ2023-011", D(2023, 4, 12), "3.2", 125000, "新疆某设计公司"],
    ["PZ2023-012", D(2023, 5, 20), "1.1", 8000, "县电商中心"],
], []))

# 3. 金额（万元） merged over 计划 | 实际: two columns map to one field.
form("f03_expenditures_plan_actual", ("支出", [
    ["凭证号", "支付日期", "预算科目", "金额（万元）", None, "收款单位"],
    [None, None, None, "计划", "实际", None],
    ["PZ2023-021", D(2023, 4, 12), "3.2", 12, 12.5, "新疆某设计公司"],
], ["A1:A2", "B1:B2", "C1:C2", "D1:E1", "F1:F2"]))

# 4. The same with the sub-header row deleted, as the old error message suggested: data under no header.
form("f04_expenditures_no_subheader", ("支出", [
    ["凭证号", "支付日期", "预算科目", "金额（万元）", None, "收款单位"],
    ["PZ2023-031", D(2023, 4, 12), "3.2", 12, 12.5, "新疆某设计公司"],
], ["D1:E1"]))

# 5. Online retail with 网络零售额（万元） merged over 全县 | 农产品, and a totals row in the month column.
form("f05_retail_two_row_header", ("零售额", [
    ["布尔津县网络零售额月报", None, None, None],
    ["月份", "网络零售额（万元）", None, "数据来源"],
    [None, "全县", "农产品", None],
    ["2023-01", 1520.5, 410.2, "商务部电子商务统计"],
    ["2023-02", 1380, 395.8, "商务部电子商务统计"],
    ["2023-03", 1610.25, 430, "商务部电子商务统计"],
    ["合计", 4510.75, 1236, None],
], ["A1:D1", "A2:A3", "B2:C2", "D2:D3"]))

# 6. Section captions per year inside the table, a 累计 row at the end, notes below.
form("f06_retail_year_captions", ("零售额", [
    ["月份", "全县网络零售额（万元）", "农产品网络零售额（万元）", "数据来源"],
    ["2023年", None, None, None],
    ["2023-11", 1000, 300, "统计局"],
    ["2023-12", 1200, 350, "统计局"],
    ["2024年", None, None, None],
    ["2024-01", 900, 250, "统计局"],
    ["累计", 3100, 900, None],
    ["注：数据来源于县统计局月报", None, None, None],
    ["2024年数据为初步统计", None, None, None],
], ["A2:D2", "A5:D5", "A8:D8", "A9:D9"]))

# 7. A sign-in sheet with its session in the title (full-width, as an input method types it), 共3人次, footer.
form("f07_attendance_session_in_title", ("签到", [
    ["直播带货培训班签到表", None, None, None],
    ["场次编号：ＰＸ２０２３－００１", None, "培训日期：2023年3月15日", None],
    ["学员编号", "姓名", "性别", "乡镇"],
    ["XY0001", "张三", "男", "冲乎尔镇"],
    ["ＸＹ０００２", "阿依古丽", "女", "禾木"],
    ["XY0003", "李四", "男", "布尔津镇"],
    ["共3人次", None, None, None],
    ["填表人：", "王五", "审核人：", "赵六"],
], ["A1:D1", "A7:D7"]))

# 8. ID numbers typed as numbers: 15 significant digits kept, the rest lost.
form("f08_attendance_id_as_number", ("签到", [
    ["场次编号", "身份证号", "姓名"],
    ["PX2023-001", 654321198001011234, "张三"],
    ["PX2023-001", 654321199002022345, "李四"],
], []))

# 9. A workbook with instructions, sessions and attendance side by side: one batch, sessions first.
form("f09_workbook_sessions_attendance",
     ("填表说明", [["填表说明"], ["1. 每场培训填一行"], ["2. 签到表按场次编号对应"]], []),
     ("培训签到", [
         ["场次编号", "学员编号", "姓名", "性别"],
         ["PX2023-101", "XY0101", "张三", "男"],
         ["PX2023-101", "XY0102", "李四", "女"],
         ["ＰＸ２０２３－１０２", "XY0101", "张三", "男"],
     ], []),
     ("培训场次", [
         ["场次编号", "培训日期", "乡镇", "培训主题", "培训形式"],
         ["PX2023-101", D(2023, 3, 15), "布尔津镇", "直播带货", "线下"],
         ["PX2023-102", D(2023, 4, 20), "冲乎尔镇", "网店运营", "线上"],
     ], []), csv=False)

# 10. One sheet per year of one ledger, and a cover sheet.
form("f10_workbook_years",
     ("封面", [["布尔津县资金支出台账"], ["2023—2024年度"]], []),
     ("2023年", [
         ["凭证号", "支付日期", "预算科目", "金额（万元）", "收款单位"],
         ["PZ2023-041", D(2023, 4, 12), "3.2", 12.5, "新疆某设计公司"],
         ["PZ2023-042", D(2023, 9, 1), "1.1", 8, "县电商中心"],
     ], []),
     ("2024年", [
         ["凭证号", "支付日期", "预算科目", "金额（万元）", "收款单位"],
         ["PZ2024-001", D(2024, 3, 5), "3.2", 20, "新疆某设计公司"],
         ["PZ2024-002", D(2024, 4, 9), "4.1", 6.75, "某物流公司"],
         ["小计", None, None, 26.75, None],
     ], ["A4:C4"]), csv=False)

# 11. One year's sheet lacks a required column: refused, never silently left out.
form("f11_workbook_year_missing_column",
     ("2023年", [
         ["凭证号", "支付日期", "预算科目", "金额（万元）"],
         ["PZ2023-051", D(2023, 4, 12), "3.2", 12.5],
     ], []),
     ("2024年", [
         ["凭证号", "支付日期", "金额（万元）"],
         ["PZ2024-051", D(2024, 3, 5), 20],
     ], []), csv=False)

# 12. A sessions ledger uploaded as talents (the test names the dataset): the wrong ledger.
form("f12_sessions_as_talents", ("场次", [
    ["场次编号", "培训日期", "乡镇", "培训主题", "培训形式"],
    ["PX2023-201", D(2023, 3, 15), "布尔津镇", "直播带货", "线下"],
], []))

# 13. Follower counts whose talent ids are typed full-width; 粉丝数 as 1.2万.
form("f13_followers_fullwidth", ("粉丝", [
    ["达人编号", "平台", "日期", "粉丝数", "账号"],
    ["ＤＲ００１", "抖音", D(2024, 5, 31), "1.2万", "@hemu"],
    ["DR002", "快手", D(2024, 5, 31), 3500, "@kanas"],
], []))

# 14. Logistics subsidies in 元 with a totals row that does not add up: loaded, with a warning.
form("f14_logistics_total_mismatch", ("物流", [
    ["运单号", "发货日期", "企业", "补贴金额（元）"],
    ["YT0000000001", D(2023, 10, 8), "布尔津县渔业合作社", 8],
    ["YT0000000002", D(2023, 10, 9), "布尔津县渔业合作社", 12.5],
    ["YT0000000003", D(2023, 10, 9), "喀纳斯山货铺", 6],
    ["合计", None, None, 30],
], []))

# 15. 单位：元 above a header that says 万元: a conflict.
form("f15_expenditures_unit_conflict", ("支出", [
    ["单位：元", None, None, None],
    ["凭证号", "支付日期", "预算科目", "金额（万元）"],
    ["PZ2023-061", D(2023, 4, 12), "3.2", 12.5],
], []))

# 16. Sessions grouped by township captions (一、禾木乡), notes below over two lines.
form("f16_sessions_township_captions", ("场次", [
    ["场次编号", "培训日期", "乡镇", "培训主题", "培训形式"],
    ["一、禾木哈纳斯蒙古族乡", None, None, None, None],
    ["PX2023-301", D(2023, 5, 10), "禾木", "直播带货", "线下"],
    ["PX2023-302", D(2023, 6, 12), "禾木", "产品包装", "线下"],
    ["二、冲乎尔镇", None, None, None, None],
    ["PX2023-303", D(2023, 7, 1), "冲乎尔", "网店运营", "线上"],
    ["备注：", None, None, None, None],
    ["线上培训按直播间人数统计", None, None, None, None],
], ["A2:E2", "A5:E5"]))


# 17. 金额单位：元 above a header naming no unit, a 序号 column, 总计 merged over 序号…日期, footer in one cell.
form("f17_events_amount_unit_yuan", ("活动", [
    ["2023年推介活动统计表", None, None, None, None, None],
    ["金额单位：元", None, None, None, None, None],
    ["序号", "活动编号", "活动名称", "类型", "日期", "签约或销售额"],
    [1, "HD2023-01", "布尔津特色农产品乌鲁木齐推介会", "推介活动", D(2023, 8, 18), 1200000],
    [2, "HD2023-02", "布尔津县电商创业大赛", "电商创业大赛", D(2023, 10, 10), 350000],
    ["总计", None, None, None, None, 1550000],
    ["制表：王五    负责人：赵六", None, None, None, None, None],
], ["A1:F1", "A6:E6", "A7:F7"]))

# 18. A sign-in sheet whose totals row is only in the township column.
form("f18_attendance_total_in_township", ("签到", [
    ["场次编号", "学员编号", "姓名", "乡镇"],
    ["PX2023-001", "XY0011", "张三", "禾木"],
    ["PX2023-001", "XY0012", "李四", "冲乎尔"],
    [None, None, None, "合计：2人"],
], []))


def write_source(name: str, spec: dict, folder: Path) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet_name, rows, merged in spec["sheets"]:
        sheet = book.create_sheet(sheet_name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = sheet.cell(r, c, value)
                if isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"  # shown (and saved to CSV) as 2023-04-12
                elif isinstance(value, int) and value > 10**15:
                    cell.number_format = "General"  # an ID typed into a number cell: Excel shows 6.54321E+17
        for cells in merged:
            sheet.merge_cells(cells)
    path = folder / f"{name}.xlsx"
    book.save(path)
    return path


def convert(sources: list[Path], target: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", target, "--outdir", str(out),
                    *map(str, sources)], check=True, capture_output=True, timeout=600)


def main() -> int:
    if shutil.which("soffice") is None:
        print("LibreOffice (soffice) is needed: apt-get install libreoffice-calc-nogui", file=sys.stderr)
        return 1
    OUT.mkdir(exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "src").mkdir()
        sources = [write_source(name, spec, tmp / "src") for name, spec in FORMS.items()]
        for ext in ("xlsx", "xls", "ods"):
            convert(sources, ext, tmp / ext)
        # .xlsm (a workbook with macros enabled) for two forms: the same reader, another container name.
        convert([s for s in sources if s.stem in ("f05_retail_two_row_header", "f10_workbook_years")],
                "xlsm:Calc MS Excel 2007 VBA XML", tmp / "xlsm")
        for ext in ("xlsx", "xls", "ods", "xlsm"):
            for made in (tmp / ext).iterdir():
                shutil.copy(made, OUT / made.name)
        csv_sources = [s for s, spec in zip(sources, FORMS.values()) if spec["csv"]]
        # 44 = comma, 34 = double quote, 76 = UTF-8; LibreOffice writes the first sheet.
        convert(csv_sources, "csv:Text - txt - csv (StarCalc):44,34,76", tmp / "csv")
        for made in (tmp / "csv").iterdir():
            text = made.read_text(encoding="utf-8")
            (OUT / f"{made.stem}.gbk.csv").write_bytes(text.encode("gbk"))
            (OUT / f"{made.stem}.utf8bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    print(f"{len(list(OUT.iterdir()))} files in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
