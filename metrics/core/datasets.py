"""The data contract of shared/spec/datasets.md, as data: one declaration per ledger, no hand-written parsers.

Each column has its Chinese header (canonical), English key, accepted aliases, a type, a unit, and whether it is
required or part of the key. Ingestion, templates, the database schema and the explore page all read this table.

Column types:
  text      trimmed string                 date      a day (many spellings, Excel cells)
  month     first day of a month           int       whole number (1.2万 = 12000 allowed)
  number    decimal; `unit` 万元 or 元 converts `12.5万` / `125000元`
  bool      是/否, Y/N, yes/no, 1/0, ✓/✗, 有/无
  enum      one of `choices`, exact after trimming
  township  a township of the county configuration, short forms accepted
  budget_line  a budget line id of the plan (`3.2`) or its 细项 name
  list      names separated by 、，,；; or newline
Personal columns (`personal`) never reach the database as written: see metrics/platform/privacy.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from metrics.core.i18n import t
from metrics.core.locales import CATALOGUES, SOURCE_LANGUAGE


@dataclass(frozen=True)
class Column:
    zh: str
    key: str
    type: str = "text"
    required: bool = False
    is_key: bool = False
    choices: tuple[str, ...] = ()
    unit: str | None = None
    aliases: tuple[str, ...] = ()
    minimum: float | None = None
    exclusive_minimum: bool = False
    personal: str | None = None  # "id_number" or "phone"
    en: str = ""  # English label for the UI; defaults to the key

    @property
    def label_en(self) -> str:
        return self.en or self.key.replace("_", " ")

    def label(self, lang: str = SOURCE_LANGUAGE) -> str:
        """The header as shown: the contract's Chinese header, or its English label (both are the contract's own
        names for the column, declared here beside each other, not catalogue texts)."""
        return self.zh if lang == SOURCE_LANGUAGE else self.label_en

    @property
    def sql_type(self) -> str:
        return {
            "date": "DATE",
            "month": "DATE",
            "int": "BIGINT",
            "number": "DOUBLE",
            "bool": "BOOLEAN",
            "list": "VARCHAR[]",
        }.get(self.type, "VARCHAR")

    @property
    def stored_as(self) -> str:
        """The database column: personal data is stored transformed, under another name."""
        return {"id_number": "id_hash", "phone": "phone_masked"}.get(self.personal or "", self.key)


UNDECLARED = object()  # Dataset.date_column's default: not said


@dataclass(frozen=True)
class Dataset:
    """One ledger. Its display name and note live in the catalogues (`dataset_<name>_name`, `dataset_<name>_note`);
    its columns' Chinese headers are the data contract itself, not translations."""

    name: str
    columns: tuple[Column, ...]
    # The column whose date tells how fresh the ledger is and which rows count at an as-of date; None for a ledger
    # without dates (its last load time is used). Every dataset must say which: a forgotten one would silently
    # fall back to load times, so leaving it out is an error at import.
    date_column: str | None = UNDECLARED  # type: ignore[assignment]
    depends_on: tuple[str, ...] = ()  # datasets whose rows this one refers to (loaded first in a batch)
    example: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.date_column is UNDECLARED:
            raise TypeError(f"dataset {self.name}: declare date_column (a date column, or None for an undated ledger)")
        if self.date_column is not None and self.column(self.date_column).type not in ("date", "month"):
            raise TypeError(f"dataset {self.name}: date_column {self.date_column} is not a date column")

    def label(self, lang: str = SOURCE_LANGUAGE) -> str:
        """The ledger's name as shown (培训场次 / Training sessions)."""
        return t(f"dataset_{self.name}_name", lang)

    def note(self, lang: str = SOURCE_LANGUAGE) -> str:
        """What the template says about filling the ledger in; '' when there is nothing to say."""
        key = f"dataset_{self.name}_note"
        return t(key, lang) if key in CATALOGUES[SOURCE_LANGUAGE] else ""

    @property
    def key_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.is_key)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def table(self) -> str:
        return self.name

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)


def C(zh: str, key: str, type: str = "text", *, req: bool = False, key_: bool = False, **kw) -> Column:
    return Column(zh=zh, key=key, type=type, required=req, is_key=key_, **kw)


def E(zh: str, key: str, choices: str, **kw) -> Column:
    """An enum column; choices are written as one space-separated string to keep the table readable."""
    return C(zh, key, "enum", choices=tuple(choices.split()), **kw)


TOPICS = "产品包装 摄影美工 直播带货 网店运营 数据分析 知识产权 合规经营 站长培训 电商基础 其他"
PLATFORMS = "抖音 快手 视频号 淘宝直播 小红书 其他"

DATASETS: dict[str, Dataset] = {d.name: d for d in [
    Dataset("training_sessions", (
        C("场次编号", "session_id", req=True, key_=True, en="session id"),
        C("培训日期", "date", "date", req=True, en="date"),
        C("乡镇", "township", "township", req=True),
        E("培训主题", "topic", TOPICS, req=True),
        E("培训形式", "mode", "线上 线下", req=True),
        C("承办单位", "organizer"),
        C("培训地点", "venue"),
    ), date_column="date", example={"session_id": "PX2023-001", "date": "2023-03-15", "township": "布尔津镇", "topic": "直播带货",
                "mode": "线下", "organizer": "布尔津县电商公共服务中心", "venue": "县电商公共服务中心"}),
    Dataset("training_attendance", (
        C("场次编号", "session_id", req=True, key_=True, en="session id"),
        C("学员编号", "trainee_id", key_=True, en="trainee id"),
        C("身份证号", "id_number", personal="id_number", aliases=("身份证", "身份证号码"), en="ID number"),
        C("姓名", "name"),
        E("性别", "gender", "男 女"),
        C("民族", "ethnicity"),
        C("乡镇", "township", "township"),
        C("手机号", "phone", personal="phone", aliases=("手机", "手机号码", "联系电话", "电话")),
    ), date_column=None, depends_on=("training_sessions",),
       example={"session_id": "PX2023-001", "trainee_id": "XY0001", "name": "张三", "gender": "男",
                "ethnicity": "哈萨克族", "township": "冲乎尔镇", "phone": "13800000000"}),
    Dataset("conversions", (
        C("学员编号", "trainee_id", key_=True, en="trainee id"),
        C("身份证号", "id_number", personal="id_number", aliases=("身份证", "身份证号码"), en="ID number"),
        C("转化日期", "date", "date", req=True, key_=True),
        E("转化类型", "type", "开设网店 直播带货 电商企业就业 电商服务站点就业 其他创业", req=True, key_=True),
        C("店铺或单位", "shop"),
        C("平台", "platform"),
    ), date_column="date",
       example={"trainee_id": "XY0001", "date": "2023-06-01", "type": "开设网店", "shop": "喀纳斯山货铺",
                "platform": "抖音"}),
    Dataset("online_retail", (
        C("月份", "month", "month", req=True, key_=True),
        C("全县网络零售额", "total", "number", req=True, unit="万元", minimum=0, en="county total"),
        C("农产品网络零售额", "agri", "number", req=True, unit="万元", minimum=0, en="agricultural"),
        C("数据来源", "source"),
    ), date_column="month",
       example={"month": "2023-01", "total": 1520.5, "agri": 410.2, "source": "商务部电子商务统计"}),
    Dataset("talents", (
        C("达人编号", "talent_id", req=True, key_=True, en="talent id"),
        C("姓名", "name", req=True),
        C("乡镇", "township", "township", req=True),
        E("类型", "type", "主播 网店店主 短视频创作者 其他", req=True),
        C("孵化日期", "incubated_on", "date", req=True, en="incubated on"),
        C("具备直播带货能力", "can_sell_live", "bool", req=True, en="can sell live"),
    ), date_column="incubated_on", example={"talent_id": "DR001", "name": "阿依古丽", "township": "禾木哈纳斯蒙古族乡", "type": "主播",
                "incubated_on": "2023-04-20", "can_sell_live": "是"}),
    Dataset("follower_snapshots", (
        C("达人编号", "talent_id", req=True, key_=True, en="talent id"),
        E("平台", "platform", PLATFORMS, req=True, key_=True),
        C("日期", "date", "date", req=True, key_=True),
        C("粉丝数", "followers", "int", req=True, minimum=0),
        C("账号", "account"),
    ), date_column="date", depends_on=("talents",),
       example={"talent_id": "DR001", "platform": "抖音", "date": "2024-05-31", "followers": "1.2万",
                "account": "@hemu_aygul"}),
    Dataset("brands", (
        C("品牌名称", "brand", req=True, key_=True),
        E("品牌类型", "kind", "特色产业品牌 网销品牌", req=True),
        C("所属企业", "enterprise"),
        C("产业", "industry"),
        C("商标注册号", "trademark_no", en="trademark no."),
        E("商标状态", "trademark_status", "未申请 申请中 已注册", en="trademark status"),
        C("LOGO设计", "logo_done", "bool", aliases=("logo设计", "标志设计"), en="logo done"),
        C("包装设计", "packaging_done", "bool", en="packaging done"),
        C("完成日期", "completed_on", "date", en="completed on"),
    ), date_column="completed_on",
       example={"brand": "布尔津冷水鱼", "kind": "特色产业品牌", "enterprise": "布尔津县渔业合作社",
                "industry": "渔业", "trademark_status": "已注册", "logo_done": "是", "packaging_done": "是",
                "completed_on": "2023-09-30"}),
    Dataset("products", (
        C("单品名称", "product", req=True, key_=True),
        C("品牌", "brand"),
        E("类型", "type", "旅游网红单品 农产品单品 其他", req=True),
        C("上线日期", "launched_on", "date", en="launched on"),
        C("累计销量", "units", "int", minimum=0),
        C("累计销售额", "sales", "number", unit="万元", minimum=0),
    ), date_column="launched_on",
       example={"product": "喀纳斯文创冰箱贴", "brand": "喀纳斯礼物", "type": "旅游网红单品",
                "launched_on": "2023-07-01", "units": 5200, "sales": 15.6}),
    Dataset("events", (
        C("活动编号", "event_id", req=True, key_=True, en="event id"),
        C("活动名称", "name", req=True),
        E("类型", "type", "推介活动 电商创业大赛 站点技能比赛 站长沙龙 其他", req=True),
        C("日期", "date", "date", req=True),
        C("地点", "place"),
        C("参与主体", "participants", "list"),
        C("签约或销售额", "deal_amount", "number", unit="万元", minimum=0, en="deals or sales"),
    ), date_column="date",
       example={"event_id": "HD2023-01", "name": "布尔津特色农产品乌鲁木齐推介会", "type": "推介活动",
                "date": "2023-08-18", "place": "乌鲁木齐", "participants": "布尔津县渔业合作社、喀纳斯旅行社",
                "deal_amount": 120}),
    Dataset("enterprise_upgrades", (
        C("企业名称", "enterprise", req=True, key_=True),
        E("升级项目", "item", "在线下单 在线支付 在线库存管理 门店管理", req=True, key_=True),
        C("完成日期", "completed_on", "date", en="completed on"),
        E("验收状态", "acceptance", "未验收 已验收"),
    ), date_column="completed_on",
       example={"enterprise": "布尔津县惠民超市", "item": "在线下单", "completed_on": "2023-11-20",
                "acceptance": "已验收"}),
    Dataset("stations", (
        C("站点编号", "station_id", req=True, key_=True, en="station id"),
        C("站点名称", "name", req=True),
        E("级别", "level", "县级中心 乡镇站 村级点", req=True),
        C("乡镇", "township", "township", req=True),
        C("村或社区", "village"),
        C("自提点", "pickup_point", "bool", req=True, en="pickup point"),
        E("运营状态", "status", "运营中 停运", req=True),
        C("站长", "manager"),
    ), date_column=None, example={"station_id": "ZD001", "name": "冲乎尔镇电商服务站", "level": "乡镇站", "township": "冲乎尔镇",
                "village": "冲乎尔村", "pickup_point": "是", "status": "运营中", "manager": "李四"}),
    Dataset("communities", (
        C("名称", "name", req=True, key_=True),
        C("乡镇", "township", "township", req=True),
        E("类型", "type", "社区 村", req=True),
        C("社区团购覆盖", "covered", "bool", req=True, en="group-buying covered"),
        C("覆盖日期", "covered_on", "date", en="covered on"),
    ), date_column="covered_on", example={"name": "友谊峰社区", "township": "布尔津镇", "type": "社区", "covered": "是",
                "covered_on": "2023-05-01"}),
    Dataset("logistics_subsidies", (
        C("运单号", "waybill", req=True, key_=True),
        C("发货日期", "date", "date", req=True),
        C("企业", "enterprise", req=True),
        C("快递公司", "carrier"),
        C("目的地", "destination"),
        C("重量", "weight_kg", "number", unit="千克", minimum=0, en="weight (kg)"),
        C("补贴金额", "amount", "number", req=True, unit="元", minimum=0, en="subsidy"),
    ), date_column="date", example={"waybill": "YT1234567890", "date": "2023-10-08", "enterprise": "布尔津县渔业合作社",
                "carrier": "中通快递", "destination": "上海", "weight_kg": 2.5, "amount": 8}),
    Dataset("publicity", (
        C("发布日期", "date", "date", req=True, key_=True),
        E("渠道", "channel", "本县公众号 布尔津县零距离 中央主流媒体 自治区主流媒体 其他", req=True, key_=True),
        C("标题", "title", req=True, key_=True),
        C("链接", "url"),
        C("阅读量", "reads", "int", minimum=0),
    ), date_column="date", example={"date": "2023-05-10", "channel": "本县公众号", "title": "布尔津县举办直播带货培训班",
                "url": "https://mp.weixin.qq.com/s/example", "reads": 860}),
    Dataset("expenditures", (
        C("凭证号", "voucher", req=True, key_=True),
        C("支付日期", "date", "date", req=True),
        C("预算科目", "line", "budget_line", req=True, en="budget line"),
        C("金额", "amount", "number", req=True, unit="万元", minimum=0, exclusive_minimum=True),
        C("收款单位", "payee"),
        E("拨付阶段", "stage", "预拨 阶段拨付 尾款"),
        C("说明", "note"),
    ), date_column="date",
       example={"voucher": "PZ2023-015", "date": "2023-04-12", "line": "3.2", "amount": 12.5,
                "payee": "新疆某品牌设计有限公司", "stage": "阶段拨付", "note": "网销品牌包装设计"}),
    Dataset("assets", (
        C("资产编号", "asset_id", req=True, key_=True, en="asset id"),
        C("资产名称", "name", req=True),
        E("类型", "type", "直播间 直播设备 其他", req=True),
        C("数量", "quantity", "int", req=True, minimum=0, exclusive_minimum=True),
        C("验收日期", "accepted_on", "date", en="accepted on"),
        C("存放地点", "location"),
    ), date_column="accepted_on", example={"asset_id": "ZC001", "name": "网红直播间一", "type": "直播间", "quantity": 1,
                "accepted_on": "2023-06-30", "location": "县级新媒体直播基地"}),
    Dataset("milestones", (
        C("编号", "milestone_id", req=True, key_=True, en="milestone id"),
        E("阶段", "phase", "启动阶段 项目建设阶段 项目验收阶段 整改提升阶段", req=True),
        C("任务", "task", req=True),
        C("计划开始", "planned_start", "date", req=True, en="planned start"),
        C("计划完成", "planned_end", "date", req=True, en="planned end"),
        C("实际完成", "actual_end", "date", en="actual end"),
        C("责任单位", "owner"),
    ), date_column="actual_end", example={"milestone_id": "M01", "phase": "启动阶段", "task": "召开推进大会，制定实施方案",
                "planned_start": "2022-10-01", "planned_end": "2022-11-30", "actual_end": "2022-11-25",
                "owner": "县商务科技和工业信息化局"}),
    # For the 绩效自评表's 服务对象满意度 (not a scorecard KPI): satisfied / sample over the surveys up to a date.
    Dataset("satisfaction_surveys", (
        C("调查编号", "survey_id", req=True, key_=True, en="survey id"),
        C("调查日期", "date", "date", req=True),
        E("调查对象", "group", "参训学员 服务站点 企业 群众 其他", req=True),
        C("样本数", "sample", "int", req=True, minimum=1),
        C("满意数", "satisfied", "int", req=True, minimum=0),
        E("调查方式", "method", "问卷 电话 走访 其他"),
        C("说明", "note"),
    ), date_column="date", example={"survey_id": "MY2024-01", "date": "2024-05-10", "group": "参训学员",
                                   "sample": 120, "satisfied": 101, "method": "问卷", "note": "结业问卷"}),
]}

# Datasets whose key may be given by either of two columns: a row needs at least one of them.
ONE_OF_REQUIRED = {
    "training_attendance": ("trainee_id", "id_number"),
    "conversions": ("trainee_id", "id_number"),
}


def load_order(names: list[str]) -> list[str]:
    """Order datasets so that those referred to come first (sessions before attendance)."""
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for dep in DATASETS[name].depends_on:
            if dep in names:
                visit(dep)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered
