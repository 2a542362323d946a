"""Rows of our own tables older than a cutoff: what ``privacy purge`` counts and deletes.

One place for the two statements every aged-out table needs, so each repository
names only its table's time column.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select

from bot.store.database import Database


async def count_older(db: Database, column: Any, before: datetime) -> int:
    """How many rows of ``column``'s table have ``column`` earlier than ``before``."""
    stmt = select(func.count()).where(column < before)
    async with db.transaction() as session:
        return int((await session.execute(stmt)).scalar_one())


async def delete_older(db: Database, column: Any, before: datetime) -> int:
    """Delete the rows of ``column``'s table earlier than ``before``; how many went."""
    stmt = delete(column.class_).where(column < before)
    async with db.transaction() as session:
        result = await session.execute(stmt)
        return int(result.rowcount or 0)
