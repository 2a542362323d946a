"""Brute-force limits on a real store (SQLite and PostgreSQL), as two action servers see them."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from actions.context import Services
from bot.config import Settings
from bot.replies import render
from bot.services.cases import Access
from bot.services.identity import conversation_key
from bot.store.demo import seed_demo
from tests.services.test_cases import FIELDS

T0 = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.timezone.utc)
WRONG_PHONE = "13911112222"


class Clock:
    """A settable clock shared by both "processes"."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def two_servers(db_url, db):
    """Two Services (two engines, as two action-server processes have) on one database."""
    await seed_demo(db, T0.date())
    clock = Clock()
    settings = Settings.from_env(
        {
            "PPA_DB_URL": db_url,
            "PPA_IDENTITY_MAX_FAILURES": "3",
            "PPA_IDENTITY_LOCKOUT_MINUTES": "10",
        }
    )
    first, second = Services(settings, clock), Services(settings, clock)
    yield first, second, clock
    await first.db.dispose()
    await second.db.dispose()


async def _case_id(svc: Services) -> str:
    case, _ = await svc.cases.open(FIELDS, 2, "wechat", "owner", "intake-1")
    return case.case_id


async def test_wrong_phone_locks_the_case_for_every_conversation_and_server(two_servers):
    first, second, clock = two_servers
    case_id = await _case_id(first)
    for n in range(3):
        svc = first if n % 2 == 0 else second
        found = await svc.cases.lookup(case_id, "rest", f"attacker-{n}", WRONG_PHONE)
        assert found.access is (Access.LOCKED if n == 2 else Access.NEED_PROOF)
    # Locked: even the right phone, from a fresh conversation on the other server.
    right = await second.cases.lookup(case_id, "rest", "someone-new", FIELDS["phone"])
    assert right.access is Access.LOCKED and right.case is None
    assert (await first.cases.lookup(case_id, "rest", "someone-new")).access is Access.LOCKED
    # The owner's own conversation needs no proof and is never locked out.
    assert (await first.cases.lookup(case_id, "wechat", "owner")).access is Access.GRANTED

    clock.now += dt.timedelta(minutes=10)
    right = await second.cases.lookup(case_id, "rest", "someone-new", FIELDS["phone"])
    assert right.access is Access.GRANTED and right.case is not None


async def test_one_conversation_is_locked_across_case_ids_unknown_ones_included(two_servers):
    first, second, clock = two_servers
    case_id = await _case_id(first)
    for n in range(3):
        found = await first.cases.lookup(f"PMR-261126-{n:04d}", "rest", "prober", WRONG_PHONE)
        assert found.access is (Access.LOCKED if n == 2 else Access.NOT_FOUND)
    # Same neutral answer for an existing case and for a case that does not exist.
    assert (await second.cases.lookup(case_id, "rest", "prober")).access is Access.LOCKED
    assert (await second.cases.lookup("PMR-261126-9999", "rest", "prober")).access is Access.LOCKED
    # Other conversations are not affected.
    other = await second.cases.lookup(case_id, "rest", "someone-else", FIELDS["phone"])
    assert other.access is Access.GRANTED

    clock.now += dt.timedelta(minutes=9, seconds=59)
    assert (await first.cases.lookup(case_id, "rest", "prober")).access is Access.LOCKED
    clock.now += dt.timedelta(seconds=1)
    assert (await first.cases.lookup(case_id, "rest", "prober")).access is Access.NEED_PROOF


async def test_failures_spread_over_more_than_the_period_do_not_lock(two_servers):
    first, _, clock = two_servers
    case_id = await _case_id(first)
    for _ in range(5):
        found = await first.cases.lookup(case_id, "rest", "slow", WRONG_PHONE)
        assert found.access is Access.NEED_PROOF
        clock.now += dt.timedelta(minutes=6)


async def test_a_correct_proof_clears_the_count(two_servers):
    first, second, _ = two_servers
    case_id = await _case_id(first)
    conv = ("rest", "forgetful")
    for _ in range(2):
        await first.cases.lookup(case_id, *conv, WRONG_PHONE)
    assert (await second.cases.lookup(case_id, *conv, FIELDS["phone"])).access is Access.GRANTED
    for _ in range(2):
        assert (await first.cases.lookup(case_id, *conv, WRONG_PHONE)).access is Access.NEED_PROOF


async def test_contract_checks_lock_per_contract_and_log_masked(two_servers, caplog):
    first, second, clock = two_servers
    caplog.set_level(logging.WARNING, logger="bot.services.identity")
    for n in range(3):
        svc = first if n % 2 == 0 else second
        verdict = await svc.contracts.verify_caller(
            conversation_key("rest", f"c-{n}"), "8800001", "ppa-demo-0001", WRONG_PHONE
        )
        assert verdict.value is None and verdict.locked is (n == 2)
    right = await second.contracts.verify_caller(
        conversation_key("rest", "new"), "8800001", "PPA-DEMO-0001", "13800000001"
    )
    assert right.locked and right.value is None
    # A contract that does not exist locks and answers the same way.
    for n in range(3):
        verdict = await first.contracts.verify_caller(
            conversation_key("rest", f"x-{n}"), "8800001", "PPA-NOPE-0001", "13800000001"
        )
    assert verdict.locked and verdict.value is None

    assert "PPA***" in caplog.text and "PPA-DEMO-0001" not in caplog.text
    assert "PPA-NOPE-0001" not in caplog.text and "c-2" not in caplog.text

    clock.now += dt.timedelta(minutes=10)
    right = await first.contracts.verify_caller(
        conversation_key("rest", "new"), "8800001", "PPA-DEMO-0001", "13800000001"
    )
    assert not right.locked and right.value is not None


def test_lock_reply_is_polite_neutral_and_configured():
    text = Services(
        Settings(db_url="sqlite://", identity_lockout_minutes=20)
    ).identity.locked_text()
    assert text == render("identity_locked", minutes=20)
    assert "20 分钟" in text and "案例" not in text and "合同" not in text


@pytest.mark.parametrize("value", ["0", "-3", "five"])
def test_bad_limits_are_refused(value):
    with pytest.raises(ValueError, match="PPA_IDENTITY_MAX_FAILURES"):
        Settings.from_env({"PPA_DB_URL": "sqlite://", "PPA_IDENTITY_MAX_FAILURES": value})
