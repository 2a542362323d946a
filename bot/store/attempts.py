"""Failed identity proofs per conversation, case and contract: the only SQL about them.

Values are stored as SHA-256 digests, so the table says how often something was
tried, never what (ids and sender ids stay out of it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select

from bot.store import models as m
from bot.store.aging import count_older, delete_older
from bot.store.database import Database

Subject = tuple[str, str]  # (scope, value); scope is one of models.IDENTITY_SCOPES


def digest(value: str) -> str:
    """What the table stores instead of ``value``."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _check(subjects: Sequence[Subject]) -> None:
    for scope, _ in subjects:
        if scope not in m.IDENTITY_SCOPES:
            raise ValueError(f"scope must be one of {m.IDENTITY_SCOPES}, not {scope!r}")


class IdentityAttemptRepository:
    """Failed identity proofs, shared by every action server on the database."""

    def __init__(self, db: Database) -> None:
        """Work on ``db``."""
        self._db = db

    async def record_failure(self, subjects: Sequence[Subject], at: datetime) -> None:
        """Count one failure against each of ``subjects``, in one transaction."""
        _check(subjects)
        rows = [{"scope": s, "subject": digest(v), "failed_at": at} for s, v in subjects]
        if not rows:
            return
        async with self._db.transaction() as session:
            await session.execute(insert(m.IdentityAttempt), rows)

    async def recent_failures(
        self, subject: Subject, since: datetime, limit: int
    ) -> list[datetime]:
        """The latest ``limit`` failures of ``subject`` after ``since``, newest first."""
        _check([subject])
        scope, value = subject
        stmt = (
            select(m.IdentityAttempt.failed_at)
            .where(
                m.IdentityAttempt.scope == scope,
                m.IdentityAttempt.subject == digest(value),
                m.IdentityAttempt.failed_at > since,
            )
            .order_by(m.IdentityAttempt.failed_at.desc(), m.IdentityAttempt.id.desc())
            .limit(limit)
        )
        async with self._db.transaction() as session:
            return list((await session.execute(stmt)).scalars())

    async def clear(self, subjects: Sequence[Subject]) -> None:
        """Forget the failures of ``subjects`` (after a successful proof)."""
        _check(subjects)
        async with self._db.transaction() as session:
            for scope, value in subjects:
                await session.execute(
                    delete(m.IdentityAttempt).where(
                        m.IdentityAttempt.scope == scope,
                        m.IdentityAttempt.subject == digest(value),
                    )
                )

    async def count_before(self, before: datetime) -> int:
        """How many failures are older than ``before``."""
        return await count_older(self._db, m.IdentityAttempt.failed_at, before)

    async def purge(self, before: datetime) -> int:
        """Delete failures older than ``before``; how many went."""
        return await delete_older(self._db, m.IdentityAttempt.failed_at, before)
