"""Phone-support hours and response-due times, from the guide's rules.

Working time is Mon–Fri 8:30–17:00 in the desk's time zone (``Settings.timezone``,
``PPA_TIMEZONE``, default Asia/Shanghai), minus Chinese public holidays,
plus the adjusted working days (调休), from the ``chinesecalendar`` package. For a
year the package does not know yet we fall back to plain weekdays and log a warning.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar

from bot.catalogue import Catalogue, default_catalogue
from bot.config import DEFAULT_TIMEZONE, Settings

logger = logging.getLogger(__name__)
_warned_years: set[int] = set()


def is_working_day(day: dt.date) -> bool:
    """True on Chinese working days (holidays and 调休 included where known)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # chinesecalendar's signal for a year it has no data for
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "chinesecalendar has no data for %s; treating Mon–Fri as working days",
                day.year,
            )
        return day.weekday() < 5


def _hm(text: str) -> dt.time:
    hour, minute = text.split(":")
    return dt.time(int(hour), int(minute))


@dataclass(frozen=True)
class SupportHours:
    """The 5×8 phone-support window and the 2-hour response rule."""

    tz: ZoneInfo
    start: dt.time
    end: dt.time
    response: dt.timedelta

    @classmethod
    def from_catalogue(
        cls, catalogue: Catalogue | None = None, *, timezone: str = DEFAULT_TIMEZONE
    ) -> SupportHours:
        """Hours as the guide states them (catalogue ``service_hours``), in ``timezone``."""
        hours = (catalogue or default_catalogue()).service_hours
        return cls(
            tz=ZoneInfo(timezone),
            start=_hm(hours["start"]),
            end=_hm(hours["end"]),
            response=dt.timedelta(hours=int(hours["response_hours"])),
        )

    @classmethod
    def from_settings(cls, settings: Settings, catalogue: Catalogue | None = None) -> SupportHours:
        """The guide's hours in the configured time zone (``PPA_TIMEZONE``)."""
        return cls.from_catalogue(catalogue, timezone=settings.timezone)

    def local(self, when: dt.datetime) -> dt.datetime:
        """``when`` in the support desk's time zone (naive times are taken as UTC)."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        return when.astimezone(self.tz)

    def is_open(self, when: dt.datetime) -> bool:
        """True inside the 5×8 window on a working day."""
        local = self.local(when)
        return is_working_day(local.date()) and self.start <= local.time() < self.end

    def next_opening(self, when: dt.datetime) -> dt.datetime:
        """The next start of business (8:30 on a working day) after ``when``."""
        local = self.local(when)
        day = local.date()
        if local.time() >= self.start or not is_working_day(day):
            day += dt.timedelta(days=1)
        while not is_working_day(day):
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, self.start, tzinfo=self.tz)

    def response_due(self, opened: dt.datetime, severity: int) -> dt.datetime:
        """When an engineer must respond, per the guide.

        Severity 1 gets 2 hours around the clock (7×24). Other severities get 2 hours
        of the 5×8 window: a case opened at 16:30 is due at 10:00 on the next working
        day, not at 18:30 when nobody answers (a blind tester); outside the window they
        count from the next working day's 8:30.
        """
        local = self.local(opened)
        if severity == 1:
            return local + self.response
        if not self.is_open(local):
            return self.next_opening(local) + self.response
        closing = dt.datetime.combine(local.date(), self.end, tzinfo=self.tz)
        if local + self.response <= closing:
            return local + self.response
        return self.next_opening(local) + (self.response - (closing - local))


Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The current time, timezone-aware."""
    return dt.datetime.now(dt.timezone.utc)
