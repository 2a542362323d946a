"""Conversations as staff read them: Rasa's tracker lines, with what agents wrote.

The customer's and the bot's lines are Rasa's ``user`` / ``bot`` events (the tracker
is the record of the conversation); an agent's lines live in the handoff messages,
so a conversation someone took over reads whole only when the two are merged by time.
"""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.database import Database
from bot.store.handoffs import HandoffRepository
from bot.store.reports import EVENTS

TRANSCRIPT_LIMIT = 500
EXPORT_PAGE = 5000  # events read per query while exporting: bounded memory


@dataclass(frozen=True)
class Line:
    """One message of a conversation."""

    author: str  # customer | bot | agent
    text: str
    at: datetime
    agent: str | None = None  # the agent's name, for an agent's line
    conversation_id: str = ""
    channel: str = ""  # the customer's channel, when the tracker says it


def _line(sender_id: str, kind: str, stamp: float | None, data: str | None) -> Line | None:
    """A tracker event as a line (None for an event with no text, e.g. a button payload)."""
    event = json.loads(data or "{}")
    text = str(event.get("text") or "")
    if not text:
        return None
    return Line(
        "customer" if kind == "user" else "bot",
        text,
        datetime.fromtimestamp(stamp or 0, timezone.utc),
        conversation_id=sender_id,
        channel=str(event.get("input_channel") or ""),
    )


def _merge(tracker_lines: Iterable[Line], agent_lines: Iterable[Line]) -> list[Line]:
    """Both sorted by time already; an agent's line after a tracker line of the same moment."""
    return list(heapq.merge(tracker_lines, agent_lines, key=lambda line: line.at))


async def _has_events(session: AsyncSession) -> bool:
    """Rasa creates its table with the first conversation it stores."""
    return bool(await session.run_sync(lambda s: inspect(s.connection()).has_table("events")))


async def _agent_lines(
    db: Database, conversation_id: str | None = None, since: datetime | None = None
) -> dict[str, list[Line]]:
    found = await HandoffRepository(db).agent_messages(conversation_id, since)
    lines: defaultdict[str, list[Line]] = defaultdict(list)
    for msg in found:
        lines[msg.conversation_id].append(
            Line("agent", msg.text, msg.created_at, msg.agent, msg.conversation_id)
        )
    return lines


async def transcript(
    db: Database, sender_id: str, limit: int = TRANSCRIPT_LIMIT, with_agents: bool = False
) -> list[Line]:
    """The last ``limit`` customer and bot messages of ``sender_id``, oldest first.

    ``with_agents`` merges in what agents wrote to the conversation (the handoff page
    shows those apart, live; a case page and an export want the whole conversation).
    """
    stmt = (
        select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
        .where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name.in_(("user", "bot")))
        .order_by(EVENTS.c.id.desc())
        .limit(limit)
    )
    async with db.read() as session:
        rows = (await session.execute(stmt)).all() if await _has_events(session) else []
    lines = [line for row in reversed(rows) if (line := _line(sender_id, *row))]
    if not with_agents:
        return lines
    agents = (await _agent_lines(db, conversation_id=sender_id)).get(sender_id, [])
    if lines:  # only the agent lines of the window shown
        agents = [a for a in agents if a.at >= lines[0].at]
    return _merge(lines, agents)


async def export(db: Database, since: datetime) -> AsyncIterator[Line]:
    """Every line of every conversation since ``since``: by conversation, then by time.

    Reads the tracker a page at a time (keyset on sender, event id), so an export of
    a year holds one page and one conversation in memory, not the whole table.
    """
    agents = await _agent_lines(db, since=since)
    done: set[str] = set()
    async with db.read() as session:
        has_events = await _has_events(session)
    if has_events:
        current: list[Line] = []
        after: tuple[str, int] = ("", 0)
        lines_of = (
            EVENTS.c.type_name.in_(("user", "bot")),
            EVENTS.c.timestamp >= since.timestamp(),
        )
        while True:
            sender, last_id = after
            stmt = (
                select(
                    EVENTS.c.sender_id,
                    EVENTS.c.id,
                    EVENTS.c.type_name,
                    EVENTS.c.timestamp,
                    EVENTS.c.data,
                )
                .where(
                    *lines_of,
                    or_(
                        EVENTS.c.sender_id > sender,
                        and_(EVENTS.c.sender_id == sender, EVENTS.c.id > last_id),
                    ),
                )
                .order_by(EVENTS.c.sender_id, EVENTS.c.id)
                .limit(EXPORT_PAGE)
            )
            async with db.read() as session:
                rows = (await session.execute(stmt)).all()
            for sender_id, event_id, kind, stamp, data in rows:
                if current and current[0].conversation_id != sender_id:
                    for line in _flush(current, agents, done):
                        yield line
                    current = []
                said = _line(sender_id, kind, stamp, data)
                if said is not None:
                    # The tracker names the channel on the customer's lines only.
                    channel = said.channel or (current[-1].channel if current else "")
                    current.append(replace(said, channel=channel))
                after = (sender_id, event_id)
            if len(rows) < EXPORT_PAGE:
                break
        for line in _flush(current, agents, done):
            yield line
    for conversation_id in sorted(set(agents) - done):  # agent lines with no tracker left
        for line in agents[conversation_id]:
            yield line


def _flush(current: list[Line], agents: dict[str, list[Line]], done: set[str]) -> list[Line]:
    """A conversation's tracker lines merged with its agents' lines (marked as done)."""
    if not current:
        return []
    conversation_id = current[0].conversation_id
    done.add(conversation_id)
    channel = current[-1].channel
    return _merge(current, [replace(a, channel=channel) for a in agents.get(conversation_id, [])])
