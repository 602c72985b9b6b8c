"""Make the fresh corpus of issue 23 (tests/forms/fresh/files/): forms as county offices file them, each with
several of the messes of real forms at once, written by someone who has not read the loader.

Each form is a source workbook (openpyxl: values, formulas, merged cells, hidden sheets, comments, number formats);
LibreOffice opens it (computing every formula) and saves it as .xlsx, .xls and .ods; single-sheet forms without
merges are also saved as CSV (LibreOffice's UTF-8, stored in the encoding named in the form). What each must give is
in tests/forms/fresh/truth.py, worked out by hand; tests/test_fresh_forms.py loads them.

    flock /tmp/kpi-heavy.lock .venv/bin/python tests/forms/fresh/make_fresh.py
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment

OUT = Path(__file__).parent / "files"
D = dt.date
CN_DATE = 'yyyy"年"m"月"d"日"'
# name -> (sheets, csv encoding or None); a sheet is a dict: name, rows, merges, hidden, comments {cell: text},
# formats {cell: number format}, quoted [cells typed with a leading ']
FORMS: dict[str, tuple[list[dict], str | None]] = {}


def form(name: str, *sheets: dict, csv: str | None = None) -> None:
    FORMS[name] = (list(sheets), csv)


def sheet(name: str, rows: list[list], merges=(), hidden=False, comments=None, formats=None, quoted=()) -> dict:
    return dict(name=name, rows=rows, merges=list(merges), hidden=hidden, comments=comments or {},
                formats=formats or {}, quoted=list(quoted))


# g01 expenditures: title, 单位：元 in the title, 序号, 预算科目 merged down its group, Excel 分类汇总, footer.
form("g01_spend_merged_subtotals", sheet("支出明细", [
    ["布尔津县电子商务进农村综合示范项目资金支出明细表", None, None, None, None, None],
    [None, None, None, None, None, "单位：元"],
    ["序号", "预算科目", "凭证号", "支付日期", "金额", "收款单位"],
    [1, "3.2", "JZ2023-011", D(2023, 4, 12), 125000, "新疆某设计公司"],
    [2, None, "JZ2023-012", D(2023, 6, 3), 48000, "布尔津县印刷厂"],
    [None, "3.2 汇总", None, None, "=SUBTOTAL(9,E4:E5)", None],
    [3, "1.1", "JZ2023-013", D(2023, 7, 19), 30000, "县电商中心"],
    [None, "1.1 汇总", None, None, "=SUBTOTAL(9,E7:E7)", None],
    [None, "总计", None, None, "=SUBTOTAL(9,E4:E8)", None],
    ["填表人：古丽", None, "审核人：王建", None, "填报日期：2023年8月1日", None],
], merges=["A1:F1", "B4:B5"]))

# g02 expenditures: amounts in 元, the unit said only in a note under the table.
form("g02_spend_unit_in_note", sheet("支出", [
    ["凭证号", "支付日期", "预算科目", "金额", "收款单位", "说明"],
    ["JZ2023-021", D(2023, 5, 8), "3.2", 62000, "新疆某设计公司", "包装设计"],
    ["JZ2023-022", D(2023, 5, 30), "1.1", 15500, "县电商中心", "场地租赁"],
    ["注：金额单位为元", None, None, None, None, None],
]), csv="gbk")

# g03 online retail: a units row under the header, months written 2023年1月.
form("g03_retail_units_row", sheet("零售额", [
    ["月份", "全县网络零售额", "农产品网络零售额", "数据来源"],
    [None, "万元", "万元", None],
    ["2023年7月", 1432.6, 388.1, "商务部电子商务统计"],
    ["2023年8月", 1511, 402.75, "商务部电子商务统计"],
]), csv="utf-8-sig")

# g04 online retail: months typed as numbers; 2023.10 shows as 2023.1 — January or October?
form("g04_retail_month_numbers", sheet("零售额", [
    ["月份", "全县网络零售额（万元）", "农产品网络零售额（万元）", "数据来源"],
    [2023.09, 1500, 400, "统计局"],
    [2023.1, 1620, 415, "统计局"],
    [2023.11, 1580, 420, "统计局"],
]), csv="gbk")

# g05 online retail: month date cells shown as 2023年1月, a formula 合计 row, a full-width number typed as text.
form("g05_retail_formula_total", sheet("月报", [
    ["2024年网络零售额月报", None, None, None],
    ["月份", "全县网络零售额（万元）", "农产品网络零售额（万元）", "数据来源"],
    [D(2024, 1, 1), 980.5, 260, "统计局"],
    [D(2024, 2, 1), "１０２０", 275.5, "统计局"],
    [D(2024, 3, 1), 1105.25, 301, "统计局"],
    ["合计", "=SUM(B3:B5)", "=SUM(C3:C5)", None],
], merges=["A1:D1"], formats={"A3": 'yyyy"年"m"月"', "A4": 'yyyy"年"m"月"', "A5": 'yyyy"年"m"月"'}), csv="utf-16")

# g06 sessions + attendance in one workbook, 乡镇 and 场次编号 merged down (the commonest county layout).
form("g06_sessions_attendance_merged", sheet("培训场次", [
    ["场次编号", "培训日期", "乡镇", "培训主题", "培训形式", "培训地点"],
    ["PX2023-201", D(2023, 4, 10), "禾木乡", "直播带货", "线下", "禾木村委会"],
    ["PX2023-202", D(2023, 4, 11), None, "摄影美工", "线下", "禾木村委会"],
    ["PX2023-203", D(2023, 5, 9), "冲乎尔镇", "网店运营", "线上", None],
], merges=["C2:C3"]), sheet("签到", [
    ["场次编号", "学员编号", "姓名", "乡镇"],
    ["PX2023-201", "XY2001", "阿依古丽", "禾木"],
    [None, "XY2002", "巴特尔", "禾木"],
    [None, "XY2003", "叶尔兰", "禾木"],
    ["PX2023-202", "XY2001", "阿依古丽", "禾木"],
    [None, "XY2004", "张敏", "布尔津镇"],
], merges=["A2:A4", "A5:A6"]))

# g07 sessions with last year's version kept as a hidden sheet.
form("g07_sessions_hidden_old", sheet("场次", [
    ["场次编号", "培训日期", "乡镇", "培训主题", "培训形式"],
    ["PX2023-211", D(2023, 6, 1), "布尔津镇", "电商基础", "线下"],
    ["PX2023-212", D(2023, 6, 15), "杜来提乡", "产品包装", "线下"],
]), sheet("旧版（作废）", [
    ["场次编号", "培训日期", "乡镇", "培训主题", "培训形式"],
    ["PX2023-211", D(2023, 5, 1), "布尔津镇", "电商基础", "线上"],
    ["PX2023-219", D(2023, 5, 2), "布尔津镇", "其他", "线下"],
], hidden=True))

# g08 attendance naming people by ID number only, typed in full-width digits by a phone IME.
form("g08_attendance_fullwidth_ids", sheet("签到", [
    ["场次编号：PX2023-201", None, None],
    ["姓名", "身份证号", "手机号"],
    ["阿依古丽", "６５４３２１１９９００１０１１２３２", "１３８１２３４５６７８"],
    ["巴特尔", "６５４３２１１９９２０３１５４５６５", "13812345679"],
    ["叶尔兰", "６５４３２１１９８８０７２０７８９７", "13812345680"],
]), csv="utf-8-sig")

# g09 events: participants separated by / , 及 and a line break; 单位：万元 in the title.
form("g09_events_separators", sheet("活动", [
    ["2023年电商活动台账", None, None, None, None, None],
    [None, None, None, None, None, "单位：万元"],
    ["活动编号", "活动名称", "类型", "日期", "参与主体", "签约或销售额"],
    ["HD2023-11", "阿勒泰农特产品推介会", "推介活动", D(2023, 8, 8), "禾木蜂业合作社/冲乎尔乳业", 86],
    ["HD2023-12", "乡村振兴直播大赛", "电商创业大赛", D(2023, 9, 20), "张三及李四", 12.5],
    ["HD2023-13", "站长交流会", "站长沙龙", D(2023, 10, 5), "王五\n赵六", None],
], merges=["A1:F1"]), csv="utf-8-sig")

# g10 expenditures: a payment voided but left in, marked 作废 in 说明.
form("g10_spend_void_row", sheet("支出", [
    ["凭证号", "支付日期", "预算科目", "金额（万元）", "收款单位", "说明"],
    ["JZ2023-031", D(2023, 3, 2), "3.2", 6, "新疆某设计公司", None],
    ["JZ2023-032", D(2023, 3, 9), "3.2", 6, "新疆某设计公司", "作废"],
    ["JZ2023-033", D(2023, 3, 20), "1.1", 2.4, "县电商中心", None],
]), csv="gbk")

# g11 logistics: a weight computed by a formula that divides by zero.
form("g11_logistics_div0", sheet("物流补贴", [
    ["运单号", "发货日期", "企业", "快递公司", "重量（千克）", "补贴金额（元）"],
    ["YZ9800000001", D(2023, 10, 3), "禾木蜂业合作社", "中国邮政", 20, 15],
    ["YZ9800000002", D(2023, 10, 4), "禾木蜂业合作社", "中国邮政", "=E2/0", 12],
]), csv="utf-8-sig")

# g12 logistics: amounts typed as text with thousands separators and 元.
form("g12_logistics_yuan_text", sheet("物流补贴", [
    ["运单号", "发货日期", "企业", "快递公司", "补贴金额（元）"],
    ["YZ9800000011", "2023/11/2", "冲乎尔乳业", "顺丰", "1,200元"],
    ["YZ9800000012", "2023/11/3", "冲乎尔乳业", "顺丰", "850元"],
    ["YZ9800000013", "2023/11/9", "布尔津冷水鱼", "京东", "2,000"],
]), csv="gbk")

# g13 expenditures: invisible characters pasted from a chat into vouchers; dates typed with spaces.
form("g13_spend_invisible_spaces", sheet("支出", [
    ["凭证号", "支付日期", "预算科目", "金额（万元）", "收款单位"],
    ["JZ2023-041\u200b", "2023年 5月 12日", "3.2", 3.5, "布尔津县印刷厂 "],
    ["\ufeffJZ2023-042", "2023 - 06 - 01", "1.1", 1.25, " 县电商中心"],
]), csv="utf-8-sig")

# g14 assets: 存放地点 merged down; 验收日期 进行中 for one not yet accepted.
form("g14_assets_merged_location", sheet("资产", [
    ["资产编号", "资产名称", "类型", "数量", "验收日期", "存放地点"],
    ["ZC2023-01", "县级直播间", "直播间", 1, D(2023, 6, 30), "县电商公共服务中心"],
    ["ZC2023-02", "直播补光灯", "直播设备", 6, D(2023, 6, 30), None],
    ["ZC2023-03", "声卡", "直播设备", 3, "进行中", None],
    ["ZC2023-04", "冲乎尔直播间", "直播间", 1, D(2023, 9, 1), "冲乎尔镇服务站"],
], merges=["F2:F4"]))

# g15 enterprise upgrades: 企业名称 (part of the key) merged down; 完成日期 未完成 and —.
form("g15_upgrades_merged_key", sheet("数字化升级", [
    ["企业名称", "升级项目", "完成日期", "验收状态"],
    ["布尔津县鸿福商贸", "在线下单", D(2023, 7, 1), "已验收"],
    [None, "在线支付", "未完成", "未验收"],
    [None, "门店管理", "—", "未验收"],
    ["禾木蜂业合作社", "在线库存管理", D(2023, 9, 12), "已验收"],
], merges=["A2:A4"]))

# g16 expenditures, one sheet per year with a 合计 each, a 说明 sheet, and a hidden scratch sheet.
form("g16_spend_years_hidden_scratch", sheet("2023年", [
    ["凭证号", "支付日期", "预算科目", "金额（万元）", "收款单位"],
    ["JZ2023-051", D(2023, 11, 2), "3.2", 10, "新疆某设计公司"],
    ["JZ2023-052", D(2023, 12, 5), "1.1", 4.5, "县电商中心"],
    ["合计", None, None, "=SUM(D2:D3)", None],
]), sheet("2024年", [
    ["凭证号", "支付日期", "预算科目", "金额（万元）", "收款单位"],
    ["JZ2024-051", D(2024, 1, 8), "3.2", 7.25, "新疆某设计公司"],
    ["合计", None, None, "=SUM(D2:D2)", None],
]), sheet("填表说明", [["金额以万元填写；每年一张表。"]]), sheet("草稿", [
    ["凭证号", "支付日期", "预算科目", "金额（万元）", "收款单位"],
    ["JZ2024-099", D(2024, 1, 9), "3.2", 99, "草稿"],
], hidden=True))

# g17 conversions naming trainees by 姓名 + 身份证号, no 学员编号.
form("g17_conversions_by_id", sheet("转化", [
    ["姓名", "身份证号", "转化日期", "转化类型", "店铺或单位", "平台"],
    ["阿依古丽", "654321199001011232", D(2023, 9, 1), "开设网店", "禾木蜂蜜", "抖音"],
    ["巴特尔", "654321199506112346", D(2023, 9, 20), "直播带货", "巴特尔直播间", "快手"],
]), csv="gbk")

# g18 online retail in UTF-16 (Excel's 'Unicode text' kind of export), title rows and a 累计 row.
form("g18_retail_utf16_title", sheet("零售额", [
    ["布尔津县网络零售额统计表", None, None, None],
    ["填报单位：县商务局", None, None, None],
    ["月份", "全县网络零售额（万元）", "农产品网络零售额（万元）", "数据来源"],
    ["2022-10", 1200, 300, "统计局"],
    ["2022-11", 1350.5, 320.5, "统计局"],
    ["累计", 2550.5, 620.5, None],
]), csv="utf-16")

# g19 expenditures in 千元 with Excel 分类汇总 by 收款单位.
form("g19_spend_qianyuan_subtotals", sheet("支出", [
    ["凭证号", "支付日期", "预算科目", "金额（千元）", "收款单位"],
    ["JZ2023-061", D(2023, 8, 1), "3.2", 85, "新疆某设计公司"],
    ["JZ2023-062", D(2023, 8, 20), "3.2", 40, "新疆某设计公司"],
    [None, None, None, 125, "新疆某设计公司 汇总"],
    ["JZ2023-063", D(2023, 9, 2), "1.1", 12.5, "县电商中心"],
    [None, None, None, 12.5, "县电商中心 汇总"],
    [None, None, None, 137.5, "总计"],
]), csv="utf-8-sig")

# g20 events: deal amounts in 元, the unit stated only in a footer line.
form("g20_events_unit_footer", sheet("活动", [
    ["活动编号", "活动名称", "类型", "日期", "签约或销售额"],
    ["HD2023-21", "冷水鱼推介会", "推介活动", D(2023, 7, 15), 450000],
    ["HD2023-22", "蜂蜜直播节", "推介活动", D(2023, 8, 15), 1200000],
    ["单位：元", None, None, None, None],
    ["填表人：李娜", None, None, None, None],
]), csv="gbk")

# g21 follower snapshots: 达人编号 in full width, 1.2万 followers, a 序号 column.
form("g21_followers_fullwidth", sheet("粉丝", [
    ["序号", "达人编号", "平台", "日期", "粉丝数"],
    [1, "ＤＲ０１", "抖音", D(2023, 12, 31), "1.2万"],
    [2, "ＤＲ０２", "快手", D(2023, 12, 31), 3400],
], formats={"D2": CN_DATE, "D3": CN_DATE}), csv="utf-8-sig")

# g22 publicity: dates as 20230512 and 2023年5月12日, reads with separators, a comment on a title.
form("g22_publicity_dates_comment", sheet("宣传", [
    ["发布日期", "渠道", "标题", "链接", "阅读量"],
    ["20230512", "本县公众号", "布尔津电商培训开班", None, "1,520"],
    ["2023年6月1日", "布尔津县零距离", "禾木蜂蜜上线", None, 860],
], comments={"C3": "标题以公众号为准"}))

# g23 stations: captions per township, 序号 restarting, ✓/✗, short township names.
form("g23_stations_captions", sheet("站点", [
    ["序号", "站点编号", "站点名称", "级别", "乡镇", "自提点", "运营状态"],
    ["一、禾木乡", None, None, None, None, None, None],
    [1, "ZD-01", "禾木村服务站", "村级点", "禾木", "✓", "运营中"],
    [2, "ZD-02", "禾木乡服务站", "乡镇站", "禾木乡", "✗", "运营中"],
    ["二、冲乎尔镇", None, None, None, None, None, None],
    [1, "ZD-03", "冲乎尔镇服务站", "乡镇站", "冲乎尔", "✓", "停运"],
]), csv="utf-8-sig")

# g24 communities: 覆盖日期 — when not covered, trailing full-width spaces.
form("g24_communities_dash", sheet("社区", [
    ["名称", "乡镇", "类型", "社区团购覆盖", "覆盖日期"],
    ["友谊社区\u3000", "布尔津镇", "社区", "是", D(2023, 5, 1)],
    ["冲乎尔村", "冲乎尔镇\u3000", "村", "否", "—"],
]), csv="utf-8-sig")

# g25 publicity: a channel the contract does not know (微博), typed by a clerk who posted there too.
form("g25_publicity_unknown_channel", sheet("宣传", [
    ["发布日期", "渠道", "标题", "阅读量"],
    [D(2023, 7, 1), "本县公众号", "禾木蜂蜜开卖", 2300],
    [D(2023, 7, 2), "微博", "禾木蜂蜜开卖", 510],
]), csv="gbk")

# g26 logistics: the header repeated after a page break, blank rows, a footer.
form("g26_logistics_repeated_header", sheet("补贴", [
    ["运单号", "发货日期", "企业", "补贴金额（元）"],
    ["YZ9800000021", D(2023, 12, 1), "禾木蜂业合作社", 10],
    [None, None, None, None],
    ["运单号", "发货日期", "企业", "补贴金额（元）"],
    ["YZ9800000022", D(2023, 12, 2), "冲乎尔乳业", 14],
    ["填表人：张三", None, "审核人：李四", None],
]), csv="utf-8-sig")

# g27 expenditures: 单位：万元 in the title and 注：金额单位为元 under the table — which one?
form("g27_spend_two_units", sheet("支出", [
    ["资金支出台账", None, None, None],
    [None, None, None, "单位：万元"],
    ["凭证号", "支付日期", "预算科目", "金额"],
    ["JZ2023-071", D(2023, 4, 1), "1.1", 50],
    ["注：金额单位为元", None, None, None],
]), csv="gbk")

# g28 products: 上线日期 — for one not launched; sales in 万元; 累计销量 with a thousands separator.
form("g28_products_dash", sheet("单品", [
    ["单品名称", "品牌", "类型", "上线日期", "累计销量", "累计销售额（万元）"],
    ["禾木蜂蜜礼盒", "禾木蜜", "农产品单品", D(2023, 5, 20), "1,250", 18.75],
    ["喀纳斯冰箱贴", None, "旅游网红单品", "—", None, None],
]), csv="utf-8-sig")

# g29 brands: 有/无 for yes/no, 完成日期 进行中.
form("g29_brands_yes_no", sheet("品牌", [
    ["品牌名称", "品牌类型", "所属企业", "商标状态", "LOGO设计", "包装设计", "完成日期"],
    ["禾木蜜", "网销品牌", "禾木蜂业合作社", "已注册", "有", "有", D(2023, 9, 30)],
    ["布尔津冷水鱼", "特色产业品牌", None, "申请中", "有", "无", "进行中"],
]), csv="gbk")

# g30 attendance: notes in comments, a 共N人 line under the table, numbers of 学员编号 typed with a '.
form("g30_attendance_comments_count", sheet("签到", [
    ["场次编号", "学员编号", "姓名", "性别"],
    ["PX2023-201", "3001", "古丽", "女"],
    ["PX2023-201", "3002", "马强", "男"],
    ["合计", "共2人", None, None],
], comments={"C2": "迟到半小时", "C3": "代签"}, quoted=["B2", "B3"]))

# g31 online retail: 农产品 above 全县 in one month (typed in the wrong column).
form("g31_retail_agri_over_total", sheet("零售额", [
    ["月份", "全县网络零售额（万元）", "农产品网络零售额（万元）"],
    ["2023-03", 1200, 310],
    ["2023-04", 290, 1250],
]), csv="utf-8-sig")

# g32 expenditures: amounts as formulas (元 to 万元 worked in the cell), one as text with a '.
form("g32_spend_formulas", sheet("支出", [
    ["凭证号", "支付日期", "预算科目", "金额（万元）", "收款单位"],
    ["JZ2023-081", D(2023, 10, 9), "3.2", "=ROUND(125000/10000,2)", "新疆某设计公司"],
    ["JZ2023-082", D(2023, 10, 19), "3.2", "=D2/2", "新疆某设计公司"],
    ["JZ2023-083", D(2023, 10, 29), "1.1", "2.5", "县电商中心"],
], quoted=["D4"]), csv="utf-8-sig")

# g33 expenditures: a #REF! left in 说明 after a column was deleted.
form("g33_spend_ref_error", sheet("支出", [
    ["凭证号", "支付日期", "预算科目", "金额（万元）", "说明"],
    ["JZ2023-091", D(2023, 11, 11), "3.2", 4, "=#REF!"],
    ["JZ2023-092", D(2023, 11, 12), "1.1", 1, "场地"],
]), csv="gbk")

# g34 sessions: dates 2023.3.15, a zero-width space in the township, mode with a trailing line break.
form("g34_sessions_dots_invisible", sheet("场次", [
    ["场次编号", "培训日期", "乡镇", "培训主题", "培训形式"],
    ["PX2023-221", "2023.3.15", "禾木乡\u200b", "直播带货", "线下\n"],
    ["PX2023-222", "2023.10.8", "阔斯特克乡", "知识产权", "线上"],
]), csv="utf-8-sig")


def write_source(name: str, sheets: list[dict], folder: Path) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for spec in sheets:
        ws = book.create_sheet(spec["name"])
        for r, row in enumerate(spec["rows"], start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(r, c, value)
                if isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        for ref, fmt in spec["formats"].items():
            ws[ref].number_format = fmt
        for ref in spec["quoted"]:
            ws[ref].quotePrefix = True
        for ref, text in spec["comments"].items():
            ws[ref].comment = Comment(text, "填表人")
        for cells in spec["merges"]:
            ws.merge_cells(cells)
        if spec["hidden"]:
            ws.sheet_state = "hidden"
    path = folder / f"{name}.xlsx"
    book.save(path)
    return path


def convert(sources: list[Path], target: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", target, "--outdir", str(out),
                    *map(str, sources)], check=True, capture_output=True, timeout=900)


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
        sources = {name: write_source(name, sheets, tmp / "src") for name, (sheets, _) in FORMS.items()}
        for ext in ("xlsx", "xls", "ods"):
            convert(list(sources.values()), ext, tmp / ext)
            for made in (tmp / ext).iterdir():
                shutil.copy(made, OUT / made.name)
        with_csv = {name: enc for name, (_, enc) in FORMS.items() if enc}
        # 44 = comma, 34 = double quote, 76 = UTF-8; LibreOffice writes the first sheet as shown on screen.
        convert([sources[n] for n in with_csv], "csv:Text - txt - csv (StarCalc):44,34,76", tmp / "csv")
        for name, encoding in with_csv.items():
            text = (tmp / "csv" / f"{name}.csv").read_text(encoding="utf-8")
            label = {"gbk": "gbk", "utf-8-sig": "utf8bom", "utf-16": "utf16"}[encoding]
            (OUT / f"{name}.{label}.csv").write_bytes(text.encode(encoding))
    print(f"{len(list(OUT.iterdir()))} files in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
