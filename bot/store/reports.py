"""Figures for the desk's reports and ``python -m bot report``: read-only SQL.

Conversations and fallbacks come from Rasa's tracker table ``events`` (same
database); it is absent until Rasa has stored a conversation, which reads as zero.
The most frequent misunderstood messages are ``python -m bot nlu review``'s list
(``NluMissRepository.groups``: masked, with the model's guess), not raw event text.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    literal_column,
    select,
)

from bot.store import models as m
from bot.store.database import Database
from bot.store.nlu_misses import NluMissRepository

FALLBACK_INTENT = "nlu_fallback"
TOP_MISSES = 20
# Per-day product series: the most frequent products, the rest summed as one.
TOP_PRODUCTS_PER_DAY = 5
OTHER_PRODUCTS = "其他"

# Rasa's own table, described here only to read it (Rasa creates and owns it).
_rasa = MetaData()
EVENTS = Table(
    "events",
    _rasa,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


@dataclass
class Report:
    """What the desk measured over a period."""

    since: str
    conversations: int = 0
    user_messages: int = 0
    handoffs: int = 0
    handoff_conversations: int = 0
    callbacks: int = 0
    containment_rate: float | None = None
    average_wait_seconds: float | None = None
    cases_opened: int = 0
    cases_by_severity: dict[str, int] = field(default_factory=dict)
    cases_by_product: dict[str, int] = field(default_factory=dict)
    cases_per_day: dict[str, int] = field(default_factory=dict)
    # Every UTC day of the period (zeros included), split by severity / top products.
    cases_per_day_by_severity: dict[str, dict[str, int]] = field(default_factory=dict)
    cases_per_day_by_product: dict[str, dict[str, int]] = field(default_factory=dict)
    # Conversations (senders with at least one message) on each UTC day.
    conversations_per_day: dict[str, int] = field(default_factory=dict)
    csat_responses: int = 0
    csat_average: float | None = None
    csat_distribution: dict[str, int] = field(default_factory=dict)
    fallback_messages: int = 0
    fallback_rate: float | None = None
    top_misunderstood: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def utc_days(since: datetime, until: datetime) -> list[str]:
    """Every UTC date from ``since`` to ``until`` inclusive, as ``YYYY-MM-DD``."""
    first = since.astimezone(timezone.utc).date()
    last = until.astimezone(timezone.utc).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _per_day(
    days: list[str], counts: dict[tuple[str, str], int], keys: list[str]
) -> dict[str, dict[str, int]]:
    """``{day: {key: n}}`` for every day and key, zeros included (charts need the gaps)."""
    return {d: {k: counts.get((d, k), 0) for k in keys} for d in days}


class ReportRepository:
    """Counts over cases, handoffs, surveys and Rasa's events since a moment."""

    def __init__(self, db: Database) -> None:
        """Read from ``db``."""
        self._db = db

    async def report(self, since: datetime, until: datetime | None = None) -> Report:
        """The figures from ``since`` until now (``until`` only bounds the day axis)."""
        out = Report(since=since.isoformat())
        days = utc_days(since, until or datetime.now(timezone.utc))
        async with self._db.read() as session:
            await self._case_figures(session, since, days, out)
            handoffs = (
                await session.execute(
                    select(
                        m.Handoff.conversation_id,
                        m.Handoff.status,
                        m.Handoff.requested_at,
                        m.Handoff.taken_at,
                        m.Handoff.callback_phone,
                    ).where(m.Handoff.requested_at >= since)
                )
            ).all()
            scores = (
                (
                    await session.execute(
                        select(m.CsatResponse.score).where(
                            m.CsatResponse.state == "answered", m.CsatResponse.asked_at >= since
                        )
                    )
                )
                .scalars()
                .all()
            )
            has_events = await session.run_sync(
                lambda s: inspect(s.connection()).has_table("events")
            )
            out.conversations_per_day = dict.fromkeys(days, 0)
            if has_events:
                await self._rasa_figures(session, since, out)
        # A callback request stays one once it is called back and closed (the report had
        # counted only the open ones, a thirteenth blind tester).
        out.handoffs = sum(1 for h in handoffs if h.callback_phone is None)
        out.callbacks = sum(1 for h in handoffs if h.callback_phone is not None)
        out.handoff_conversations = len({h.conversation_id for h in handoffs})
        waits = [(h.taken_at - h.requested_at).total_seconds() for h in handoffs if h.taken_at]
        out.average_wait_seconds = round(sum(waits) / len(waits), 1) if waits else None
        out.csat_responses = len(scores)
        out.csat_average = round(sum(scores) / len(scores), 2) if scores else None
        out.csat_distribution = {str(k): scores.count(k) for k in range(1, 6)}
        if out.conversations:
            contained = max(out.conversations - out.handoff_conversations, 0)
            out.containment_rate = _ratio(contained, out.conversations)
        out.fallback_rate = _ratio(out.fallback_messages, out.user_messages)
        groups = await NluMissRepository(self._db).groups(since=since, limit=TOP_MISSES)
        out.top_misunderstood = [g.to_dict() for g in groups]
        return out

    def _utc_day(self, column: Any) -> Any:
        """SQL for the UTC date (``YYYY-MM-DD``) of a :class:`~bot.store.models.UTCDateTime`."""
        if self._db.backend == "postgresql":
            # Literals, not bound parameters: GROUP BY must repeat the very same expression.
            utc, fmt = literal_column("'UTC'"), literal_column("'YYYY-MM-DD'")
            return func.to_char(func.timezone(utc, column), fmt)
        return func.date(column)  # SQLite keeps naive UTC text

    def _utc_day_of_epoch(self, column: Any) -> Any:
        """SQL for the UTC date of a Unix timestamp (Rasa's ``events.timestamp``)."""
        if self._db.backend == "postgresql":
            return self._utc_day(func.to_timestamp(column))
        return func.date(column, literal_column("'unixepoch'"))

    async def _case_figures(
        self, session: Any, since: datetime, days: list[str], out: Report
    ) -> None:
        """Cases by severity, product and day: one grouped scan, not 10 000s of rows."""
        day = self._utc_day(m.Case.created_at)
        stmt = (
            select(m.Case.severity, m.Case.product, day, func.count(m.Case.id))
            .where(m.Case.created_at >= since)
            .group_by(m.Case.severity, m.Case.product, day)
        )
        severity: Counter[str] = Counter()
        product: Counter[str] = Counter()
        per_day: Counter[str] = Counter()
        rows = [
            (str(sev), name, str(date), n) for sev, name, date, n in await session.execute(stmt)
        ]
        for sev, name, date, n in rows:
            severity[sev] += n
            product[name] += n
            per_day[date] += n
        out.cases_opened = sum(severity.values())
        out.cases_by_severity = dict(sorted(severity.items()))
        out.cases_by_product = dict(sorted(product.items(), key=lambda kv: (-kv[1], kv[0])))
        # A case stamped after "now" (clock skew between replicas) still gets its day.
        days = sorted(set(days) | set(per_day))
        out.cases_per_day = {d: per_day[d] for d in days}
        top = list(out.cases_by_product)[:TOP_PRODUCTS_PER_DAY]
        by_sev: defaultdict[tuple[str, str], int] = defaultdict(int)
        by_product: defaultdict[tuple[str, str], int] = defaultdict(int)
        for sev, name, date, n in rows:
            by_sev[(date, sev)] += n
            by_product[(date, name if name in top else OTHER_PRODUCTS)] += n
        others = [OTHER_PRODUCTS] if len(product) > len(top) else []
        out.cases_per_day_by_severity = _per_day(days, by_sev, list(out.cases_by_severity))
        out.cases_per_day_by_product = _per_day(days, by_product, top + others)

    async def _rasa_figures(self, session: Any, since: datetime, out: Report) -> None:
        user = (EVENTS.c.type_name == "user") & (EVENTS.c.timestamp >= since.timestamp())
        row = (
            await session.execute(
                select(func.count(), func.count(func.distinct(EVENTS.c.sender_id))).where(user)
            )
        ).one()
        out.user_messages, out.conversations = int(row[0]), int(row[1])
        day = self._utc_day_of_epoch(EVENTS.c.timestamp)
        daily = select(day, func.count(func.distinct(EVENTS.c.sender_id))).where(user)
        for date, n in await session.execute(daily.group_by(day)):
            out.conversations_per_day[str(date)] = int(n)
        out.conversations_per_day = dict(sorted(out.conversations_per_day.items()))
        misses = select(func.count()).where(user, EVENTS.c.intent_name == FALLBACK_INTENT)
        out.fallback_messages = int((await session.execute(misses)).scalar_one())
