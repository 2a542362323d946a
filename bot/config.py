"""Runtime settings, read once from the environment.

Every value that differs between a laptop, CI and production lives here, so the rest
of the code takes a ``Settings`` (or a value from it) instead of reading ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "var" / "ppa.db"
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_IDENTITY_MAX_FAILURES = 5
DEFAULT_IDENTITY_LOCKOUT_MINUTES = 15
DEFAULT_RETENTION_DAYS = 180
# A customer may reopen a case they or staff closed this many days ago (the guide is silent).
DEFAULT_CASE_REOPEN_DAYS = 30


@dataclass(frozen=True)
class Settings:
    """The process's configuration; build it with :meth:`from_env`."""

    db_url: str
    timezone: str = DEFAULT_TIMEZONE
    renewal_phone: str = ""
    case_notify_urls: tuple[str, ...] = ()
    case_notify_secret: str = ""
    identity_max_failures: int = DEFAULT_IDENTITY_MAX_FAILURES
    identity_lockout_minutes: int = DEFAULT_IDENTITY_LOCKOUT_MINUTES
    retention_days: int = DEFAULT_RETENTION_DAYS
    case_reopen_days: int = DEFAULT_CASE_REOPEN_DAYS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``env`` (default ``os.environ``); unset or blank values get defaults."""
        env = os.environ if env is None else env
        return cls(
            db_url=_get(env, "PPA_DB_URL") or _default_db_url(),
            timezone=_get(env, "PPA_TIMEZONE") or DEFAULT_TIMEZONE,
            renewal_phone=_get(env, "PPA_RENEWAL_PHONE"),
            case_notify_urls=_split(_get(env, "CASE_NOTIFY_URLS")),
            case_notify_secret=_get(env, "CASE_NOTIFY_SECRET"),
            identity_max_failures=_positive_int(
                env, "PPA_IDENTITY_MAX_FAILURES", DEFAULT_IDENTITY_MAX_FAILURES
            ),
            identity_lockout_minutes=_positive_int(
                env, "PPA_IDENTITY_LOCKOUT_MINUTES", DEFAULT_IDENTITY_LOCKOUT_MINUTES
            ),
            retention_days=_positive_int(env, "PPA_RETENTION_DAYS", DEFAULT_RETENTION_DAYS),
            case_reopen_days=_positive_int(env, "PPA_CASE_REOPEN_DAYS", DEFAULT_CASE_REOPEN_DAYS),
        )


def _get(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    text = _get(env, name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {text!r}")
    return value


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _default_db_url() -> str:
    # Only the default location is created here: a configured path that does not
    # exist is an operator error the store must report, not paper over.
    DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DB_PATH}"
