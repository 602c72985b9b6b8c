"""The pace and status rule of kpis.md, as pure functions (no database), so every boundary is easy to test.

Status, the first that applies: no_data, achieved, missed, on_track, at_risk, behind.
"""

from __future__ import annotations

import datetime as dt

from metrics.core.i18n import t

STATUSES = ("achieved", "on_track", "at_risk", "behind", "missed", "no_data")  # the order of the legend


def deadline_passed(as_of: dt.date, deadline: dt.date) -> bool:
    """kpis.md: on the deadline day the period is over (that day's records count, nothing more can). The one rule for
    every "is it still open?" question: the status below, the digest's upcoming deadlines, the acceptance pack."""
    return as_of >= deadline


def status_name(status: str, lang: str = "zh") -> str:
    """已达标 / Achieved …: each status's word is `status_<id>` in the catalogues."""
    return t(f"status_{status}", lang)


def pace_fraction(as_of: dt.date, start: dt.date, deadline: dt.date) -> float:
    """How far along the straight line from start to deadline the as-of date is, clamped to 0..1."""
    span = (deadline - start).days
    if span <= 0:
        return 1.0
    return min(1.0, max(0.0, (as_of - start).days / span))


def expected_value(kind: str, target_min: float, as_of: dt.date, start: dt.date, deadline: dt.date) -> float | None:
    """A count's expected value by linear pace; a rate has no pace (None)."""
    if kind != "count":
        return None
    return target_min * pace_fraction(as_of, start, deadline)


def status(kind: str, value: float | None, target_min: float, expected: float | None, as_of: dt.date,
           deadline: dt.date, threshold: float) -> str:
    if value is None:
        return "no_data"
    if value >= target_min:
        return "achieved"
    if deadline_passed(as_of, deadline):
        return "missed"
    if kind == "count":
        if value >= expected:
            return "on_track"
        return "at_risk" if value >= threshold * expected else "behind"
    return "at_risk" if value >= threshold * target_min else "behind"


def progress(value: float | None, target_min: float) -> float | None:
    """Value as a share of the floor (may exceed 1)."""
    if value is None or target_min <= 0:
        return None
    return value / target_min
