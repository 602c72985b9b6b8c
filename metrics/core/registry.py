"""The KPI registry: every KPI of shared/spec/kpis.md declared as data, with its computation as SQL.

Ids and definitions are the contract (tests, exports and URLs use them). Targets are not here: they are
configuration (data/county.toml), so another county changes numbers without touching code. Each query takes the
named parameters $as_of (DATE) and, where it needs them, $baseline_year, $follower_threshold, $budget_wan, and
returns one row whose first column is `value` (NULL when the inputs needed are missing); further columns are kept
as detail (numerator, denominator, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

from metrics.core.i18n import t
from metrics.core.locales import SOURCE_LANGUAGE

# The areas, in the order of the overview and of the briefing; each one's name is `area_<id>` in the catalogues.
AREAS = ("training", "retail", "talent", "brands", "service", "publicity", "budget")


def area_name(area: str, lang: str = SOURCE_LANGUAGE) -> str:
    return t(f"area_{area}", lang)


@dataclass(frozen=True)
class RowsMeasure:
    """How the rows behind a KPI give back its value, so a test can hold every rows query against its value:
    `agg` over the rows ("count" rows, "sum" or "distinct" of `column`), keeping only rows whose `flag` column is
    true when one is named, compared with the value query's column `against` ("value", or a detail column)."""

    agg: str  # "count", "sum" or "distinct"
    column: str | None = None
    flag: str | None = None
    against: str = "value"


@dataclass(frozen=True)
class Kpi:
    """One KPI. Its texts (name, unit, description) live in the catalogues under `kpi_<id>_name`, `kpi_<id>_unit`
    (`kpi_<id>_unit_one` for a count of one: "1 contest"), `kpi_<id>_description`.

    A plain count or sum over one ledger is declared with `Kpi.count` / `Kpi.total`, which make its value SQL, its
    rows SQL and how the two agree from one line; only a KPI whose computation is truly special spells out its SQL."""

    id: str
    area: str
    kind: str  # "count" (paced towards its deadline) or "rate" (compared with its floor)
    datasets: tuple[str, ...]  # the first is the one whose dates tell the KPI's freshness
    sql: str
    rows_sql: str  # the ledger rows behind the value at $as_of (same parameters), for tracing a figure to its rows
    # Shown as a percentage of a fraction (rates, and the budget execution rate which is paced like a count).
    is_fraction: bool = False
    # How the rows give the value back (None: the KPI's test reconciles them by hand; see tests/test_registry.py).
    rows_measure: RowsMeasure | None = None

    @classmethod
    def count(cls, id: str, area: str, table: str, date_column: str, where: str = "TRUE", order: str = "") -> Kpi:
        """The number of `table`'s rows matching `where` dated on or before the as-of date."""
        rows_where = f"{where} AND {date_column} <= $as_of"
        return cls(id, area, "count", (table,), _count(table, date_column, where),
                   rows_sql=_rows(table, rows_where, order or date_column), rows_measure=RowsMeasure("count"))

    @classmethod
    def total(cls, id: str, area: str, table: str, column: str, date_column: str, where: str = "TRUE",
              order: str = "") -> Kpi:
        """The sum of `column` over `table`'s rows matching `where` dated on or before the as-of date."""
        rows_where = f"{where} AND {date_column} <= $as_of"
        return cls(id, area, "count", (table,), _sum(table, column, date_column, where),
                   rows_sql=_rows(table, rows_where, order or date_column), rows_measure=RowsMeasure("sum", column))

    def name(self, lang: str = SOURCE_LANGUAGE) -> str:
        return t(f"kpi_{self.id}_name", lang)

    def unit(self, lang: str = SOURCE_LANGUAGE, count: float | None = None) -> str:
        """The unit as shown; the singular form for a count of exactly one ("1 contest", "2 contests")."""
        if count is not None and float(count) == 1:
            return t(f"kpi_{self.id}_unit_one", lang)
        return t(f"kpi_{self.id}_unit", lang)

    def description(self, lang: str = SOURCE_LANGUAGE) -> str:
        return t(f"kpi_{self.id}_description", lang)


def _count(table: str, date_col: str, where: str = "TRUE") -> str:
    return f"SELECT count(*) AS value FROM {table} WHERE {where} AND {date_col} <= $as_of"


def _sum(table: str, column: str, date_col: str, where: str = "TRUE") -> str:
    return f"SELECT coalesce(sum({column}), 0) AS value FROM {table} WHERE {where} AND {date_col} <= $as_of"


# The training KPIs read the derived tables (metrics/platform/derived.py), rebuilt with every change of the ledgers: the join of
# every attendance row to its session's date is done once per load instead of once per KPI, date and viewer.
# A trainee is trained by as-of when their first session is on or before it.
_TRAINEES = "SELECT * FROM derived_trainee_first_session WHERE first_session <= $as_of"

# A trainee converted by as-of when their first conversion on or after their first session is on or before it.
_CONVERSION_RATE = f"""
SELECT count(*) FILTER (WHERE first_conversion <= $as_of) / nullif(count(*), 0) AS value,
       count(*) FILTER (WHERE first_conversion <= $as_of) AS numerator, count(*) AS denominator
FROM ({_TRAINEES})"""

# The 12 months ending at the latest month <= as-of that has data (a month is dated by its first day).
# A year is compared as date_part('year', …), not year(…): the same value, but DuckDB 2.0 takes ~2 ms to plan
# `year(column) = …` in a WHERE clause and ~0.1 ms for date_part (issue 26: the region plans these per county).
_RETAIL_WINDOW = """latest AS (SELECT max(month) AS m FROM online_retail WHERE month <= $as_of),
     win AS (SELECT sum(total) AS total, sum(agri) AS agri, count(*) AS n FROM online_retail, latest
             WHERE month > latest.m - INTERVAL 12 MONTH AND month <= latest.m),
     prev AS (SELECT sum(agri) AS agri, count(*) AS n FROM online_retail, latest
              WHERE month > latest.m - INTERVAL 24 MONTH AND month <= latest.m - INTERVAL 12 MONTH)"""

_RETAIL_GROWTH = f"""
WITH {_RETAIL_WINDOW},
     base AS (SELECT sum(total) AS total, count(*) AS n FROM online_retail WHERE date_part('year', month) = $baseline_year)
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

# Rounded where made (万元 to the fen, the rate to 8 places): no 452.0000000000001 in any file.
_BUDGET = """SELECT round(coalesce(sum(amount), 0) / $budget_wan, 8) AS value,
                    round(coalesce(sum(amount), 0), 6) AS spent_wan
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
# People are matched through derived_person (by 学员编号, or by the hashed ID number where a ledger names them only so).
_CONVERSION_ROWS = """
    WITH firsts AS (SELECT p.person, min(s.date) AS first_session
                    FROM training_attendance a JOIN training_sessions s USING (session_id)
                    JOIN derived_person p USING (trainee_id)
                    WHERE s.date <= $as_of GROUP BY 1)
    SELECT c.trainee_id, c.date, c.type, c.shop, c.platform, f.first_session,
           (f.first_session IS NOT NULL AND c.date >= f.first_session) AS counted
    FROM conversions c LEFT JOIN derived_person p USING (trainee_id) LEFT JOIN firsts f ON f.person = p.person
    WHERE c.date <= $as_of ORDER BY c.date"""
_RETAIL_ROWS = "SELECT month, total, agri, source FROM online_retail WHERE month <= $as_of ORDER BY month"
_PARTICIPANT_ROWS = """SELECT name AS participant, count(*) AS events, min(date) AS first_event FROM
    (SELECT unnest(participants) AS name, date FROM events WHERE type = '推介活动' AND date <= $as_of)
    GROUP BY 1 ORDER BY 3"""
_WECHAT_ROWS = """SELECT date, channel, title, url, reads FROM publicity WHERE channel = '本县公众号'
    AND date_part('year', date) = year($as_of) AND date <= $as_of ORDER BY date"""
_MEDIA_ROWS = """SELECT date, channel, title, url FROM publicity
    WHERE channel IN ('中央主流媒体', '自治区主流媒体') AND date <= $as_of ORDER BY date"""

KPIS: list[Kpi] = [
    Kpi("training_person_times", "training", "count", ("training_sessions", "training_attendance"),
        "SELECT coalesce(sum(attendances), 0) AS value FROM derived_attendance_by_date WHERE date <= $as_of",
        rows_sql=_ATTENDANCE_ROWS, rows_measure=RowsMeasure("count")),
    Kpi("training_people", "training", "count", ("training_sessions", "training_attendance"),
        "SELECT count(trainee_id) AS value FROM (" + _TRAINEES + ")",
        rows_sql=_ATTENDANCE_ROWS, rows_measure=RowsMeasure("distinct", "trainee_id")),
    Kpi("training_conversion_rate", "training", "rate", ("conversions", "training_attendance", "training_sessions"),
        _CONVERSION_RATE,
        rows_sql=_CONVERSION_ROWS, is_fraction=True,
        rows_measure=RowsMeasure("distinct", "trainee_id", flag="counted", against="numerator")),
    Kpi("online_retail_growth", "retail", "rate", ("online_retail",),
        _RETAIL_GROWTH,
        rows_sql=_RETAIL_ROWS, is_fraction=True),
    Kpi("agri_online_retail_yoy", "retail", "rate", ("online_retail",),
        _AGRI_YOY,
        rows_sql=_RETAIL_ROWS, is_fraction=True),
    Kpi.count("tourism_hit_products", "brands", "products", "launched_on", "type = '旅游网红单品'"),
    Kpi.count("industry_brands", "brands", "brands", "completed_on", "kind = '特色产业品牌'"),
    Kpi.count("online_brands", "brands", "brands", "completed_on", "kind = '网销品牌'"),
    Kpi.count("promotion_events", "brands", "events", "date", "type = '推介活动'"),
    Kpi("promotion_participants", "brands", "count", ("events",),
        _PARTICIPANTS,
        rows_sql=_PARTICIPANT_ROWS, rows_measure=RowsMeasure("count")),
    Kpi.count("local_talents", "talent", "talents", "incubated_on"),
    Kpi("streamers_10k", "talent", "count", ("follower_snapshots", "talents"),
        _STREAMERS,
        rows_sql=_STREAMER_ROWS, rows_measure=RowsMeasure("count", flag="counts")),
    Kpi.count("startup_contests", "talent", "events", "date", "type = '电商创业大赛'"),
    Kpi.count("station_skill_contests", "service", "events", "date", "type = '站点技能比赛'"),
    Kpi.total("livestream_rooms", "service", "assets", "quantity", "accepted_on", "type = '直播间'"),
    Kpi.total("livestream_kits", "service", "assets", "quantity", "accepted_on", "type = '直播设备'"),
    Kpi("digital_enterprises", "service", "count", ("enterprise_upgrades",),
        _DIGITAL,
        rows_sql=_rows("enterprise_upgrades", "completed_on <= $as_of OR completed_on IS NULL", "enterprise, item")),
    Kpi("group_buying_coverage", "service", "rate", ("communities",),
        _GROUP_BUYING,
        rows_sql=_rows("communities", "type = '社区' AND ($as_of IS NOT NULL)", "township, name"), is_fraction=True,
        rows_measure=RowsMeasure("count", against="denominator")),
    Kpi("pickup_coverage", "service", "rate", ("stations",),
        _PICKUP,
        rows_sql=_rows("stations", "level = '乡镇站' AND ($as_of IS NOT NULL)", "township"), is_fraction=True),
    # The year's articles: a count whose rows show the columns a reader checks an article by.
    Kpi("wechat_articles", "publicity", "count", ("publicity",),
        _count("publicity", "date", "channel = '本县公众号' AND date_part('year', date) = year($as_of)"),
        rows_sql=_WECHAT_ROWS, rows_measure=RowsMeasure("count")),
    Kpi("mainstream_media_reports", "publicity", "count", ("publicity",),
        _MEDIA,
        rows_sql=_MEDIA_ROWS, rows_measure=RowsMeasure("count")),
    Kpi("budget_execution_rate", "budget", "count", ("expenditures",),
        _BUDGET,
        rows_sql=_rows("expenditures", "date <= $as_of", "date"), is_fraction=True,
        rows_measure=RowsMeasure("sum", "amount", against="spent_wan")),
]

KPI_BY_ID: dict[str, Kpi] = {k.id: k for k in KPIS}
