"""Desk settings from the environment (the desk, the CLI and the Rasa plug-in share them)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.config import PROJECT_ROOT

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5080
DEFAULT_RASA_URL = "http://127.0.0.1:5005"
DEFAULT_SURVEY_MINUTES = 30
DEFAULT_POLL_SECONDS = 0.5
SECRET_FILE = PROJECT_ROOT / "var" / "desk-secret"


@dataclass(frozen=True)
class DeskSettings:
    """Where the desk listens and how it reaches Rasa and the channels."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    secret: str = ""
    rasa_url: str = DEFAULT_RASA_URL
    rasa_token: str = ""
    webhook_callback_url: str = ""
    webhook_secret: str = ""
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_api_base: str = ""
    weibo_access_token: str = ""
    weibo_api_base: str = ""
    survey_ttl: timedelta = timedelta(minutes=DEFAULT_SURVEY_MINUTES)
    poll_seconds: float = DEFAULT_POLL_SECONDS
    secure_cookies: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DeskSettings:
        """Settings from ``env`` (default ``os.environ``)."""
        env = os.environ if env is None else env

        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        return cls(
            host=get("PPA_DESK_HOST") or DEFAULT_HOST,
            port=int(get("PPA_DESK_PORT") or DEFAULT_PORT),
            secret=get("PPA_DESK_SECRET"),
            rasa_url=(get("RASA_URL") or DEFAULT_RASA_URL).rstrip("/"),
            rasa_token=get("RASA_API_TOKEN"),
            webhook_callback_url=get("WEBHOOK_CALLBACK_URL"),
            webhook_secret=get("WEBHOOK_SECRET"),
            wechat_appid=get("WECHAT_APPID"),
            wechat_secret=get("WECHAT_APPSECRET"),
            wechat_api_base=get("WECHAT_API_BASE"),
            weibo_access_token=get("WEIBO_ACCESS_TOKEN"),
            weibo_api_base=get("WEIBO_API_BASE"),
            survey_ttl=timedelta(minutes=float(get("PPA_CSAT_MINUTES") or DEFAULT_SURVEY_MINUTES)),
            poll_seconds=float(get("PPA_DESK_POLL_SECONDS") or DEFAULT_POLL_SECONDS),
            secure_cookies=get("PPA_DESK_SECURE_COOKIES").lower() in ("1", "true", "yes"),
        )

    def session_secret(self, path: Path = SECRET_FILE) -> str:
        """``PPA_DESK_SECRET``, or one generated once into ``var/`` for the embedded default.

        Several desk instances must share ``PPA_DESK_SECRET``: a file secret is per machine.
        """
        if self.secret:
            return self.secret
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        # Created owner-only: the secret signs every staff session.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(value)
        return value
