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
    assert count_status(3999, as_of=DEADLINE) == "on_track"  # on the deadline day itself: not yet missed
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
    assert rate_status(None) == "no_data"


def test_the_threshold_is_a_parameter():
    assert status("count", 800, 4000, 1000, MID, DEADLINE, 0.9) == "behind"
    assert status("count", 800, 4000, 1000, MID, DEADLINE, 0.7) == "at_risk"
