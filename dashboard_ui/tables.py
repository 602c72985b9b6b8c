"""Tables as the pages show them: columns named as users know them (the data contract's headers, or English),
values as a person reads them (dates, percentages, "—" for nothing), and on a phone each row as a card
(dashboard_ui.cards)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from metrics.core.datasets import DATASETS
from metrics.core.i18n import LANGUAGES

from . import state


def column_labels() -> dict[str, str]:
    """The computed columns' names (the views' own columns, not a ledger's) in the viewer's language."""
    t = state.t
    return {
        "month": t("month"), "sessions": t("column_sessions"), "person_times": t("column_person_times"),
        "new_people": t("column_new_people"), "person_times_total": t("column_person_times_total"),
        "people_total": t("column_people_total"), "category": t("column_category"),
        "conversions": t("column_conversions"), "counted": t("column_counted"),
        "first_session": t("column_first_session"), "total_12m": t("column_total_12m"),
        "agri_12m": t("column_agri_12m"), "growth_vs_baseline": t("column_growth_vs_baseline"),
        "agri_yoy": t("column_agri_yoy"), "followers": t("column_followers"),
        "all_platforms": t("column_all_platforms"), "counts": t("column_counts"), "talents": t("column_talents"),
        "completed": t("column_completed"), "launched": t("column_launched"),
        "participant_count": t("column_participant_count"), "stations": t("column_stations"),
        "operating": t("column_operating"), "pickup_points": t("column_pickup_points"), "places": t("column_places"),
        "covered": t("column_covered"), "all_three": t("column_all_three"), "accepted": t("column_accepted"),
        "orders": t("column_orders"), "amount_yuan": t("column_amount_yuan"), "per_order": t("column_per_order"),
        "year": t("column_year"), "items": t("column_items"), "reads": t("column_reads"), "state": t("column_state"),
        "participant": t("column_participant"), "events": t("column_events"), "first_event": t("column_first_event"),
        "home": t("column_home"), "line_id": t("column_line_id"), "plan_wan": t("column_plan_wan"),
        "spent_wan": t("column_spent_wan"), "execution": t("column_execution"),
        "expected_wan": t("column_expected_wan"), "over_plan": t("column_over_plan"),
        **{f"name_{lang}": t("column_item") for lang in LANGUAGES},  # a budget line's name, in each language
        **{f"group_{lang}": t("column_group") for lang in LANGUAGES},
        "group_id": t("column_group_id"),
    }


def labelled(frame: pd.DataFrame, dataset: str | None = None) -> pd.DataFrame:
    """Column names as users know them: the data contract's Chinese headers, or English in the English UI."""
    lang = state.lang()
    names = {}
    if dataset:
        for col in DATASETS[dataset].columns:
            names[col.stored_as] = col.label(lang)
    for key, label in column_labels().items():
        names.setdefault(key, label)
    for ds in DATASETS.values():  # any other ledger column: its label in the first dataset that has it
        for col in ds.columns:
            names.setdefault(col.stored_as, col.label(lang))
    return frame.rename(columns={c: names.get(c, c) for c in frame.columns})


# Computed columns that hold a fraction (0.971 = 97.1 %): shown as percentages in every table.
RATE_COLUMNS = {"execution", "growth_vs_baseline", "agri_yoy", "share", "rate", "conversion_rate", "coverage"}


def _cell(value) -> str:
    """A cell as a person reads it: nothing missing shows as "—" (never None/NaN/NaT), a date without its midnight."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (float, np.floating)):  # in a column with gaps, which is shown as text
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    return value


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as every table shows it: dates as dates, rates as percentages, missing values as "—".

    Numeric columns without gaps stay numbers (they sort and align as numbers); a column with a gap becomes text."""
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if column in RATE_COLUMNS and pd.api.types.is_numeric_dtype(values):
            frame[column] = values.map(lambda v: "—" if pd.isna(v) else f"{v * 100:.1f}%")
        elif pd.api.types.is_datetime64_any_dtype(values) or values.isna().any() or values.dtype == object:
            frame[column] = values.map(_cell).astype(object)  # (an empty date column would keep its dtype)
    return frame


def table(frame: pd.DataFrame, dataset: str | None = None, height: int | str = "auto", cards: str | None = None,
          title_columns: int = 1) -> None:
    """A labelled, readable table; with `cards` (a key), shown as cards on a phone (dashboard_ui.cards)."""
    if cards:
        from . import cards as phone

        phone.table(labelled(readable(frame), dataset), cards, title_columns, height=height,
                    column_config=_narrow_hashes(frame))
        return
    st.dataframe(labelled(readable(frame), dataset), hide_index=True, width="stretch", height=height,
                 column_config=_narrow_hashes(frame))


def _narrow_hashes(frame: pd.DataFrame) -> dict:
    """A 64-character fingerprint would push the useful columns off a phone's screen: shown narrow, whole on hover."""
    return {col: st.column_config.TextColumn(width="small") for col in frame.columns
            if "hash" in str(col) or "sha" in str(col)}
