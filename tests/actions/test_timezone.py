"""PPA_TIMEZONE governs support hours, response-due times and case-id dates."""

from __future__ import annotations

import datetime as dt

from actions.context import Services
from bot.config import Settings
from tests.services.test_cases import FIELDS

# Wed 25 Nov 2026 17:00 UTC: 12:00 in New York (open), 01:00 on Thu 26 Nov in Shanghai.
NOON_NY = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.timezone.utc)


async def _open_at(db_url: str, timezone: str | None) -> tuple[Services, object]:
    settings = Settings(db_url=db_url) if timezone is None else Settings(db_url, timezone)
    svc = Services(settings, clock=lambda: NOON_NY)
    case, created = await svc.cases.open(FIELDS, 2, "rest", "tz-user", f"intake-{timezone}")
    assert created
    return svc, case


async def test_default_timezone_is_shanghai(db_url, db):
    svc, case = await _open_at(db_url, None)
    try:
        assert not svc.hotline.hours.is_open(NOON_NY)
        assert case.case_id.startswith("PMR-261126-")
        # Closed at 01:00: severity 2 counts from 08:30 that day, so due 10:30 Shanghai.
        assert case.response_due_at == dt.datetime(2026, 11, 26, 2, 30, tzinfo=dt.timezone.utc)
        assert svc.today() == dt.date(2026, 11, 26)
    finally:
        await svc.db.dispose()


async def test_configured_timezone_changes_hours_due_and_case_id(db_url, db):
    settings = Settings.from_env({"PPA_DB_URL": db_url, "PPA_TIMEZONE": "America/New_York"})
    assert settings.timezone == "America/New_York"
    svc, case = await _open_at(db_url, settings.timezone)
    try:
        assert svc.hotline.hours.is_open(NOON_NY)
        assert case.case_id.startswith("PMR-261125-")
        assert case.response_due_at == NOON_NY + dt.timedelta(hours=2)
        assert svc.cases.format_due(case.response_due_at) == "2026-11-25 14:00"
        assert svc.today() == dt.date(2026, 11, 25)
    finally:
        await svc.db.dispose()
