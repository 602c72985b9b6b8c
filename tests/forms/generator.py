"""A metamorphic generator of county forms (issue 23): a hand-made truth per ledger, rendered through clerk
transformations combined at random.

Each ledger's truth is a few rows written the clean way. A transformation changes how the form is written — a title
row, 单位：元 with every amount ×10000, a vertical merge, a hidden old sheet, dates in another written form — and
declares what the loader must then do: `load` (store exactly the rows of the clean form), `refuse` (refuse, naming a
cell), or `either` (a form a careful person could read either way: exactly the truth, or a refusal naming a cell).
Written out by tests/forms/render.py; the property lives in tests/test_form_generator.py.

Made without reading the loader (metrics/load/*): only the data contract (../shared/spec/datasets.md), docs/forms.md
and the public entry points.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

D = dt.date
ZW = ("\u200b", "\u200c", "\u200d", "\ufeff", "\u2060")  # the invisible characters the contract names
NUMERALS = "一二三四五六七八九十"


def id_number(seq: int) -> str:
    """A valid 18-digit ID number of Burqin county (654321), with its check digit."""
    body = f"654321199{seq % 10}0{1 + seq % 9}1{seq % 10}{seq:03d}"[:17]
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


@dataclass(frozen=True)
class Col:
    key: str  # the contract's English key (the stored column, the English header)
    header: str  # the Chinese header, clean, without a unit
    kind: str  # key text date month wan yuan num int enum town list id phone
    unit: str = ""  # the unit the clean header states: （万元）, （元）, （千克）


@dataclass
class Ledger:
    dataset: str
    title: str
    cols: list[Col]
    rows: list[dict]  # the truth, sorted by `group` so that groups are runs
    group: str | None = None  # the column a clerk groups (merges, captions, 分类汇总) by
    year_col: str | None = None  # the date/month column a clerk splits sheets by year on
    before: tuple[str, ...] = ()  # clean CSVs loaded first (the sessions an attendance sheet refers to)

    def col(self, key: str) -> Col:
        return next(c for c in self.cols if c.key == key)

    def kinds(self, *kinds: str) -> list[Col]:
        return [c for c in self.cols if c.kind in kinds]


def _ledgers() -> dict[str, Ledger]:
    sessions = Ledger("training_sessions", "布尔津县电商培训场次台账", [
        Col("session_id", "场次编号", "key"), Col("date", "培训日期", "date"), Col("township", "乡镇", "town"),
        Col("topic", "培训主题", "enum"), Col("mode", "培训形式", "enum"), Col("venue", "培训地点", "text")], [
        dict(session_id="PX2023-101", date=D(2023, 3, 15), township="布尔津镇", topic="直播带货", mode="线下",
             venue="县电商中心"),
        dict(session_id="PX2023-102", date=D(2023, 6, 20), township="布尔津镇", topic="网店运营", mode="线上",
             venue="县电商中心"),
        dict(session_id="PX2023-103", date=D(2023, 9, 8), township="禾木哈纳斯蒙古族乡", topic="产品包装",
             mode="线下", venue="禾木村委会"),
        dict(session_id="PX2024-001", date=D(2024, 4, 12), township="禾木哈纳斯蒙古族乡", topic="摄影美工",
             mode="线下", venue="禾木村委会"),
        dict(session_id="PX2024-002", date=D(2024, 5, 21), township="冲乎尔镇", topic="电商基础", mode="线下",
             venue="冲乎尔镇政府")], group="township", year_col="date")
    attendance = Ledger("training_attendance", "培训签到表", [
        Col("session_id", "场次编号", "key"), Col("trainee_id", "学员编号", "key"), Col("name", "姓名", "text"),
        Col("id_number", "身份证号", "id"), Col("gender", "性别", "text"), Col("township", "乡镇", "town"),
        Col("phone", "手机号", "phone")], [
        dict(session_id="PX2023-101", trainee_id="XY0101", name="阿依古丽", id_number=id_number(101), gender="女",
             township="禾木哈纳斯蒙古族乡", phone="13812340101"),
        dict(session_id="PX2023-101", trainee_id="XY0102", name="张伟", id_number=id_number(102), gender="男",
             township="布尔津镇", phone="13812340102"),
        dict(session_id="PX2023-101", trainee_id="XY0103", name="巴合提", id_number=id_number(103), gender="男",
             township="冲乎尔镇", phone="13812340103"),
        dict(session_id="PX2023-102", trainee_id="XY0101", name="阿依古丽", id_number=id_number(101), gender="女",
             township="禾木哈纳斯蒙古族乡", phone="13812340101"),
        dict(session_id="PX2023-102", trainee_id="XY0104", name="李娜", id_number=id_number(104), gender="女",
             township="布尔津镇", phone="13812340104")], group="session_id",
        before=("场次编号,培训日期,乡镇,培训主题,培训形式\nPX2023-101,2023-03-15,布尔津镇,直播带货,线下\n"
                "PX2023-102,2023-06-20,布尔津镇,网店运营,线上\n",))
    conversions = Ledger("conversions", "创业就业转化台账", [
        Col("trainee_id", "学员编号", "key"), Col("date", "转化日期", "date"), Col("type", "转化类型", "enum"),
        Col("shop", "店铺或单位", "text"), Col("platform", "平台", "text")], [
        dict(trainee_id="XY0101", date=D(2023, 7, 1), type="开设网店", shop="禾木蜂蜜小店", platform="抖音"),
        dict(trainee_id="XY0102", date=D(2023, 8, 15), type="开设网店", shop="布尔津冷水鱼", platform="淘宝"),
        dict(trainee_id="XY0103", date=D(2024, 2, 1), type="直播带货", shop="巴合提直播间", platform="快手"),
        dict(trainee_id="XY0104", date=D(2024, 3, 10), type="电商企业就业", shop="布尔津县某电商公司",
             platform=None)], group="type", year_col="date")
    retail = Ledger("online_retail", "布尔津县网络零售额月报", [
        Col("month", "月份", "month"), Col("total", "全县网络零售额", "wan", "（万元）"),
        Col("agri", "农产品网络零售额", "wan", "（万元）"), Col("source", "数据来源", "text")], [
        dict(month=D(2023, 9, 1), total=1520.5, agri=410.2, source="商务部电子商务统计"),
        dict(month=D(2023, 10, 1), total=1380.0, agri=395.8, source="商务部电子商务统计"),
        dict(month=D(2023, 11, 1), total=1610.25, agri=430.0, source="商务部电子商务统计"),
        dict(month=D(2024, 1, 1), total=900.0, agri=250.0, source="统计局"),
        dict(month=D(2024, 2, 1), total=950.5, agri=260.0, source="统计局")], year_col="month")
    spending = Ledger("expenditures", "2023—2024年资金支出台账", [
        Col("voucher", "凭证号", "key"), Col("date", "支付日期", "date"), Col("line", "预算科目", "text"),
        Col("amount", "金额", "wan", "（万元）"), Col("payee", "收款单位", "text"), Col("note", "说明", "text")], [
        # line 3.2: 12.5 + 5 + 8 = 25.5 万元, line 1.1: 3 + 6.75 = 9.75 万元: both under their plan lines
        dict(voucher="PZ2023-001", date=D(2023, 4, 12), line="3.2", amount=12.5, payee="新疆某设计公司",
             note="品牌设计首付"),
        dict(voucher="PZ2023-002", date=D(2023, 5, 20), line="3.2", amount=5.0, payee="布尔津县印刷厂",
             note="包装印刷"),
        dict(voucher="PZ2024-002", date=D(2024, 4, 2), line="3.2", amount=8.0, payee="新疆某设计公司",
             note="品牌设计尾款"),
        dict(voucher="PZ2023-003", date=D(2023, 8, 3), line="1.1", amount=3.0, payee="县电商中心", note="培训场地"),
        dict(voucher="PZ2024-001", date=D(2024, 3, 15), line="1.1", amount=6.75, payee="县电商中心",
             note=None)], group="line", year_col="date")
    events = Ledger("events", "电商活动台账", [
        Col("event_id", "活动编号", "key"), Col("name", "活动名称", "text"), Col("type", "类型", "enum"),
        Col("date", "日期", "date"), Col("place", "地点", "text"), Col("participants", "参与主体", "list"),
        Col("deal_amount", "签约或销售额", "wan", "（万元）")], [
        dict(event_id="HD2023-01", name="布尔津县农特产品推介会", type="推介活动", date=D(2023, 6, 18),
             place="县城广场", participants=["禾木蜂业合作社", "冲乎尔乳业"], deal_amount=120.0),
        dict(event_id="HD2023-03", name="冷水鱼线上推介", type="推介活动", date=D(2023, 11, 2), place="县电商中心",
             participants=["布尔津冷水鱼"], deal_amount=18.5),
        dict(event_id="HD2023-02", name="电商直播大赛", type="电商创业大赛", date=D(2023, 9, 9), place="县电商中心",
             participants=["张三", "李四", "王五"], deal_amount=35.0),
        dict(event_id="HD2024-01", name="站长沙龙", type="站长沙龙", date=D(2024, 4, 10), place="县电商中心",
             participants=["王五", "赵六"], deal_amount=2.5)], group="type", year_col="date")
    logistics = Ledger("logistics_subsidies", "物流补贴发放台账", [
        Col("waybill", "运单号", "key"), Col("date", "发货日期", "date"), Col("enterprise", "企业", "text"),
        Col("carrier", "快递公司", "text"), Col("weight_kg", "重量", "num", "（千克）"),
        Col("amount", "补贴金额", "yuan", "（元）")], [
        dict(waybill="YT0000000001", date=D(2023, 10, 8), enterprise="禾木蜂业合作社", carrier="中国邮政",
             weight_kg=12.5, amount=8.0),
        dict(waybill="YT0000000002", date=D(2023, 10, 9), enterprise="禾木蜂业合作社", carrier="中国邮政",
             weight_kg=30.0, amount=20.0),
        dict(waybill="YT0000000003", date=D(2023, 11, 2), enterprise="冲乎尔乳业", carrier="顺丰",
             weight_kg=5.0, amount=6.0),
        dict(waybill="YT0000000004", date=D(2024, 1, 15), enterprise="冲乎尔乳业", carrier="中国邮政",
             weight_kg=100.0, amount=1200.0)], group="enterprise", year_col="date")
    assets = Ledger("assets", "固定资产登记表", [
        Col("asset_id", "资产编号", "key"), Col("name", "资产名称", "text"), Col("type", "类型", "enum"),
        Col("quantity", "数量", "int"), Col("accepted_on", "验收日期", "date"), Col("location", "存放地点", "text")], [
        dict(asset_id="ZC001", name="一号直播间", type="直播间", quantity=1, accepted_on=D(2023, 5, 10),
             location="县电商中心"),
        dict(asset_id="ZC002", name="补光灯", type="直播设备", quantity=4, accepted_on=D(2023, 5, 10),
             location="县电商中心"),
        dict(asset_id="ZC003", name="手机云台", type="直播设备", quantity=6, accepted_on=None, location="县电商中心"),
        dict(asset_id="ZC004", name="禾木直播间", type="直播间", quantity=1, accepted_on=D(2024, 2, 20),
             location="禾木村委会")], group="location")
    upgrades = Ledger("enterprise_upgrades", "企业数字化升级台账", [
        Col("enterprise", "企业名称", "key"), Col("item", "升级项目", "enum"), Col("completed_on", "完成日期", "date"),
        Col("acceptance", "验收状态", "enum")], [
        dict(enterprise="禾木蜂业合作社", item="在线下单", completed_on=D(2023, 7, 1), acceptance="已验收"),
        dict(enterprise="禾木蜂业合作社", item="在线支付", completed_on=D(2023, 7, 1), acceptance="已验收"),
        dict(enterprise="禾木蜂业合作社", item="在线库存管理", completed_on=None, acceptance="未验收"),
        dict(enterprise="冲乎尔乳业", item="在线下单", completed_on=D(2024, 1, 20), acceptance="未验收"),
        dict(enterprise="冲乎尔乳业", item="门店管理", completed_on=None, acceptance="未验收")], group="enterprise")
    return {x.dataset: x for x in (sessions, attendance, conversions, retail, spending, events, logistics, assets,
                                   upgrades)}


LEDGERS = _ledgers()
FORMATS = ("csv_utf8", "csv_gbk", "csv_utf8bom", "csv_utf16", "xlsx_openpyxl", "xlsx_xlsxwriter")
WORKBOOK = ("xlsx_openpyxl", "xlsx_xlsxwriter")


@dataclass
class Cell:
    """A cell with more than a value: a formula with its cached value, a quote prefix, a number format, a note."""
    value: object
    formula: str | None = None
    quote: bool = False
    number_format: str | None = None
    comment: str | None = None


@dataclass
class Build:
    """The form being written: starts as the clean form of a ledger, each transformation changes it."""
    ledger: Ledger
    fmt: str
    rng: random.Random
    order: list[str] = field(default_factory=list)  # column keys in the order written
    headers: dict[str, str] = field(default_factory=dict)
    data: list[dict] = field(default_factory=list)  # one dict key -> cell per written data row
    factor: dict[str, float] = field(default_factory=dict)  # written number = truth × factor
    extra: list[tuple[str, list]] = field(default_factory=list)  # extra columns: header, one value per data row
    title: list[list] = field(default_factory=list)
    footer: list[list] = field(default_factory=list)
    units_row: dict[str, str] | None = None
    two_row: bool = False
    seq: str | None = None  # None, "run", "restart"
    captions = blank_rows = repeat_header = totals = subtotals = vmerge = by_year = hidden_old = comments = False
    english_row = notes_first = xiaoji = False
    expect: str = "load"  # load, refuse, either

    @property
    def workbook(self) -> bool:
        return self.fmt in WORKBOOK


def clean_build(ledger: Ledger, fmt: str, seed: int) -> Build:
    b = Build(ledger, fmt, random.Random(seed))
    b.order = [c.key for c in ledger.cols]
    b.headers = {c.key: c.header + c.unit for c in ledger.cols}
    b.factor = {c.key: 1.0 for c in ledger.kinds("wan", "yuan", "num", "int")}
    for i, row in enumerate(ledger.rows):
        cells = {"_i": i}  # the truth row it writes
        for c in ledger.cols:
            v = row[c.key]
            if v is None:
                cells[c.key] = None
            elif c.kind == "month":
                cells[c.key] = f"{v:%Y-%m}"
            elif c.kind == "date":
                cells[c.key] = Cell(v, number_format="yyyy-mm-dd") if b.workbook else v.isoformat()
            elif c.kind == "list":
                cells[c.key] = "、".join(v)
            else:
                cells[c.key] = v
        b.data.append(cells)
    return b


def number_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.6f}".rstrip("0").rstrip(".")


def with_commas(v: float) -> str:
    whole, _, frac = number_text(v).partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


def written(b: Build, key: str, truth) -> float:
    return round(truth * b.factor.get(key, 1.0), 6)
