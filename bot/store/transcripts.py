"""A conversation as staff read it: the customer's and the bot's lines from Rasa's tracker."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import inspect, select

from bot.store.database import Database
from bot.store.reports import EVENTS

TRANSCRIPT_LIMIT = 500


@dataclass(frozen=True)
class Line:
    """One message of a conversation."""

    author: str  # customer | bot
    text: str
    at: datetime


async def transcript(db: Database, sender_id: str, limit: int = TRANSCRIPT_LIMIT) -> list[Line]:
    """The last ``limit`` customer and bot messages of ``sender_id``, oldest first."""
    stmt = (
        select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
        .where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name.in_(("user", "bot")))
        .order_by(EVENTS.c.id.desc())
        .limit(limit)
    )
    async with db.transaction() as session:
        exists = await session.run_sync(lambda s: inspect(s.connection()).has_table("events"))
        rows = (await session.execute(stmt)).all() if exists else []
    lines = []
    for kind, stamp, data in reversed(rows):
        text = str(json.loads(data or "{}").get("text") or "")
        if text:
            at = datetime.fromtimestamp(stamp or 0, timezone.utc)
            lines.append(Line("customer" if kind == "user" else "bot", text, at))
    return lines
