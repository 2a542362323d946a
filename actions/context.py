"""Per-process services for the actions: one Database (engine) per action server.

Created lazily on first use, inside the running event loop, so importing the
actions never opens a connection or creates tables.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.config import Settings
from bot.services.cases import CaseService
from bot.services.contracts import ContractService
from bot.services.hotline import HotlineService
from bot.services.hours import Clock, SupportHours, utc_now
from bot.services.identity import IdentityGuard
from bot.services.intake import INTERRUPTION_CONFIDENCE, is_interruption
from bot.store import Database
from bot.store.attempts import IdentityAttemptRepository
from bot.store.case_desk import CaseDeskRepository
from bot.store.cases import CaseRepository
from bot.store.contracts import ContractRepository
from bot.store.nlu_misses import NluMissRepository
from bot.textnorm import has_digit


class Services:
    """The services every action needs, sharing one Database."""

    def __init__(self, settings: Settings, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self.db = Database.from_settings(settings)
        hours = SupportHours.from_settings(settings)
        self.hotline = HotlineService(hours=hours)
        attempts = IdentityAttemptRepository(self.db)
        self.identity = IdentityGuard.from_settings(attempts, settings, clock)
        self.contracts = ContractService(ContractRepository(self.db), settings, guard=self.identity)
        self.cases = CaseService(
            CaseRepository(self.db, tz=settings.timezone),
            hours=hours,
            clock=clock,
            notify_urls=settings.case_notify_urls,
            guard=self.identity,
            desk=CaseDeskRepository(self.db),
            reopen_days=settings.case_reopen_days,
        )
        self.nlu_misses = NluMissRepository(self.db)

    def today(self) -> dt.date:
        """Today at the support desk."""
        return self.hotline.hours.local(self.clock()).date()


@functools.lru_cache(maxsize=1)
def services() -> Services:
    """The process-wide services (settings from the environment)."""
    return Services(Settings.from_env())


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    """Values of ``entity`` in the latest message, in order, without repeats."""
    return _values_of(tracker.latest_message.get("entities", []), entity)


def _values_of(entities: list[dict[str, Any]], entity: str) -> list[str]:
    """Values of ``entity`` among a parse's ``entities``, in order, without repeats."""
    values: list[str] = []
    for ent in entities:
        if ent.get("entity") == entity and str(ent.get("value")) not in values:
            values.append(str(ent["value"]))
    return values


def entities_that_started(tracker: Tracker, loop: str, entity: str) -> list[str]:
    """Values of ``entity`` in the message that started the latest run of form ``loop``.

    A run an action re-opened (a retry after a failed check) goes on from the run before.
    """
    started = False
    events = tracker.events
    for i in range(len(events) - 1, -1, -1):
        event = events[i]
        if event.get("event") == "active_loop" and event.get("name") == loop:
            started = True
        elif started and event.get("event") == "followup" and event.get("name") == loop:
            # A retry follows the failed check; a report that hands over to the check
            # ("顺便问下DB2在我们合同里吗？" mid-report) starts it with this message.
            before = [e.get("name") for e in events[:i] if e.get("event") == "action"]
            started = not before or before[-1] != "action_check_contract"
        elif started and event.get("event") == "user":
            return _values_of((event.get("parse_data") or {}).get("entities", []), entity)
    return []


def ran_since_message(tracker: Tracker, action: str) -> bool:
    """True when ``action`` ran after the latest user message (this turn)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") == action:
            return True
    return False


def previous_turn(tracker: Tracker) -> list[dict[str, Any]]:
    """The events between the customer's message before the latest one and the latest.

    The bot's answer to that earlier message: its actions, messages and slots.
    """
    users = [i for i, e in enumerate(tracker.events) if e.get("event") == "user"]
    if not users:
        return []
    start = users[-2] + 1 if len(users) > 1 else 0
    return list(tracker.events[start : users[-1]])


def earlier_user_event(tracker: Tracker) -> dict[str, Any] | None:
    """The customer's message before the latest one, as its tracker event."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    return users[-2] if len(users) > 1 else None


def previous_bot_action(tracker: Tracker) -> str | None:
    """The last action before the latest message (action_listen aside)."""
    names = [
        str(e.get("name"))
        for e in previous_turn(tracker)
        if e.get("event") == "action" and e.get("name") != "action_listen"
    ]
    return names[-1] if names else None


def latest_intent(tracker: Tracker) -> tuple:
    """``(name, confidence)`` of the latest message's intent."""
    intent: dict[str, Any] = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def channel_of(tracker: Tracker) -> str:
    """The input channel of the conversation (``rest`` when unknown)."""
    return tracker.get_latest_input_channel() or "rest"


def first(values: list[str]) -> str | None:
    """The first value, or None."""
    return values[0] if values else None


def form_answer(tracker: Tracker, leaves: Collection[str] = ()) -> tuple[str | None, str] | None:
    """``(requested_slot, text)`` of the latest message, or None when it interrupts the form.

    An intent of ``leaves`` (another flow: "我还有个问题要报修" in the case form) is no
    answer either: the form reads nothing, Rasa rejects its turn, and the rule in
    data/rules.yml that leaves the form for that flow runs.
    """
    intent, confidence = latest_intent(tracker)
    if is_interruption(intent, confidence):
        return None
    if intent in leaves and confidence >= INTERRUPTION_CONFIDENCE:
        return None
    text = (tracker.latest_message.get("text") or "").strip()
    if intent in CLOSINGS and confidence >= INTERRUPTION_CONFIDENCE and not has_digit(text):
        # "谢谢" / "拜拜": the rule that ends the form answers (a fourteenth blind tester
        # was asked for the case number after each); a bare phone read as a goodbye
        # ("88…") is still an answer.
        return None
    return tracker.get_slot("requested_slot"), text


# Intents that end a number form rather than answer it (data/rules.yml).
CLOSINGS = ("thank", "goodbye")


def ask_again_with(dispatcher: CollectingDispatcher, slot: str, hint: str) -> list[dict[str, Any]]:
    """Send ``hint`` and let the form ask for ``slot`` again.

    A validation that sets nothing makes Rasa's form reject the turn (its message is
    lost and the fallback answers); setting the slot to nothing keeps the form going.
    """
    dispatcher.utter_message(text=hint)
    return [SlotSet(slot, None)]
