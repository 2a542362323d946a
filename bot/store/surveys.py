"""CSAT surveys sent when a handoff closes, and their answers: the only SQL for ``ppa_csat``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from bot.store import models as m
from bot.store.database import Database
from bot.store.handoffs import HandoffRecord
from bot.store.records import Clock, from_row, utc_now


@dataclass(frozen=True)
class SurveyRecord:
    """A CSAT survey and its answer, if any."""

    id: int
    handoff_id: int
    conversation_id: str
    state: str
    score: int | None
    comment: str | None
    asked_at: datetime
    expires_at: datetime


def _survey(row: m.CsatResponse) -> SurveyRecord:
    return from_row(SurveyRecord, row)


class SurveyRepository:
    """One survey per closed handoff: asked, then answered or expired."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        """Work on ``db``; ``clock`` gives "now" (tests pass a fixed one)."""
        self._db = db
        self._clock = clock or utc_now

    async def ask(self, handoff: HandoffRecord, expires_at: datetime) -> SurveyRecord:
        """Record that the survey was sent for ``handoff``."""
        async with self._db.transaction() as session:
            await session.execute(
                insert(m.CsatResponse).values(
                    handoff_id=handoff.id,
                    conversation_id=handoff.conversation_id,
                    state="asked",
                    asked_at=self._clock(),
                    expires_at=expires_at,
                )
            )
            row = (
                await session.execute(
                    select(m.CsatResponse).where(m.CsatResponse.handoff_id == handoff.id)
                )
            ).scalar_one()
            return _survey(row)

    async def of_handoff(self, handoff_id: int) -> SurveyRecord | None:
        """The survey sent when ``handoff`` closed, with its answer (None: none was sent)."""
        stmt = select(m.CsatResponse).where(m.CsatResponse.handoff_id == handoff_id)
        async with self._db.read() as session:
            row = (await session.execute(stmt)).scalar_one_or_none()
            return _survey(row) if row is not None else None

    async def open(self, conversation_id: str, now: datetime) -> SurveyRecord | None:
        """The conversation's unanswered, unexpired survey."""
        stmt = (
            select(m.CsatResponse)
            .where(
                m.CsatResponse.conversation_id == conversation_id,
                m.CsatResponse.state == "asked",
                m.CsatResponse.expires_at > now,
            )
            .order_by(m.CsatResponse.id.desc())
            .limit(1)
        )
        async with self._db.transaction() as session:
            row = (await session.execute(stmt)).scalar_one_or_none()
            return _survey(row) if row is not None else None

    async def finish(
        self, survey_id: int, score: int | None = None, comment: str | None = None
    ) -> bool:
        """Store the answer (``score`` given) or expire the survey; False if no longer open."""
        values: dict[str, Any] = {"state": "expired"}
        if score is not None:
            values = {"state": "answered", "score": score, "comment": comment}
            values["answered_at"] = self._clock()
        async with self._db.transaction() as session:
            result = await session.execute(
                update(m.CsatResponse)
                .where(m.CsatResponse.id == survey_id, m.CsatResponse.state == "asked")
                .values(**values)
            )
            return bool(result.rowcount)
