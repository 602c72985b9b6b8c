"""二、综合示范开展情况 of the report: sentences per construction area of the plan, from the ledgers as the
dashboard shows them (metrics.kpi.views) and the scorecard's values."""

from __future__ import annotations

import datetime as dt

from metrics.core.i18n import t
from metrics.kpi import budget, views
from metrics.kpi.formatting import format_value
from metrics.kpi.scorecard import KpiResult
from metrics.outputs.words import kpi_sentence
from metrics.outputs.words import million as _million


def activities(con, results: dict[str, KpiResult], as_of: dt.date, lang: str) -> list[tuple[str, list[str]]]:
    """Sentences per construction area of the plan (五（一）…（五）), from the ledgers as the dashboard shows them."""

    def v(kpi_id: str) -> str:
        return format_value(kpi_id, results[kpi_id].value, lang)

    def n(x) -> str:
        return f"{float(x):,.0f}" if float(x).is_integer() else f"{float(x):,.1f}"

    stations = views.stations_by_township(con)
    events = views.events(con, as_of)
    by_type = events.groupby("type").size().to_dict() if not events.empty else {}
    monthly = views.training_monthly(con, as_of)
    brands = views.brands(con, as_of)
    done = brands[brands["completed"]] if not brands.empty else brands
    logistics = views.logistics_monthly(con, as_of)
    publicity = views.publicity_by_year(con, as_of)
    conv = results["training_conversion_rate"].detail
    promo = events[events["type"] == "推介活动"] if not events.empty else events
    deals = budget.wan(promo["deal_amount"].fillna(0).sum()) if not promo.empty else 0.0
    areas: list[tuple[str, list[str]]] = []

    township_stations = stations[stations["level"] == "乡镇站"] if not stations.empty else stations
    areas.append((t("acceptance_1_service_centre_and_stations", lang), [
        t("acceptance_stations_sentence", lang, stations=n(stations["stations"].sum() if not stations.empty else 0),
          operating=n(stations["operating"].sum() if not stations.empty else 0),
          township_operating=n(township_stations["operating"].sum() if not township_stations.empty else 0),
          pickup_coverage=v("pickup_coverage")),
        t("acceptance_livestream_sentence", lang, livestream_rooms=v('livestream_rooms'),
          livestream_kits=v('livestream_kits')),
        t("acceptance_contests_sentence", lang, contests=kpi_sentence(results["station_skill_contests"], lang),
          salons=t("acceptance_salons" if by_type.get('站长沙龙', 0) else "acceptance_salons_zero", lang,
                   n=by_type.get('站长沙龙', 0))),
    ]))
    kinds = done.groupby("kind").size().to_dict() if not done.empty else {}
    areas.append((t("acceptance_2_brands_and_promotion", lang), [
        t("acceptance_brands_sentence", lang, industry_brands=v("industry_brands"), online_brands=v("online_brands"),
          brands_done=sum(kinds.values()), tourism_hit_products=v("tourism_hit_products")),
        t("acceptance_promotion_sentence", lang, promotion_events=v('promotion_events'),
          promotion_participants=v('promotion_participants'), n_zh=n(deals), n_en=_million(deals)),
    ]))
    sessions = int(monthly["sessions"].sum()) if not monthly.empty else 0
    areas.append((t("acceptance_3_training_and_talent", lang), [
        (t("acceptance_training_sentence", lang, sessions=sessions, training_person_times=v('training_person_times'),
           training_people=v('training_people'), n=n(conv.get('numerator') or 0), training_conversion_rate=v('training_conversion_rate'))),
        t("acceptance_talents_sentence", lang, local_talents=v('local_talents'), streamers_10k=v('streamers_10k'),
          startup_contests=v('startup_contests')),
    ]))
    orders = int(logistics["orders"].sum()) if not logistics.empty else 0
    subsidy = round(float(logistics["amount_yuan"].sum()), 2) if not logistics.empty else 0.0  # 元 to the fen
    areas.append((t("acceptance_4_logistics_and_digital_upgrading", lang), [
        t("acceptance_logistics_sentence", lang, orders=orders, subsidy=subsidy,
          digital_enterprises=v('digital_enterprises'), group_buying_coverage=v('group_buying_coverage')),
    ]))
    by_channel = publicity.groupby("channel")["items"].sum().to_dict() if not publicity.empty else {}
    channels = t("list_separator", lang).join(t("acceptance_channel_items", lang, channel=c, items=int(k))
                                              for c, k in by_channel.items())
    areas.append((t("acceptance_5_publicity", lang), [
        t("acceptance_publicity_sentence", lang, wechat_articles=v('wechat_articles'),
          mainstream_media_reports=v('mainstream_media_reports'), channels=channels or t("acceptance_none", lang)),
    ]))
    return areas


