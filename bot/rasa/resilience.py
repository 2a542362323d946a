"""When the action server cannot be reached, say so politely instead of going quiet.

Rasa 3.6 logs a failed custom action and carries on without a word to the customer.
:func:`install` wraps ``RemoteAction.run`` (once per process) so that an action-server
*outage* sends "系统繁忙…" with the hotline for the product under discussion, and a
failed form validation keeps the form where it was, to continue when the server is back.

What ``RemoteAction.run`` (rasa/core/actions/action.py) raises, and what we make of it:

- connection refused, reset or dropped: aiohttp's ``ClientConnectionError`` (socket read
  timeouts, ``ServerTimeoutError``, are one too), re-raised as a ``RasaException``
  "Failed to execute custom action" whose ``__context__`` it is — an outage;
- the request's total timeout: a bare ``asyncio.TimeoutError`` (Rasa does not catch
  it) — an outage;
- HTTP 5xx: Rasa's ``ClientResponseError`` as the ``__cause__`` of that
  ``RasaException`` — an outage. rasa-sdk also answers 500 when one of our actions
  crashes; the traceback is in the action server's log, and the customer still
  gets the busy answer, as the issue decided;
- HTTP 400: rasa-sdk's ``ActionExecutionRejection`` (a form rejecting the input),
  normal control flow — passed on untouched;
- anything else — another 4xx (404: no such action), a 2xx whose body fails the
  response schema (``jsonschema.ValidationError``), no action endpoint configured, a
  bug in Rasa or in this wrapper's caller — is a defect, not an outage: logged with
  the action's name and re-raised (Rasa's processor then logs it and carries on, as
  it always does), never disguised as 系统繁忙.

Logs name the action and the kind of failure only: a 5xx body echoes the whole
tracker (customer names, phones, e-mails), so it is not logged here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import aiohttp
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import Event, SlotSet
from rasa.utils.endpoints import ClientResponseError

from bot.catalogue import default_catalogue
from bot.replies import render

logger = logging.getLogger(__name__)
_MARK = "_ppa_resilient"


def busy_text(product: str | None, region: str | None) -> str:
    """The apology with the best hotline we can name without the action server."""
    cat = default_catalogue()
    found = cat.product(product) if product else None
    if found is None:
        number = cat.general_line.numbers["all"]
    else:
        line = cat.hotline_for(found)
        chosen = line.numbers.get(region) if region else None
        number = chosen or render("list_separator").join(line.numbers.values())
    return render("system_busy", number=number)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    # Rasa wraps the aiohttp error: as __cause__ (5xx) or only as __context__ (refused).
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def outage_reason(exc: BaseException) -> str | None:
    """Why the action server counts as unreachable (for the log), or None if it does not.

    An outage is a connection failure, a timeout or an HTTP 5xx anywhere in the
    exception's chain; the first HTTP status found decides, so a 4xx is never one.
    """
    for link in _chain(exc):
        status = getattr(link, "status", None)
        if isinstance(link, ClientResponseError | aiohttp.ClientResponseError) and status:
            return f"HTTP {status}" if status >= 500 else None
        if isinstance(link, aiohttp.ClientConnectionError):
            return f"connection failed ({type(link).__name__})"
        if isinstance(link, asyncio.TimeoutError | TimeoutError):
            return "timed out"
    return None


async def _answer_busy(action: RemoteAction, output_channel: Any, tracker: Any) -> list[Event]:
    # The product just named ("DB2 热线") is the best guess, then the one under discussion.
    named = [
        e.get("value") for e in tracker.latest_message.entities if e.get("entity") == "product"
    ]
    product = next(iter(named), None) or tracker.get_slot("product")
    text = busy_text(product or tracker.get_slot("last_case_product"), tracker.get_slot("region"))
    await output_channel.send_text_message(tracker.sender_id, text)
    requested = tracker.get_slot("requested_slot")
    if action.name().startswith("validate_") and requested:
        # Counts as "validated" for the form, so it re-asks instead of rejecting.
        return [SlotSet(requested, None)]
    return []


def installed() -> bool:
    """Whether :func:`install` has wrapped ``RemoteAction.run`` in this process."""
    return bool(getattr(RemoteAction.run, _MARK, False))


def install() -> None:
    """Wrap ``RemoteAction.run``; idempotent."""
    if installed():
        return
    original = RemoteAction.run

    async def run(
        self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
    ) -> list[Event]:
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # a form rejecting the input is normal control flow
        except Exception as exc:
            reason = outage_reason(exc)
            if reason is None:
                logger.error(
                    "custom action %s failed with %s: a defect, not an action-server outage",
                    self.name(),
                    type(exc).__name__,
                )
                raise
            logger.error(
                "action server unreachable for custom action %s: %s; telling the customer",
                self.name(),
                reason,
            )
            return await _answer_busy(self, output_channel, tracker)

    setattr(run, _MARK, True)
    RemoteAction.run = run  # type: ignore[method-assign]
