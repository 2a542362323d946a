"""human_handoff: queue the conversation for a person, or the hotline and a callback offer."""

from __future__ import annotations

import functools
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cases import open_case_form
from actions.context import Services, channel_of, entity_values, first, services
from actions.contracts import proven_contract_number
from bot.desk.config import DeskSettings
from bot.replies import render
from bot.services.cases import is_case_addition
from bot.services.handoff import HandoffService, find_phone, request_words, urgent_level
from bot.services.hours import utc_now
from bot.services.severity import description_of
from bot.services.wording import clean, wording
from bot.store import StoreUnavailable
from bot.store.handoffs import HandoffRepository, NewHandoff
from bot.store.staff import StaffRepository

# Slots that only steer the dialogue; the agent needs the customer's answers.
INTERNAL_SLOTS = frozenset(
    {"requested_slot", "hotline_pending", "fallback_count", "intake_failures", "cc_failures"}
)
PROOF_SLOTS = frozenset({"cc_proof", "case_proof"})


def handoff_service() -> HandoffService:
    """The action server's handoff service, on the actions' database."""
    return _handoff_service(services())


@functools.lru_cache(maxsize=1)
def _handoff_service(svc: Services) -> HandoffService:
    ttl = DeskSettings.from_env().survey_ttl
    return HandoffService(HandoffRepository(svc.db), StaffRepository(svc.db), survey_ttl=ttl)


def agent_context(tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
    """What the agent sees next to the transcript: the open form's answers and more."""
    form = (tracker.active_loop or {}).get("name")
    required = (domain.get("forms") or {}).get(form or "", {}).get("required_slots") or []
    fields = {
        slot: tracker.get_slot(slot)
        for slot in required
        if slot not in INTERNAL_SLOTS | PROOF_SLOTS and tracker.get_slot(slot) is not None
    }
    verified_contract = proven_contract_number(tracker)
    return {
        "form": form,
        "fields": fields,
        # A case is opened only after the intake checked the customer and contract
        # numbers; a contract check proved the registered phone or e-mail.
        "identity_verified": bool(tracker.get_slot("last_case_id") or verified_contract),
        "verified_contract": verified_contract,
        "reason": "fallback" if tracker.get_slot("fallback_count") else "asked",
        "request": request_words(tracker.latest_message.get("text")),  # "…赶紧转人工"
    }


def handoff_severity(tracker: Tracker) -> int | None:
    """The report's severity, else the guide's level 1 when the words say so (queued first)."""
    chosen = _int(tracker.get_slot("severity"))
    if chosen is not None:
        return chosen
    said = f"{description_of(tracker.current_slot_values())} {tracker.latest_message.get('text') or ''}"
    return urgent_level(said)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def handoff_hotline(tracker: Tracker) -> tuple[str, str | None]:
    """The product (if any) and where a human answers by phone, with the open case id."""
    product = (
        first(entity_values(tracker, "product"))
        or tracker.get_slot("product")
        or tracker.get_slot("last_case_product")
    )
    text = services().hotline.handoff_text(product, tracker.get_slot("region"), utc_now())
    case_id = tracker.get_slot("last_case_id")
    if case_id:
        text += "\n" + render("handoff_with_case", case_id=case_id)
    return text, product


async def open_case_severity(tracker: Tracker) -> int | None:
    """The severity of the conversation's open case (the last one it reported).

    A thirteenth blind tester with an open severity-1 case waited behind an idle
    request: the queue knew the case, not its level.
    """
    case_id = tracker.get_slot("last_case_id")
    if not case_id:
        return None
    try:
        cases = await services().cases.of_conversation(channel_of(tracker), tracker.sender_id)
    except StoreUnavailable:
        return None  # the request itself then answers with the hotline
    for case in cases:
        if case.case_id == case_id and case.status != "closed":
            return case.severity
    return None


async def request_handoff(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> list[dict[str, Any]]:
    """Queue for an available agent (and mute the bot), else hours, hotline and callback.

    Shared by ``action_handoff`` and ``action_fallback`` (the second miss in a row).
    """
    hotline, product = handoff_hotline(tracker)
    new = NewHandoff(
        conversation_id=tracker.sender_id,
        channel=channel_of(tracker),
        context=agent_context(tracker, domain),
        product=product,
        severity=handoff_severity(tracker) or await open_case_severity(tracker),
        case_id=tracker.get_slot("last_case_id"),
    )
    phone = first(entity_values(tracker, "phone"))
    try:
        outcome = await handoff_service().request(new, hotline)
        if not outcome.queued and outcome.handoff is None and phone:
            # "能不能让工程师直接打给我，我电话139…": nobody is free, and the number to call
            # back is already here (a blind tester was asked to send it again).
            dispatcher.utter_message(text=hotline)
            text = tracker.latest_message.get("text") or phone
            dispatcher.utter_message(text=await handoff_service().leave_callback(new, text))
            return []
    except StoreUnavailable:
        dispatcher.utter_message(text=hotline)
        return []
    dispatcher.utter_message(text=outcome.text)
    if not outcome.queued:
        return []
    if (tracker.active_loop or {}).get("name") == "outage_form":
        # The report waits, kept, for "继续报修": after the agent closed, an eleventh
        # blind tester's survey score "5" was stored as the operating system.
        return [ConversationPaused(), ActiveLoop(None), SlotSet("requested_slot", None)]
    return [ConversationPaused()]


def asks_for_callback(tracker: Tracker) -> bool:
    """True for "让工程师打我座机吧，010-…" or "我要回电": a person, by phone."""
    return wording().has_any("callback_request_words", clean(tracker.latest_message.get("text")))


async def callback_follow_up(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, note: bool
) -> bool:
    """Answer a message about the callback request waiting for this conversation.

    A sixteenth blind tester left a number, then "我叫李雷，是informix的问题，麻烦早点回"
    ("not understood"), "什么时候回我" (off-topic) and "电话改成139…" ("收到"): none of
    it reached the request. A question of when is answered from the hours; a new
    number (after a change word) replaces the one to call; with ``note`` any other
    message is added for the engineer. False when there is no such request (or no
    store), and inside a form, whose questions come first.
    """
    if (tracker.active_loop or {}).get("name"):
        return False
    text = tracker.latest_message.get("text") or ""
    said, w, phone = clean(text), wording(), find_phone(text)
    asks_when = phone is None and w.has_any("when_words", said)
    changes = phone is not None and w.has_any("callback_change_words", said)
    # "我刚才留的号码是多少", "你确定记下了吗": the request read back (a seventeenth blind
    # tester's got the product menu, or was added to it as a note).
    reads_back = phone is None and w.has_any("callback_readback_words", said)
    if not (asks_when or changes or reads_back or note):
        return False
    service = handoff_service()
    try:
        callback = await service.pending_callback(tracker.sender_id)
        if callback is None:
            return False
        if reads_back:
            notes = len(await service.handoffs.messages(callback.id))
            dispatcher.utter_message(
                text=render("handoff_callback_readback", phone=callback.callback_phone, notes=notes)
            )
            return True
        if asks_when:
            dispatcher.utter_message(text=callback_when_text(callback.callback_phone))
            return True
        dispatcher.utter_message(text=await service.add_to_callback(callback, text))
    except StoreUnavailable:
        return False
    return True


def callback_when_text(phone: str | None) -> str:
    """When the engineer calls back: in the support hours, else from the next opening."""
    hours = services().hotline.hours
    now = utc_now()
    if hours.is_open(now):
        return render("handoff_callback_when_open", phone=phone)
    opening = hours.next_opening(now).strftime("%Y-%m-%d %H:%M")
    return render("handoff_callback_when_closed", phone=phone, opening=opening)


class ActionHandoff(Action):
    """Queue for an available agent (the bot goes quiet), else hours, hotline and callback."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("last_case_id") and is_case_addition(
            tracker.latest_message.get("text")
        ):
            # "请在案例里备注：明天上午不在，请下午2点以后来电" is a note for the case's
            # engineer (a tenth blind tester's went to "no agent online" and was lost).
            return await open_case_form(dispatcher, tracker, "add_info")
        said = clean(tracker.latest_message.get("text"))
        if tracker.get_slot("last_case_id") and wording().has_any("when_words", said):
            # "那多久有人打电话给我" after the case was opened: by when, from the case (a
            # fifteenth blind tester got the no-agent callback offer, which says messages
            # after hours wait for the next working day, of a severity-1 case).
            return await open_case_form(dispatcher, tracker, "status")
        return await request_handoff(dispatcher, tracker, domain)
