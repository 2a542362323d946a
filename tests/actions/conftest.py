"""Action tests: rasa-sdk Tracker + CollectingDispatcher against a real, seeded store."""

from __future__ import annotations

import datetime as dt

import pytest

import actions.context as context
from bot.store.demo import seed_demo


@pytest.fixture
async def services(db_url, db, monkeypatch):
    """Process services pointed at the fresh test database (both backends)."""
    await seed_demo(db, dt.date.today())
    monkeypatch.setenv("PPA_DB_URL", db_url)
    context.services.cache_clear()
    svc = context.services()
    yield svc
    await svc.db.dispose()
    context.services.cache_clear()
