"""Desk sessions, CSRF tokens and login throttling.

A session cookie is ``payload.signature``: the payload names the staff id, a random
nonce and an expiry; the signature is HMAC-SHA256 with the desk secret, so every desk
instance with the same ``PPA_DESK_SECRET`` accepts it and nothing is kept in memory.
The CSRF token is another HMAC of the nonce: a page gets it from the server, a forged
cross-site form cannot. Failed sign-ins are counted in the audit log (database), so
the limit holds across instances.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

COOKIE_NAME = "ppa_desk"
SESSION_SECONDS = 12 * 3600
LOGIN_WINDOW_SECONDS = 15 * 60
LOGIN_MAX_FAILURES = 5


@dataclass(frozen=True)
class Session:
    """A signed-in staff member's session."""

    staff_id: int
    nonce: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Issues and checks session cookies and CSRF tokens with one secret."""

    def __init__(self, secret: str, lifetime_s: int = SESSION_SECONDS) -> None:
        """Sign with ``secret``; sessions last ``lifetime_s`` seconds."""
        self._key = secret.encode("utf-8")
        self._lifetime = lifetime_s

    def _mac(self, purpose: str, data: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}:{data}".encode(), hashlib.sha256).digest())

    def issue(self, staff_id: int, now: float | None = None) -> str:
        """A new cookie value for ``staff_id`` (a fresh nonce: a new CSRF token too)."""
        expires = int((now or time.time()) + self._lifetime)
        payload = _b64(
            json.dumps({"s": staff_id, "n": secrets.token_urlsafe(16), "e": expires}).encode()
        )
        return f"{payload}.{self._mac('session', payload)}"

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session in a cookie value, or None when absent, forged or expired."""
        if not cookie or "." not in cookie:
            return None
        payload, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._mac("session", payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
            session = Session(int(data["s"]), str(data["n"]), int(data["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > (now or time.time()) else None

    def csrf_token(self, session: Session) -> str:
        """The CSRF token bound to this session."""
        return self._mac("csrf", session.nonce)

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        """Whether ``token`` is this session's CSRF token."""
        return bool(token) and hmac.compare_digest(self.csrf_token(session), token or "")
