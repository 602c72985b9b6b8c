"""What each form of the fresh corpus (tests/forms/fresh/make_fresh.py) must give, worked out by hand from the form
as a clerk reads it: LOAD(query -> exact rows, ...) or REFUSE(why a clerk's answer is a refusal).

A query is run on the database after the form's prerequisites (BEFORE) and the form are loaded; its rows must be
exactly these (so a row too many, or one missing, is wrong too).
"""

from __future__ import annotations

import datetime as dt

D = dt.date
SESSION_201 = "场次编号,培训日期,乡镇,培训主题,培训形式\nPX2023-201,2023-04-10,禾木,直播带货,线下\n"
TALENTS = ("达人编号,姓名,乡镇,类型,孵化日期,具备直播带货能力\nDR01,阿依古丽,禾木,主播,2023-04-20,是\n"
           "DR02,张三,冲乎尔,主播,2023-04-20,是\n")
BEFORE = {"g08_attendance_fullwidth_ids": [SESSION_201], "g30_attendance_comments_count": [SESSION_201],
          "g21_followers_fullwidth": [TALENTS]}


def LOAD(**queries):  # noqa: N802 - reads as the truth table's verb
    return ("load", queries)


def REFUSE(why: str):  # noqa: N802
    return ("refuse", why)


SPEND = "SELECT voucher, line, amount FROM expenditures ORDER BY voucher"
RETAIL = "SELECT strftime(month, '%Y-%m'), total, agri FROM online_retail ORDER BY month"

EXPECT = {
    # 单位：元 in the title: 125000 元 = 12.5 万元, 48000 元 = 4.8, 30000 元 = 3; 3.2 merged over rows 4-5;
    # 3.2 汇总 173000 = 125000 + 48000, 1.1 汇总 30000, 总计 203000 (SUBTOTAL skips the subtotals)
    "g01_spend_merged_subtotals": LOAD(q=(SPEND, [("JZ2023-011", "3.2", 12.5), ("JZ2023-012", "3.2", 4.8),
                                                 ("JZ2023-013", "1.1", 3.0)])),
    # 注：金额单位为元: 62000 元 = 6.2 万元, 15500 元 = 1.55 万元
    "g02_spend_unit_in_note": LOAD(q=(SPEND, [("JZ2023-021", "3.2", 6.2), ("JZ2023-022", "1.1", 1.55)])),
    # units row 万元 | 万元 under the header: the figures are already 万元
    "g03_retail_units_row": LOAD(q=(RETAIL, [("2023-07", 1432.6, 388.1), ("2023-08", 1511.0, 402.75)])),
    # 2023.1 is January or October (2023.10 with its zero dropped): nothing can tell
    "g04_retail_month_numbers": REFUSE("2023.1 can be January or October"),
    # 合计 = 980.5 + 1020 + 1105.25 = 3105.75; 260 + 275.5 + 301 = 836.5; １０２０ = 1020
    # The 合计 row's SUM(B3:B5) skips 1020 typed as full-width text (spreadsheets sum numbers only): the form says
    # 980.5 + 1105.25 = 2085.75 while its rows add up to 980.5 + 1020 + 1105.25 = 3105.75. The form's own total is a
    # check (datasets.md): refused, showing both figures, rather than loading rows the paper's total contradicts.
    "g05_retail_formula_total": REFUSE("合计 2085.75 (the SUM left out 1020 typed as text) against rows adding to 3105.75"),
    # 乡镇 禾木乡 merged over PX2023-201/202; 场次编号 merged over its trainees: 3 + 2 sign-ins
    "g06_sessions_attendance_merged": LOAD(
        s=("SELECT session_id, township FROM training_sessions ORDER BY 1", [
            ("PX2023-201", "禾木哈纳斯蒙古族乡"), ("PX2023-202", "禾木哈纳斯蒙古族乡"), ("PX2023-203", "冲乎尔镇")]),
        a=("SELECT session_id, trainee_id FROM training_attendance ORDER BY 1, 2", [
            ("PX2023-201", "XY2001"), ("PX2023-201", "XY2002"), ("PX2023-201", "XY2003"),
            ("PX2023-202", "XY2001"), ("PX2023-202", "XY2004")])),
    # the hidden 旧版（作废） is not read: PX2023-211 stays 2023-06-01 线下, no PX2023-219
    "g07_sessions_hidden_old": LOAD(q=("SELECT session_id, date, mode FROM training_sessions ORDER BY 1", [
        ("PX2023-211", D(2023, 6, 1), "线下"), ("PX2023-212", D(2023, 6, 15), "线下")])),
    # three different people (full-width ID numbers are digits): 3 hashes, 3 trainees, phones masked
    "g08_attendance_fullwidth_ids": LOAD(
        q=("SELECT count(*), count(DISTINCT id_hash), count(DISTINCT trainee_id), min(session_id) "
           "FROM training_attendance", [(3, 3, 3, "PX2023-201")]),
        p=("SELECT phone_masked FROM training_attendance ORDER BY 1", [
            ("138****5678",), ("138****5679",), ("138****5680",)])),
    "g09_events_separators": LOAD(q=("SELECT event_id, participants, deal_amount FROM events ORDER BY 1", [
        ("HD2023-11", ["禾木蜂业合作社", "冲乎尔乳业"], 86.0), ("HD2023-12", ["张三", "李四"], 12.5),
        ("HD2023-13", ["王五", "赵六"], None)])),
    "g10_spend_void_row": REFUSE("JZ2023-032 is marked 作废"),
    "g11_logistics_div0": REFUSE("重量 is #DIV/0!"),
    # 1,200元 = 1200, 850元 = 850, 2,000 = 2000 (元 column)
    "g12_logistics_yuan_text": LOAD(q=("SELECT waybill, date, amount FROM logistics_subsidies ORDER BY 1", [
        ("YZ9800000011", D(2023, 11, 2), 1200.0), ("YZ9800000012", D(2023, 11, 3), 850.0),
        ("YZ9800000013", D(2023, 11, 9), 2000.0)])),
    # invisible characters stripped from the vouchers; dates typed with spaces
    "g13_spend_invisible_spaces": LOAD(q=("SELECT voucher, date, amount, payee FROM expenditures ORDER BY 1", [
        ("JZ2023-041", D(2023, 5, 12), 3.5, "布尔津县印刷厂"), ("JZ2023-042", D(2023, 6, 1), 1.25, "县电商中心")])),
    # 县电商公共服务中心 merged over ZC2023-01..03; 进行中 = not accepted yet
    "g14_assets_merged_location": LOAD(q=("SELECT asset_id, quantity, accepted_on, location FROM assets ORDER BY 1", [
        ("ZC2023-01", 1, D(2023, 6, 30), "县电商公共服务中心"), ("ZC2023-02", 6, D(2023, 6, 30), "县电商公共服务中心"),
        ("ZC2023-03", 3, None, "县电商公共服务中心"), ("ZC2023-04", 1, D(2023, 9, 1), "冲乎尔镇服务站")])),
    "g15_upgrades_merged_key": LOAD(q=(
        "SELECT enterprise, item, completed_on, acceptance FROM enterprise_upgrades ORDER BY 1, 2", [
            ("布尔津县鸿福商贸", "在线下单", D(2023, 7, 1), "已验收"), ("布尔津县鸿福商贸", "在线支付", None, "未验收"),
            ("布尔津县鸿福商贸", "门店管理", None, "未验收"), ("禾木蜂业合作社", "在线库存管理", D(2023, 9, 12), "已验收")])),
    # two year sheets (合计 14.5 = 10 + 4.5; 7.25), 填表说明 skipped, the hidden 草稿 (JZ2024-099) not read
    "g16_spend_years_hidden_scratch": LOAD(q=(SPEND, [("JZ2023-051", "3.2", 10.0), ("JZ2023-052", "1.1", 4.5),
                                                     ("JZ2024-051", "3.2", 7.25)])),
    "g17_conversions_by_id": LOAD(q=(
        "SELECT type, shop, id_hash IS NOT NULL, trainee_id IS NOT NULL FROM conversions ORDER BY 1", [
            ("开设网店", "禾木蜂蜜", True, True), ("直播带货", "巴特尔直播间", True, True)])),
    # 累计 2550.5 = 1200 + 1350.5, 620.5 = 300 + 320.5
    "g18_retail_utf16_title": LOAD(q=(RETAIL, [("2022-10", 1200.0, 300.0), ("2022-11", 1350.5, 320.5)])),
    # 千元 / 10 = 万元: 85 -> 8.5, 40 -> 4, 12.5 -> 1.25; 汇总 125 = 85 + 40, 总计 137.5 = 125 + 12.5
    "g19_spend_qianyuan_subtotals": LOAD(q=(SPEND, [("JZ2023-061", "3.2", 8.5), ("JZ2023-062", "3.2", 4.0),
                                                   ("JZ2023-063", "1.1", 1.25)])),
    # 单位：元 under the table: 450000 元 = 45 万元, 1200000 元 = 120 万元
    "g20_events_unit_footer": LOAD(q=("SELECT event_id, deal_amount FROM events ORDER BY 1", [
        ("HD2023-21", 45.0), ("HD2023-22", 120.0)])),
    # ＤＲ０１ = DR01; 1.2万 = 12000
    "g21_followers_fullwidth": LOAD(q=(
        "SELECT talent_id, platform, date, followers FROM follower_snapshots ORDER BY 1", [
            ("DR01", "抖音", D(2023, 12, 31), 12000), ("DR02", "快手", D(2023, 12, 31), 3400)])),
    "g22_publicity_dates_comment": LOAD(q=("SELECT date, channel, reads FROM publicity ORDER BY 1", [
        (D(2023, 5, 12), "本县公众号", 1520), (D(2023, 6, 1), "布尔津县零距离", 860)])),
    # captions 一、禾木乡 / 二、冲乎尔镇 skipped; ✓ = yes, ✗ = no; 禾木 = 禾木乡 = 禾木哈纳斯蒙古族乡
    "g23_stations_captions": LOAD(q=(
        "SELECT station_id, level, township, pickup_point, status FROM stations ORDER BY 1", [
            ("ZD-01", "村级点", "禾木哈纳斯蒙古族乡", True, "运营中"),
            ("ZD-02", "乡镇站", "禾木哈纳斯蒙古族乡", False, "运营中"),
            ("ZD-03", "乡镇站", "冲乎尔镇", True, "停运")])),
    "g24_communities_dash": LOAD(q=("SELECT name, township, covered, covered_on FROM communities ORDER BY 1", [
        ("冲乎尔村", "冲乎尔镇", False, None), ("友谊社区", "布尔津镇", True, D(2023, 5, 1))])),
    "g25_publicity_unknown_channel": REFUSE("渠道 微博 is not one of the contract's channels"),
    "g26_logistics_repeated_header": LOAD(q=("SELECT waybill, amount FROM logistics_subsidies ORDER BY 1", [
        ("YZ9800000021", 10.0), ("YZ9800000022", 14.0)])),
    # 50 万元 by the title, 0.005 万元 by the note: both plausible, nothing tells which
    "g27_spend_two_units": REFUSE("单位：万元 above, 注：金额单位为元 below"),
    "g28_products_dash": LOAD(q=("SELECT product, launched_on, units, sales FROM products ORDER BY 1", [
        ("喀纳斯冰箱贴", None, None, None), ("禾木蜂蜜礼盒", D(2023, 5, 20), 1250, 18.75)])),
    "g29_brands_yes_no": LOAD(q=("SELECT brand, kind, logo_done, packaging_done, completed_on FROM brands "
                                 "ORDER BY 1", [("布尔津冷水鱼", "特色产业品牌", True, False, None),
                                                ("禾木蜜", "网销品牌", True, True, D(2023, 9, 30))])),
    "g30_attendance_comments_count": LOAD(q=(
        "SELECT session_id, trainee_id FROM training_attendance ORDER BY 2", [
            ("PX2023-201", "3001"), ("PX2023-201", "3002")])),
    "g31_retail_agri_over_total": REFUSE("2023-04: 农产品 1250 over 全县 290"),
    # =ROUND(125000/10000,2) = 12.5; =D2/2 = 6.25; '2.5 = 2.5
    "g32_spend_formulas": LOAD(q=(SPEND, [("JZ2023-081", "3.2", 12.5), ("JZ2023-082", "3.2", 6.25),
                                         ("JZ2023-083", "1.1", 2.5)])),
    "g33_spend_ref_error": REFUSE("说明 is #REF!"),
    "g34_sessions_dots_invisible": LOAD(q=(
        "SELECT session_id, date, township, mode FROM training_sessions ORDER BY 1", [
            ("PX2023-221", D(2023, 3, 15), "禾木哈纳斯蒙古族乡", "线下"),
            ("PX2023-222", D(2023, 10, 8), "阔斯特克乡", "线上")])),
}
