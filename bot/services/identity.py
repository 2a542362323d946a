"""Brute-force limits on identity proofs (case status by phone, contract checks).

Failures count against the conversation *and* the case id / contract number, in the
shared store, so neither a new conversation nor a second action server resets them.
``max_failures`` failures within ``lockout`` lock a subject until ``lockout`` after the
last of them; while locked nothing is checked (or counted) and the caller gets one
neutral reply, the same whether or not the case or contract exists.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.config import Settings
from bot.replies import render
from bot.services.hours import Clock, utc_now
from bot.store.attempts import IdentityAttemptRepository, Subject

log = logging.getLogger(__name__)

T = TypeVar("T")


def conversation_key(channel: str, sender_id: str) -> str:
    """One conversation, whatever the channel's sender ids look like."""
    return f"{channel}\x1f{sender_id}"


def mask_id(value: str) -> str:
    """``value`` for logs: its first three characters, the rest hidden."""
    text = value.strip()
    return f"{text[:3]}***" if len(text) > 3 else "***"


@dataclass(frozen=True)
class Verdict(Generic[T]):
    """What a guarded check found: the value when proven, or whether it is locked."""

    value: T | None = None
    locked: bool = False


class IdentityGuard:
    """Counts failed proofs and refuses checks of a locked conversation or subject."""

    def __init__(
        self,
        attempts: IdentityAttemptRepository,
        max_failures: int,
        lockout: dt.timedelta,
        clock: Clock = utc_now,
    ) -> None:
        """Lock after ``max_failures`` failures within ``lockout``, for ``lockout``."""
        if max_failures < 1 or lockout <= dt.timedelta(0):
            raise ValueError("max_failures and lockout must be positive")
        self._attempts = attempts
        self._max = max_failures
        self._lockout = lockout
        self._clock = clock

    @classmethod
    def from_settings(
        cls, attempts: IdentityAttemptRepository, settings: Settings, clock: Clock = utc_now
    ) -> IdentityGuard:
        """Limits from ``PPA_IDENTITY_MAX_FAILURES`` / ``PPA_IDENTITY_LOCKOUT_MINUTES``."""
        lockout = dt.timedelta(minutes=settings.identity_lockout_minutes)
        return cls(attempts, settings.identity_max_failures, lockout, clock)

    def locked_text(self) -> str:
        """The polite, neutral lock-out reply."""
        return render("identity_locked", minutes=int(self._lockout.total_seconds() // 60))

    async def check(
        self,
        conversation: str,
        scope: str,
        value: str,
        prove: Callable[[], Awaitable[T | None]],
    ) -> Verdict[T]:
        """Run ``prove`` unless locked; count a ``None`` result as a failure."""
        subjects = self._subjects(conversation, scope, value)
        if await self._locked(subjects):
            return Verdict(locked=True)
        proven = await prove()
        if proven is not None:
            await self._attempts.clear(subjects)
            return Verdict(proven)
        return Verdict(locked=await self.record_failure(conversation, scope, value))

    async def is_locked(self, conversation: str, scope: str, value: str) -> bool:
        """True while the conversation or the subject is locked."""
        return await self._locked(self._subjects(conversation, scope, value))

    async def record_failure(self, conversation: str, scope: str, value: str) -> bool:
        """Count a failed proof; True when it locks the conversation or the subject."""
        subjects = self._subjects(conversation, scope, value)
        await self._attempts.record_failure(subjects, self._clock())
        locked = [s for s in subjects if await self._locked_until(s) is not None]
        for locked_scope, locked_value in locked:
            # The values are customer data: the log names the scope and a masked value only.
            log.warning(
                "identity proofs locked for %s %s after %d failures (%d min)",
                locked_scope,
                mask_id(locked_value),
                self._max,
                self._lockout.total_seconds() // 60,
            )
        return bool(locked)

    def _subjects(self, conversation: str, scope: str, value: str) -> list[Subject]:
        return [("conversation", conversation), (scope, value.strip().upper())]

    async def _locked(self, subjects: list[Subject]) -> bool:
        for subject in subjects:
            if await self._locked_until(subject) is not None:
                return True
        return False

    async def _locked_until(self, subject: Subject) -> dt.datetime | None:
        now = self._clock()
        # Locked: ``max_failures`` within one ``lockout``, the last of them less than
        # ``lockout`` ago; so nothing older than two lock-out periods can matter.
        since = now - 2 * self._lockout
        recent = await self._attempts.recent_failures(subject, since, self._max)
        if len(recent) < self._max or recent[0] - recent[-1] > self._lockout:
            return None
        until = recent[0] + self._lockout
        return until if now < until else None
