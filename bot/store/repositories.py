"""Deprecated import path: the repositories now live one per aggregate.

``bot.store.contracts``, ``bot.store.cases`` and ``bot.store.outbox``; this module only
re-exports their public names for code not yet moved.
"""

from bot.store.cases import CaseEvent, CaseRecord, CaseRepository, NewCase
from bot.store.contracts import ContractRecord, ContractRepository, UpsertResult
from bot.store.outbox import OutboxItem, OutboxRepository
from bot.store.records import Clock, utc_now

__all__ = [
    "CaseEvent",
    "CaseRecord",
    "CaseRepository",
    "Clock",
    "ContractRecord",
    "ContractRepository",
    "NewCase",
    "OutboxItem",
    "OutboxRepository",
    "UpsertResult",
    "utc_now",
]
