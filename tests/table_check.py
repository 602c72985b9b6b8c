"""The table check's rules (issue 15), shared by the page tests: no cell shows None/NaN/nan/NaT or a raw
timestamp; rates are percentages, never 0.9714; column headers follow the chosen language (ledger values aside)."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from .language_check import CJK, ENGLISH_WORD, LATIN_IN_CHINESE

MISSING = {"None", "none", "nan", "NaN", "NaT", "<NA>", "null"}
RAW_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")
RATE_HEADER = re.compile(r"率|同比|增长|占比|rate|growth|YoY|execution|share|coverage", re.IGNORECASE)


def cell_problems(frame: pd.DataFrame, where: str) -> list[str]:
    found = []
    for column in frame.columns:
        values = frame[column]
        if RATE_HEADER.search(str(column)) and pd.api.types.is_float_dtype(values):
            found.append(f"{where}: column '{column}' shows rates as fractions ({values.dropna().head(2).tolist()})")
        if pd.api.types.is_datetime64_any_dtype(values):
            found.append(f"{where}: column '{column}' shows raw timestamps")
        for row, value in enumerate(values):
            text = str(value)
            if value is None or text in MISSING or (not isinstance(value, str) and pd.isna(value)):
                found.append(f"{where}: row {row + 1}, column '{column}' shows '{text}'")
            elif isinstance(value, (pd.Timestamp, dt.datetime)) or RAW_TIMESTAMP.fullmatch(text):
                found.append(f"{where}: row {row + 1}, column '{column}' shows the raw timestamp '{text}'")
    return found


def header_problems(frame: pd.DataFrame, lang: str, ledger: list[str], where: str) -> list[str]:
    found = []
    for column in [*frame.columns, *(frame.index.names or [])]:  # (a columns-axis name is not shown)
        if column is None:
            continue
        text = str(column)
        for value in ledger:
            text = text.replace(value, " ")
        if lang == "en" and CJK.search(text):
            found.append(f"{where}: header '{column}' is Chinese in the English UI")
        if lang == "zh" and [w for w in ENGLISH_WORD.findall(text) if w not in LATIN_IN_CHINESE]:
            found.append(f"{where}: header '{column}' is English in the Chinese UI")
    return found
