"""The sorted SHA-1 request signature WeChat and Weibo both use.

WeChat signs with its server-configuration Token, Weibo's fan service with the
AppSecret, in the same way: SHA-1 of the lexicographically sorted, concatenated
strings (secret, timestamp, nonce; WeChat's safe mode adds the ciphertext).
"""

from __future__ import annotations

import hashlib
import hmac


def sha1_signature(*parts: str) -> str:
    """SHA-1 hex digest of the sorted, concatenated ``parts`` (WeChat / Weibo)."""
    # SHA-1 is what both platforms sign with; we cannot choose another digest
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()  # noqa: S324


def check_signature(
    secret: str, signature: str | None, timestamp: str | None, nonce: str | None
) -> bool:
    """Constant-time check of a ``signature`` over ``secret``, ``timestamp``, ``nonce``."""
    if not signature or timestamp is None or nonce is None:
        return False
    expected = sha1_signature(secret, timestamp, nonce)
    return hmac.compare_digest(expected.encode(), signature.lower().encode())
