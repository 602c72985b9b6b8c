"""The pace and status rule of kpis.md at each boundary (pure functions, no database)."""

import datetime as dt

import pytest

from metrics.kpi.status import expected_value, pace_fraction, status

START, DEADLINE = dt.date(2022, 10, 1), dt.date(2024, 10, 31)
MID = dt.date(2023, 10, 16)  # 380 of the 761 days from START to DEADLINE


def test_pace_is_linear_and_clamped():
    assert pace_fraction(START, START, DEADLINE) == 0
    assert pace_fraction(MID, START, DEADLINE) == pytest.approx(380 / 761)
    assert pace_fraction(dt.date(2025, 1, 1), START, DEADLINE) == 1
    assert pace_fraction(dt.date(2022, 1, 1), START, DEADLINE) == 0


def test_expected_value_of_a_count():
    # 4000 x 380 / 761 = 1997.37...
    assert expected_value("count", 4000, MID, START, DEADLINE) == pytest.approx(4000 * 380 / 761)
    assert expected_value("rate", 0.02, MID, START, DEADLINE) is None


def count_status(value, expected=1000.0, as_of=MID):
    return status("count", value, 4000, expected, as_of, DEADLINE, 0.7)


def test_count_boundaries():
    assert count_status(4000) == "achieved"  # value = min
    assert count_status(1000) == "on_track"  # value = expected
    assert count_status(999.9) == "at_risk"
    assert count_status(700) == "at_risk"  # exactly 0.7 x 1000
    assert count_status(699.9) == "behind"
    # kpis.md: on the deadline day itself the period is over (its records count, no more can): missed.
    assert count_status(3999, expected=4000, as_of=DEADLINE) == "missed"
    assert count_status(3999, expected=4000, as_of=DEADLINE - dt.timedelta(days=1)) == "at_risk"
    assert count_status(3999, expected=4000, as_of=DEADLINE + dt.timedelta(days=1)) == "missed"
    assert count_status(4100, as_of=dt.date(2025, 1, 1)) == "achieved"  # achieved wins over missed
    assert count_status(None) == "no_data"


def rate_status(value, as_of=MID):
    return status("rate", value, 0.10, None, as_of, DEADLINE, 0.7)


def test_rate_boundaries():
    assert rate_status(0.10) == "achieved"
    assert rate_status(0.0999) == "at_risk"  # a rate is never on track
    assert rate_status(0.07) == "at_risk"  # exactly 0.7 x 0.10
    assert rate_status(0.0699) == "behind"
    assert rate_status(-0.05) == "behind"
    assert rate_status(0.05, as_of=dt.date(2024, 11, 1)) == "missed"
    assert rate_status(0.05, as_of=DEADLINE) == "missed"  # the deadline day: over
    assert rate_status(0.05, as_of=DEADLINE - dt.timedelta(days=1)) == "behind"
    assert rate_status(None) == "no_data"


def test_the_threshold_is_a_parameter():
    assert status("count", 800, 4000, 1000, MID, DEADLINE, 0.9) == "behind"
    assert status("count", 800, 4000, 1000, MID, DEADLINE, 0.7) == "at_risk"


def _deadlines():
    """Every KPI's deadline in the shipped configuration; a yearly KPI (no fixed deadline) at each project year's end."""
    from metrics.core.config import default_config
    from metrics.core.registry import KPIS

    config = default_config()
    for kpi in KPIS:
        target = config.targets[kpi.id]
        days = [target.deadline] if target.deadline else [dt.date(y, 12, 31) for y in range(config.start.year,
                                                                                          config.end.year + 1)]
        for day in days:
            yield pytest.param(kpi.kind, target.min, day, id=f"{kpi.id}@{day}")


@pytest.mark.parametrize("kind,floor,deadline", list(_deadlines()))
def test_every_kpi_at_its_exact_deadline_and_the_day_before(kind, floor, deadline):
    """Each status at each KPI's deadline (over: achieved, missed or no data) and the day before (still open)."""
    before = deadline - dt.timedelta(days=1)
    short = floor * 0.5  # below the floor: missed once the deadline day comes
    # A count's expected value the day before is ~the floor; pass it explicitly so each pace status is reachable.
    expected = floor if kind == "count" else None

    def at(value, day, exp=expected):
        return status(kind, value, floor, exp, day, deadline, 0.7)
    assert at(floor, deadline) == "achieved"
    assert at(floor, before) == "achieved"
    assert at(short, deadline) == "missed"
    assert at(short * 1.6, deadline) == "missed"  # 0.8 x floor: at risk the day before, missed on the day
    assert at(short * 1.6, before) == "at_risk"  # 0.8 >= 0.7
    assert at(short, before) == "behind"  # 0.5 < 0.7
    assert at(None, deadline) == "no_data" and at(None, before) == "no_data"
    if kind == "count":  # on track: value at least the pace's expected value, before the deadline only
        assert at(short, before, exp=short) == "on_track"
        assert at(short, deadline, exp=short) == "missed"
