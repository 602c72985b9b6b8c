"""The KPI registry: every KPI of shared/spec/kpis.md declared as data, with its computation as SQL.

Ids and definitions are the contract (tests, exports and URLs use them). Targets are not here: they are
configuration (data/county.toml), so another county changes numbers without touching code. Each query takes the
named parameters $as_of (DATE) and, where it needs them, $baseline_year, $follower_threshold, $budget_wan, and
returns one row whose first column is `value` (NULL when the inputs needed are missing); further columns are kept
as detail (numerator, denominator, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

AREAS = {  # area id -> (中文, English); the order is the order of the overview and of the briefing
    "training": ("培训与转化", "Training and conversion"),
    "retail": ("网络零售", "Online retail"),
    "talent": ("人才与主播", "Talents and streamers"),
    "brands": ("品牌与推介", "Brands and promotion"),
    "service": ("服务体系", "Service system"),
    "publicity": ("宣传推广", "Publicity"),
    "budget": ("资金使用", "Budget"),
}


@dataclass(frozen=True)
class Kpi:
    id: str
    zh: str
    en: str
    area: str
    kind: str  # "count" (paced towards its deadline) or "rate" (compared with its floor)
    unit_zh: str  # unit of the value as shown; rates are fractions shown as %
    unit_en: str
    datasets: tuple[str, ...]  # the first is the one whose dates tell the KPI's freshness
    sql: str
    description_zh: str
    description_en: str
    rows_sql: str  # the ledger rows behind the value at $as_of (same parameters), for tracing a figure to its rows

    @property
    def is_fraction(self) -> bool:
        """Shown as a percentage (rates, and the budget execution rate which is paced like a count)."""
        return self.unit_zh == "%"


def _count(table: str, date_col: str, where: str = "TRUE") -> str:
    return f"SELECT count(*) AS value FROM {table} WHERE {where} AND {date_col} <= $as_of"


def _sum(table: str, column: str, date_col: str, where: str = "TRUE") -> str:
    return f"SELECT coalesce(sum({column}), 0) AS value FROM {table} WHERE {where} AND {date_col} <= $as_of"


# The training KPIs read the derived tables (metrics/derived.py), rebuilt with every change of the ledgers: the join of
# every attendance row to its session's date is done once per load instead of once per KPI, date and viewer.
# A trainee is trained by as-of when their first session is on or before it.
_TRAINEES = "SELECT * FROM derived_trainee_first_session WHERE first_session <= $as_of"

# A trainee converted by as-of when their first conversion on or after their first session is on or before it.
_CONVERSION_RATE = f"""
SELECT count(*) FILTER (WHERE first_conversion <= $as_of) / nullif(count(*), 0) AS value,
       count(*) FILTER (WHERE first_conversion <= $as_of) AS numerator, count(*) AS denominator
FROM ({_TRAINEES})"""

# The 12 months ending at the latest month <= as-of that has data (a month is dated by its first day).
_RETAIL_WINDOW = """latest AS (SELECT max(month) AS m FROM online_retail WHERE month <= $as_of),
     win AS (SELECT sum(total) AS total, sum(agri) AS agri, count(*) AS n FROM online_retail, latest
             WHERE month > latest.m - INTERVAL 12 MONTH AND month <= latest.m),
     prev AS (SELECT sum(agri) AS agri, count(*) AS n FROM online_retail, latest
              WHERE month > latest.m - INTERVAL 24 MONTH AND month <= latest.m - INTERVAL 12 MONTH)"""

_RETAIL_GROWTH = f"""
WITH {_RETAIL_WINDOW},
     base AS (SELECT sum(total) AS total, count(*) AS n FROM online_retail WHERE year(month) = $baseline_year)
SELECT CASE WHEN win.n = 12 AND base.n = 12 AND base.total > 0 THEN win.total / base.total - 1 END AS value,
       win.total AS window_total, base.total AS baseline_total, latest.m AS window_end, win.n AS window_months,
       base.n AS baseline_months
FROM win, base, latest"""

_AGRI_YOY = f"""
WITH {_RETAIL_WINDOW}
SELECT CASE WHEN win.n = 12 AND prev.n = 12 AND prev.agri > 0 THEN win.agri / prev.agri - 1 END AS value,
       win.agri AS window_agri, prev.agri AS previous_agri, latest.m AS window_end, win.n + prev.n AS months
FROM win, prev, latest"""

# Each talent with followers: the best single platform (each platform's latest snapshot), and whether they count.
# The KPI counts the rows of this very query, so the value and the rows shown behind it cannot disagree.
_STREAMER_ROWS = """
        WITH latest AS (SELECT talent_id, platform, arg_max(followers, date) AS followers, max(date) AS as_at
                        FROM follower_snapshots WHERE date <= $as_of GROUP BY 1, 2),
             best AS (SELECT talent_id, arg_max(platform, followers) AS platform, max(followers) AS followers,
                             sum(followers) AS all_platforms
                      FROM latest GROUP BY 1)
        SELECT t.talent_id, t.name, t.township, t.type, t.incubated_on, t.can_sell_live,
               b.platform, b.followers, b.all_platforms,
               (t.incubated_on <= $as_of AND t.can_sell_live AND b.followers >= $follower_threshold) AS counts
        FROM talents t JOIN best b USING (talent_id)
        ORDER BY counts DESC, b.followers DESC"""

_STREAMERS = f"SELECT count(*) FILTER (WHERE counts) AS value FROM ({_STREAMER_ROWS})"

_PARTICIPANTS = """SELECT count(DISTINCT name) AS value FROM
    (SELECT unnest(participants) AS name FROM events WHERE type = '推介活动' AND date <= $as_of)"""

_DIGITAL = """SELECT count(*) AS value FROM (
    SELECT enterprise FROM enterprise_upgrades
    WHERE item IN ('在线下单', '在线支付', '在线库存管理') AND completed_on <= $as_of
    GROUP BY enterprise HAVING count(DISTINCT item) = 3)"""

# A community marked covered without a date counts as covered whatever the as-of date (its date is unknown).
_GROUP_BUYING = """SELECT count(*) FILTER (WHERE covered AND (covered_on IS NULL OR covered_on <= $as_of))
                          / nullif(count(*), 0) AS value,
                          count(*) FILTER (WHERE covered AND (covered_on IS NULL OR covered_on <= $as_of)) AS numerator,
                          count(*) AS denominator
                   FROM communities WHERE type = '社区'"""

# Stations carry no dates: their current state (level, status, pickup point) is what the ledger says now.
_PICKUP = """SELECT count(*) FILTER (WHERE pickup_point) / nullif(count(*), 0) AS value,
                    count(*) FILTER (WHERE pickup_point) AS numerator, count(*) AS denominator
             FROM stations WHERE level = '乡镇站' AND status = '运营中'"""

_BUDGET = """SELECT coalesce(sum(amount), 0) / $budget_wan AS value, coalesce(sum(amount), 0) AS spent_wan
             FROM expenditures WHERE date <= $as_of"""

_MEDIA = _count("publicity", "date", "channel IN ('中央主流媒体', '自治区主流媒体')")


# ------------------------------------------------------------------------------ rows behind each KPI

def _rows(table: str, where: str, order: str = "") -> str:
    """Every stored column of a ledger but the bookkeeping ones, filtered as the KPI counts."""
    order_by = f" ORDER BY {order}" if order else ""
    return f"SELECT * EXCLUDE (_load_id, _source_row, _extra) FROM {table} WHERE {where}{order_by}"

_ATTENDANCE_ROWS = """SELECT s.session_id, s.date, s.township, s.topic, s.mode, a.trainee_id, a.name, a.township AS home
    FROM training_attendance a JOIN training_sessions s USING (session_id) WHERE s.date <= $as_of
    ORDER BY s.date, s.session_id"""


# The rows behind the KPIs whose rows are not a plain filter of one ledger. ($as_of IS NOT NULL): undated ledgers
# take the parameter all the same, so every rows query is called alike.
_CONVERSION_ROWS = """
    WITH firsts AS (SELECT a.trainee_id, min(s.date) AS first_session
                    FROM training_attendance a JOIN training_sessions s USING (session_id)
                    WHERE s.date <= $as_of GROUP BY 1)
    SELECT c.trainee_id, c.date, c.type, c.shop, c.platform, f.first_session,
           (f.first_session IS NOT NULL AND c.date >= f.first_session) AS counted
    FROM conversions c LEFT JOIN firsts f USING (trainee_id) WHERE c.date <= $as_of ORDER BY c.date"""
_RETAIL_ROWS = "SELECT month, total, agri, source FROM online_retail WHERE month <= $as_of ORDER BY month"
_PARTICIPANT_ROWS = """SELECT name AS participant, count(*) AS events, min(date) AS first_event FROM
    (SELECT unnest(participants) AS name, date FROM events WHERE type = '推介活动' AND date <= $as_of)
    GROUP BY 1 ORDER BY 3"""
_WECHAT_ROWS = """SELECT date, channel, title, url, reads FROM publicity WHERE channel = '本县公众号'
    AND year(date) = year($as_of) AND date <= $as_of ORDER BY date"""
_MEDIA_ROWS = """SELECT date, channel, title, url FROM publicity
    WHERE channel IN ('中央主流媒体', '自治区主流媒体') AND date <= $as_of ORDER BY date"""

KPIS: list[Kpi] = [
    Kpi("training_person_times", "电商培训人次", "Training person-times", "training", "count", "人次", "person-times",
        ("training_sessions", "training_attendance"),
        "SELECT coalesce(sum(attendances), 0) AS value FROM derived_attendance_by_date WHERE date <= $as_of",
        "签到记录中场次日期不晚于统计日的行数；同一人参加多场计多次", "attendance rows whose session is on or before the date",
        rows_sql=_ATTENDANCE_ROWS),
    Kpi("training_people", "电商培训人数", "People trained", "training", "count", "人", "people",
        ("training_sessions", "training_attendance"),
        "SELECT count(trainee_id) AS value FROM (" + _TRAINEES + ")",
        "上述签到记录中的不同学员数；同一人只计一次", "distinct trainees in those rows",
        rows_sql=_ATTENDANCE_ROWS),
    Kpi("training_conversion_rate", "培训创业就业转化率", "Training conversion rate", "training", "rate", "%", "%",
        ("conversions", "training_attendance", "training_sessions"), _CONVERSION_RATE,
        "首次参训当日或之后、统计日之前有创业就业转化的不同学员 ÷ 培训人数",
        "distinct trainees converted on or after their first session ÷ people trained",
        rows_sql=_CONVERSION_ROWS),
    Kpi("online_retail_growth", "全县网络零售额增长率", "County online retail growth", "retail", "rate", "%", "%",
        ("online_retail",), _RETAIL_GROWTH,
        "截至统计日最近 12 个月全县网络零售额 ÷ 基准年（2021年）全年 − 1；缺月则暂无数据",
        "trailing 12 months of county online retail ÷ the baseline year − 1; no data if a month is missing",
        rows_sql=_RETAIL_ROWS),
    Kpi("agri_online_retail_yoy", "农产品网络零售额同比增长率", "Agricultural online retail YoY", "retail", "rate", "%", "%",
        ("online_retail",), _AGRI_YOY,
        "最近 12 个月农产品网络零售额 ÷ 再往前 12 个月 − 1；需 24 个月数据",
        "trailing 12 months of agricultural retail ÷ the 12 months before − 1; needs 24 months",
        rows_sql=_RETAIL_ROWS),
    Kpi("tourism_hit_products", "旅游网红单品", "Tourism hit products", "brands", "count", "款", "products",
        ("products",), _count("products", "launched_on", "type = '旅游网红单品'"),
        "类型为旅游网红单品且已上线的单品数", "products of type tourism hit launched",
        rows_sql=_rows("products", "type = '旅游网红单品' AND launched_on <= $as_of", "launched_on")),
    Kpi("industry_brands", "特色产业品牌", "Industry brands", "brands", "count", "个", "brands",
        ("brands",), _count("brands", "completed_on", "kind = '特色产业品牌'"),
        "已完成的特色产业品牌数", "industry brands completed",
        rows_sql=_rows("brands", "kind = '特色产业品牌' AND completed_on <= $as_of", "completed_on")),
    Kpi("online_brands", "网销品牌", "Online brands", "brands", "count", "个", "brands",
        ("brands",), _count("brands", "completed_on", "kind = '网销品牌'"),
        "已完成的网销品牌数", "online brands completed",
        rows_sql=_rows("brands", "kind = '网销品牌' AND completed_on <= $as_of", "completed_on")),
    Kpi("promotion_events", "整体推介活动", "Promotion events", "brands", "count", "场", "events",
        ("events",), _count("events", "date", "type = '推介活动'"),
        "已举办的推介活动场次", "promotion events held",
        rows_sql=_rows("events", "type = '推介活动' AND date <= $as_of", "date")),
    Kpi("promotion_participants", "参与推介的市场主体", "Promotion participants", "brands", "count", "家", "entities",
        ("events",), _PARTICIPANTS,
        "上述推介活动的不同参与主体数", "distinct participants of those events",
        rows_sql=_PARTICIPANT_ROWS),
    Kpi("local_talents", "本土电商创业达人", "Local e-commerce talents", "talent", "count", "名", "talents",
        ("talents",), _count("talents", "incubated_on"),
        "已孵化的本土电商创业达人数", "talents incubated",
        rows_sql=_rows("talents", "incubated_on <= $as_of", "incubated_on")),
    Kpi("streamers_10k", "万粉带货主播", "Streamers with 10k+ followers", "talent", "count", "名", "streamers",
        ("follower_snapshots", "talents"), _STREAMERS,
        "具备直播带货能力、且在某一个平台上最新粉丝数达到 1 万的已孵化达人（不跨平台相加）",
        "incubated talents who sell live with 10,000+ followers on one platform (latest snapshot, never summed)",
        rows_sql=_STREAMER_ROWS),
    Kpi("startup_contests", "电商创业大赛", "Start-up contests", "talent", "count", "场", "contests",
        ("events",), _count("events", "date", "type = '电商创业大赛'"),
        "已举办的电商创业大赛场次", "start-up contests held",
        rows_sql=_rows("events", "type = '电商创业大赛' AND date <= $as_of", "date")),
    Kpi("station_skill_contests", "电商站点技能比赛", "Station skill contests", "service", "count", "场", "contests",
        ("events",), _count("events", "date", "type = '站点技能比赛'"),
        "已举办的电商站点技能比赛场次", "station skill contests held",
        rows_sql=_rows("events", "type = '站点技能比赛' AND date <= $as_of", "date")),
    Kpi("livestream_rooms", "网红直播间", "Livestream rooms", "service", "count", "间", "rooms",
        ("assets",), _sum("assets", "quantity", "accepted_on", "type = '直播间'"),
        "已验收的直播间数量", "livestream rooms accepted",
        rows_sql=_rows("assets", "type = '直播间' AND accepted_on <= $as_of")),
    Kpi("livestream_kits", "直播设备（套）", "Livestream kits", "service", "count", "套", "kits",
        ("assets",), _sum("assets", "quantity", "accepted_on", "type = '直播设备'"),
        "已验收的直播设备套数", "livestream kits accepted",
        rows_sql=_rows("assets", "type = '直播设备' AND accepted_on <= $as_of")),
    Kpi("digital_enterprises", "完成数字化升级的商贸企业", "Digitally upgraded enterprises", "service", "count", "家",
        "enterprises", ("enterprise_upgrades",), _DIGITAL,
        "在线下单、在线支付、在线库存管理三项均已完成的企业数", "enterprises with all three upgrades completed",
        rows_sql=_rows("enterprise_upgrades", "completed_on <= $as_of OR completed_on IS NULL", "enterprise, item")),
    Kpi("group_buying_coverage", "社区团购覆盖率", "Group-buying coverage", "service", "rate", "%", "%",
        ("communities",), _GROUP_BUYING,
        "已覆盖社区团购的社区 ÷ 全部社区", "communities covered by group buying ÷ all communities",
        rows_sql=_rows("communities", "type = '社区' AND ($as_of IS NOT NULL)", "township, name")),
    Kpi("pickup_coverage", "乡镇站点自提点覆盖率", "Township pickup coverage", "service", "rate", "%", "%",
        ("stations",), _PICKUP,
        "运营中且为自提点的乡镇站 ÷ 运营中的乡镇站", "township stations in operation that are pickup points ÷ all in operation",
        rows_sql=_rows("stations", "level = '乡镇站' AND ($as_of IS NOT NULL)", "township")),
    Kpi("wechat_articles", "农村电商公众号推文（当年）", "WeChat articles (this year)", "publicity", "count", "篇", "articles",
        ("publicity",), _count("publicity", "date", "channel = '本县公众号' AND year(date) = year($as_of)"),
        "统计日所在年度本县公众号发布的推文数，每年不少于 30 篇", "articles on the county account in the as-of year",
        rows_sql=_WECHAT_ROWS),
    Kpi("mainstream_media_reports", "中央及自治区主流媒体报道", "Mainstream media reports", "publicity", "count", "次",
        "reports", ("publicity",), _MEDIA,
        "中央或自治区主流媒体的报道次数", "reports in central or regional mainstream media",
        rows_sql=_MEDIA_ROWS),
    Kpi("budget_execution_rate", "资金执行率", "Budget execution rate", "budget", "count", "%", "%",
        ("expenditures",), _BUDGET,
        "统计日前已支付金额 ÷ 500 万元，按进度考核", "expenditures to date ÷ the 500 万元 budget, paced",
        rows_sql=_rows("expenditures", "date <= $as_of", "date")),
]

KPI_BY_ID: dict[str, Kpi] = {k.id: k for k in KPIS}
