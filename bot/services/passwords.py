"""Staff passwords: argon2id (argon2-cffi), hashed off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.replies import render

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


class WeakPassword(ValueError):
    """A password the desk refuses to store."""


def check_strength(password: str) -> None:
    """Refuse passwords too short to survive a guessing attack."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(render("staff_weak_password", length=MIN_PASSWORD_LENGTH))


async def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (tens of ms of CPU: run in a worker thread)."""
    check_strength(password)
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; never raises for a wrong or malformed hash."""

    def verify() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
