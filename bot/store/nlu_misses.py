"""Messages the bot did not understand (``ppa_nlu_misses``): the only SQL about them.

Texts arrive masked (``bot.services.nlu_review`` masks them); the table groups them
by text so the desk's report and ``python -m bot nlu review`` read the same list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from bot.store import models as m
from bot.store.aging import count_older, delete_older
from bot.store.database import Database


@dataclass(frozen=True)
class MissGroup:
    """One masked text and how often it was misunderstood.

    ``id`` is the group's first row (what ``nlu review label`` takes); ``guess``,
    ``confidence`` and ``kind`` (what the bot did: ``MISS_KINDS``) are from the last
    time it was seen.
    """

    id: int
    text: str
    count: int
    guess: str | None
    confidence: float | None
    label: str | None
    last_seen: datetime
    kind: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (time as ISO 8601)."""
        return {**asdict(self), "last_seen": self.last_seen.isoformat()}


class NluMissRepository:
    """Record, list, label and export misunderstood messages."""

    def __init__(self, db: Database) -> None:
        """Work on ``db``."""
        self._db = db

    async def record(
        self,
        conversation_id: str,
        text: str,
        kind: str,
        guess: str | None,
        confidence: float | None,
        at: datetime,
    ) -> None:
        """Store one (already masked) message; it takes an existing group's label."""
        if kind not in m.MISS_KINDS:
            raise ValueError(f"kind must be one of {m.MISS_KINDS}, not {kind!r}")
        async with self._db.transaction() as session:
            label = (
                await session.execute(
                    select(m.NluMiss.label)
                    .where(m.NluMiss.text == text, m.NluMiss.label.is_not(None))
                    .limit(1)
                )
            ).scalar_one_or_none()
            await session.execute(
                insert(m.NluMiss).values(
                    conversation_id=conversation_id,
                    text=text,
                    kind=kind,
                    guess=guess,
                    confidence=confidence,
                    label=label,
                    created_at=at,
                )
            )

    async def groups(
        self, since: datetime | None = None, limit: int | None = None
    ) -> list[MissGroup]:
        """Messages grouped by text, most frequent first (then most recent)."""
        t = m.NluMiss
        stmt = select(
            t.text,
            func.count().label("n"),
            func.min(t.id).label("first_id"),
            func.max(t.id).label("last_id"),
            func.max(t.created_at).label("last_seen"),
            func.max(t.label).label("label"),
        ).group_by(t.text)
        if since is not None:
            stmt = stmt.where(t.created_at >= since)
        stmt = stmt.order_by(func.count().desc(), func.max(t.id).desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        async with self._db.transaction() as session:
            rows = (await session.execute(stmt)).all()
            last_ids = [r.last_id for r in rows]
            latest = {
                r.id: r
                for r in (
                    await session.execute(
                        select(t.id, t.guess, t.confidence, t.kind).where(t.id.in_(last_ids))
                    )
                ).all()
            }
        return [
            MissGroup(
                id=r.first_id,
                text=r.text,
                count=int(r.n),
                guess=latest[r.last_id].guess,
                confidence=latest[r.last_id].confidence,
                label=r.label,
                last_seen=r.last_seen,
                kind=latest[r.last_id].kind,
            )
            for r in rows
        ]

    async def label(self, miss_id: int, intent: str) -> int:
        """Label the group of row ``miss_id`` (every row with its text); rows labelled.

        0 when there is no such row.
        """
        t = m.NluMiss
        async with self._db.transaction() as session:
            text = (
                await session.execute(select(t.text).where(t.id == miss_id))
            ).scalar_one_or_none()
            if text is None:
                return 0
            result = await session.execute(update(t).where(t.text == text).values(label=intent))
            return int(result.rowcount or 0)

    async def labelled(self) -> dict[str, list[str]]:
        """``{intent: [text, …]}`` of every labelled text, each text once, sorted."""
        t = m.NluMiss
        stmt = (
            select(t.label, t.text)
            .where(t.label.is_not(None))
            .group_by(t.label, t.text)
            .order_by(t.label, t.text)
        )
        out: dict[str, list[str]] = {}
        async with self._db.transaction() as session:
            for label, text in (await session.execute(stmt)).all():
                out.setdefault(label, []).append(text)
        return out

    async def count_before(self, before: datetime) -> int:
        """How many recorded messages are older than ``before``."""
        return await count_older(self._db, m.NluMiss.created_at, before)

    async def purge(self, before: datetime) -> int:
        """Delete recorded messages older than ``before``, labelled or not; how many went."""
        return await delete_older(self._db, m.NluMiss.created_at, before)
