"""Deliver new-case notifications from the outbox to ticketing systems / CRMs.

Each case writes one outbox row per ``CASE_NOTIFY_URLS`` target in the same
transaction as the case, so nothing is lost when the receiver or the bot is down.
This worker POSTs each row as JSON signed with HMAC-SHA256 (``X-PPA-Signature:
sha256=<hex>``), retries with exponential backoff, and marks a row delivered only
after a 2xx, which is never sent again. A row is claimed (leased) before sending, so
two workers never deliver the same row at the same time.

Run it with ``python -m bot.notifier`` (``--once`` for a single pass).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable

import aiohttp

from bot.config import Settings
from bot.store import Database, StoreUnavailable
from bot.store.outbox import OutboxItem, OutboxRepository

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-PPA-Signature"
DELIVERY_HEADER = "X-PPA-Delivery"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int, base: float, cap: float) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failed ones: base·2ⁿ, capped."""
    return dt.timedelta(seconds=min(cap, base * (2 ** max(attempts, 0))))


class CaseNotifier:
    """One delivery pass at a time over the due outbox rows."""

    def __init__(
        self,
        outbox: OutboxRepository,
        secret: str,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        timeout: float = 10.0,
        base_delay: float = 5.0,
        max_delay: float = 3600.0,
        lease: float = 60.0,
        batch: int = 50,
    ) -> None:
        """Deliver from ``outbox``, signing with ``secret``.

        Retries back off from ``base_delay`` doubling up to ``max_delay`` seconds; a
        claimed row is leased for ``lease`` seconds so two workers never send it twice.
        """
        self._outbox = outbox
        self._secret = secret
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._base, self._cap = base_delay, max_delay
        self._lease = dt.timedelta(seconds=lease)
        self._batch = batch

    async def deliver_due(self, session: aiohttp.ClientSession) -> int:
        """Try every due row once; returns how many were delivered."""
        now = self._clock()
        delivered = 0
        for item in await self._outbox.due(now, self._batch):
            if not await self._outbox.claim(item.id, now, now + self._lease):
                continue  # another worker has it
            if await self._send(session, item):
                await self._outbox.mark_delivered(item.id, self._clock())
                delivered += 1
        return delivered

    async def _send(self, session: aiohttp.ClientSession, item: OutboxItem) -> bool:
        body = json.dumps(item.payload, ensure_ascii=False, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(self._secret, body),
            DELIVERY_HEADER: str(item.id),
        }
        try:
            async with session.post(
                item.target_url, data=body, headers=headers, timeout=self._timeout
            ) as resp:
                if 200 <= resp.status < 300:
                    return True
                error = f"HTTP {resp.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        retry_at = self._clock() + backoff(item.attempts, self._base, self._cap)
        logger.warning(
            "case %s notification %s failed (%s); retry at %s",
            item.case_id,
            item.id,
            error,
            retry_at,
        )
        await self._outbox.mark_failed(item.id, error, retry_at)
        return False

    async def run(self, interval: float = 2.0, stop: asyncio.Event | None = None) -> None:
        """Deliver until ``stop`` is set; a database outage only delays delivery."""
        stop = stop or asyncio.Event()
        async with aiohttp.ClientSession() as session:
            while not stop.is_set():
                try:
                    await self.deliver_due(session)
                except StoreUnavailable:
                    logger.warning("store unavailable; notifications wait")
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)


async def _main(once: bool) -> int:
    settings = Settings.from_env()
    if not settings.case_notify_urls:
        print("CASE_NOTIFY_URLS is not set: nothing to deliver")
        return 0
    if not settings.case_notify_secret:
        print("CASE_NOTIFY_SECRET must be set to sign notifications")
        return 2
    db = Database.from_settings(settings)
    notifier = CaseNotifier(OutboxRepository(db), settings.case_notify_secret)
    try:
        if once:
            async with aiohttp.ClientSession() as session:
                print(f"delivered {await notifier.deliver_due(session)}")
        else:
            await notifier.run()
    finally:
        await db.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m bot.notifier [--once]``."""
    parser = argparse.ArgumentParser(description="deliver new-case notifications")
    parser.add_argument("--once", action="store_true", help="one pass, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return asyncio.run(_main(args.once))


if __name__ == "__main__":
    raise SystemExit(main())
