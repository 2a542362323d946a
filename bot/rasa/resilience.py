"""When the action server is unreachable, say so politely instead of going quiet.

Rasa 3.6 logs a failed custom action and carries on without a word to the
customer. :func:`install` wraps ``RemoteAction.run`` (once per process) so that a
connection failure sends "系统繁忙…" with the hotline for the product under discussion,
and a failed form validation keeps the form where it was, to continue when the action
server is back. ``bot.nlu.components`` installs it, so every Rasa server that loads
our model has it.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import Event, SlotSet

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
        number = chosen or "、".join(line.numbers.values())
    return render("system_busy", number=number)


def install() -> None:
    """Wrap ``RemoteAction.run``; idempotent."""
    if getattr(RemoteAction.run, _MARK, False):
        return
    original = RemoteAction.run

    async def run(
        self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
    ) -> list[Event]:
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # a form rejecting the input is normal control flow
        except Exception:
            logger.exception("custom action %s failed; telling the customer", self.name())
            product = tracker.get_slot("product") or tracker.get_slot("last_case_product")
            text = busy_text(product, tracker.get_slot("region"))
            await output_channel.send_text_message(tracker.sender_id, text)
            requested = tracker.get_slot("requested_slot")
            if self.name().startswith("validate_") and requested:
                # Counts as "validated" for the form, so it re-asks instead of rejecting.
                return [SlotSet(requested, None)]
            return []

    setattr(run, _MARK, True)
    RemoteAction.run = run  # type: ignore[method-assign]
