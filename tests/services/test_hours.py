"""Support hours and response-due times (guide: 5×8, 7×24 for severity 1, 2 hours)."""

import datetime as dt
import logging

import pytest

from bot.services.hours import SupportHours, is_working_day

SH = SupportHours.from_catalogue()
TZ = SH.tz


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.mark.parametrize(
    "when, is_open",
    [
        (at(2026, 11, 26, 8, 29), False),
        (at(2026, 11, 26, 8, 30), True),
        (at(2026, 11, 26, 16, 59), True),
        (at(2026, 11, 26, 17, 0), False),
        (at(2026, 11, 28, 10, 0), False),  # Saturday
        (at(2026, 10, 1, 10, 0), False),  # National Day holiday
        (at(2026, 2, 28, 10, 0), True),  # Saturday made a working day (调休)
    ],
)
def test_is_open(when, is_open):
    assert SH.is_open(when) is is_open


def test_utc_input_is_converted():
    assert SH.is_open(dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.timezone.utc))  # 10:00 CST


def test_due_in_business_hours_is_two_hours():
    assert SH.response_due(at(2026, 11, 26, 10, 0), 3) == at(2026, 11, 26, 12, 0)


def test_due_late_in_the_day_carries_into_the_next_working_morning():
    """A severity-3 case opened at 16:30 was promised a response at 18:30."""
    assert SH.response_due(at(2026, 12, 7, 16, 30), 3) == at(2026, 12, 8, 10, 0)
    assert SH.response_due(at(2026, 12, 7, 15, 0), 2) == at(2026, 12, 7, 17, 0)
    assert SH.response_due(at(2026, 11, 27, 16, 0), 2) == at(2026, 11, 30, 9, 30)  # Fri → Mon
    assert SH.response_due(at(2026, 12, 7, 16, 30), 1) == at(2026, 12, 7, 18, 30)


def test_due_outside_hours_severity1_is_two_hours():
    assert SH.response_due(at(2026, 11, 27, 22, 0), 1) == at(2026, 11, 28, 0, 0)


def test_due_outside_hours_other_severities_from_next_working_morning():
    # Friday evening → Monday 8:30 + 2 h
    assert SH.response_due(at(2026, 11, 27, 18, 0), 2) == at(2026, 11, 30, 10, 30)
    # early morning on a working day → same day 8:30 + 2 h
    assert SH.response_due(at(2026, 11, 26, 7, 0), 3) == at(2026, 11, 26, 10, 30)
    # the National Day holiday week is skipped
    assert SH.response_due(at(2026, 9, 30, 20, 0), 2).date() == dt.date(2026, 10, 8)


def test_unknown_year_falls_back_to_weekdays_with_warning(caplog):
    with caplog.at_level(logging.WARNING):
        assert is_working_day(dt.date(2031, 1, 6)) is True  # a Monday
        assert is_working_day(dt.date(2031, 1, 5)) is False  # a Sunday
    assert "2031" in caplog.text
