"""check_case_status, escalate_case (stage 3) and closing on an existing case."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import (
    ask_again_with,
    channel_of,
    entity_values,
    first,
    form_answer,
    latest_intent,
    services,
)
from bot.replies import render
from bot.services.cases import Access, is_case_addition, is_close_request, is_complaint
from bot.services.corrections import has_correction_cue
from bot.services.severity import find_severity
from bot.services.wording import is_unknown_answer, wording
from bot.store import StoreUnavailable
from bot.store.cases import CaseRecord
from bot.validators import normalise_case_id

# Requests that leave the case form for their own flow (the rules in data/rules.yml).
LEAVES_CASE_FORM = ("report_outage", "check_contract", "human_handoff")
# An escalation note keeps the beginning of a long message (the whole is in the tracker).
NOTE_CHARS = 500


class ActionCaseIntent(Action):
    """Remember whether the customer wants the status or an escalation."""

    def name(self) -> str:
        return "action_case_intent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return await case_request(dispatcher, tracker, _case_action(tracker))


def adds_to_case(tracker: Tracker) -> bool:
    """Whether the customer adds to a case in sight (named, or this conversation's last)."""
    text = tracker.latest_message.get("text")
    has_case = entity_values(tracker, "case_id") or tracker.get_slot("last_case_id")
    # "联系电话换成 139…，原来那个手机没电了": a new number for the engineer to call.
    new_phone = bool(entity_values(tracker, "phone")) and has_correction_cue(text)
    return bool(has_case) and (is_case_addition(text) or new_phone)


def _case_action(tracker: Tracker) -> str:
    """What the customer wants done with the case: status, escalation, closing, a note."""
    text = tracker.latest_message.get("text")
    if is_close_request(text):
        return "close"
    if is_case_addition(text):
        return "add_info"
    intent, _ = latest_intent(tracker)
    return "escalate" if intent == "escalate_case" else "status"


async def case_request(
    dispatcher: CollectingDispatcher, tracker: Tracker, action: str
) -> list[dict[str, Any]]:
    """The case form's slots for ``action``: the customer's words and the case meant."""
    # "查下PMR-…的进度，我电话138…": the phone given with the request is its proof.
    events = [
        SlotSet("case_action", action),
        SlotSet("case_proof", first(entity_values(tracker, "phone"))),
    ]
    if action in ("escalate", "close", "add_info"):
        # The request in the customer's words (not the case id or phone the form
        # asks for next) is the note the staff read; a level named is answered.
        text = tracker.latest_message.get("text") or ""
        wanted = first(entity_values(tracker, "severity"))
        if wanted is None and action == "escalate":
            level = find_severity(text)  # "把严重程度调到1": no severity entity
            wanted = str(level) if level is not None else None
        events += [
            SlotSet("case_note", text[:NOTE_CHARS]),
            SlotSet("case_severity_wanted", wanted),
        ]
    case_id = first(entity_values(tracker, "case_id"))
    if not case_id:
        case_id = await _own_case(dispatcher, tracker)
    if not case_id and action == "escalate" and is_complaint(tracker.latest_message.get("text")):
        # "我要投诉" with no case in sight may be about the service itself: a person
        # takes that; a case number still makes it the case's escalation.
        dispatcher.utter_message(
            text=render("complaint_without_case"),
            buttons=[{"title": render("button_handoff"), "payload": "/human_handoff"}],
        )
    events.append(SlotSet("case_id", normalise_case_id(case_id) if case_id else None))
    return events


async def _own_case(dispatcher: CollectingDispatcher, tracker: Tracker) -> str | None:
    """The case meant when the customer names none: one opened in this conversation.

    "MQ那个单子进度呢" is the newest case about MQ; "我今天开了哪些单子" lists them all
    and the form asks which (with one case, that one); otherwise "案例号多少来着" is the
    last case this conversation spoke of, else its newest. None: the form asks.
    """
    products = entity_values(tracker, "product")
    text = (tracker.latest_message.get("text") or "").lower()
    wants_list = not products and wording().has_any("case_list_words", text)
    last: str | None = tracker.get_slot("last_case_id")
    if last and not (products or wants_list):
        return last
    mine = await _conversation_cases(tracker, products[0] if products else None)
    if wants_list and len(mine) > 1:
        dispatcher.utter_message(text=services().cases.list_text(mine))
        return None
    return mine[0].case_id if mine else last


# The case lookups of the running ``validate_case_form`` call, by case id. rasa-sdk
# asks ``required_slots`` twice a run (to validate, then for the next slot) and each
# answer was a store query (case, then the identity lock): one lookup a run is
# enough, nothing that changes the answer happens in between. A context variable,
# not an attribute: one action instance serves concurrent requests, each in its task.
_lookups: ContextVar[dict[str, Access] | None] = ContextVar("case_form_lookups", default=None)


class ValidateCaseForm(FormValidationAction):
    """Case id, and the registered phone only when the caller did not open the case."""

    def name(self) -> str:
        return "validate_case_form"

    async def run(self, dispatcher, tracker, domain) -> list[dict[str, Any]]:
        token = _lookups.set({})
        try:
            return await super().run(dispatcher, tracker, domain)
        finally:
            _lookups.reset(token)

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        case_id = tracker.get_slot("case_id")
        if case_id and _proven(tracker, case_id):
            return ["case_id"]  # the phone was proven for it earlier in this conversation
        if case_id:
            try:
                access = await _access(case_id, tracker)
            except StoreUnavailable:
                return ["case_id"]
            if access is not Access.NEED_PROOF:
                return ["case_id"]
        return domain_slots

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        answer = form_answer(tracker, leaves=LEAVES_CASE_FORM)
        if answer is None:
            return []
        requested, text = answer
        events = []
        ids = entity_values(tracker, "case_id")
        phones = entity_values(tracker, "phone")
        if requested == "case_id" and not ids:
            picked = await _case_by_place(tracker, text)
            if picked:
                return [SlotSet("case_id", picked)]
        if (
            requested in ("case_id", "case_proof")
            and not (ids or phones)
            and (is_unknown_answer(text) or not any(ch.isdigit() for ch in text))
        ):
            # "忘了 / 没有 / 那怎么办": where to find it, not a lookup (a wrong phone counts
            # as a failure, and "没有找到案例号 那怎么办" echoed words as an id).
            key = "case_id_help" if requested == "case_id" else "case_proof_help"
            return ask_again_with(dispatcher, requested, render(key))
        if requested == "case_id" and not ids and phones and normalise_case_id(text) is None:
            # "案例号没记，我电话138…，你自己查": the phone is kept as the proof, and the
            # case number is still needed (a phone alone would list anyone's cases);
            # the whole message had been echoed as the case number.
            events = ask_again_with(dispatcher, requested, render("case_id_by_phone"))
            return [*events, SlotSet("case_proof", phones[0])]
        if ids or requested == "case_id":
            events.append(SlotSet("case_id", normalise_case_id(ids[0] if ids else text) or text))
        if requested == "case_proof":
            phone = (phones or [text])[0]
            events.append(SlotSet("case_proof", phone))
        return events


async def _conversation_cases(tracker: Tracker, product: str | None = None) -> list[CaseRecord]:
    """This conversation's cases (about ``product``), newest first; none if the store is down.

    Without them the form asks for the case id, as it would for a new caller.
    """
    try:
        return await services().cases.of_conversation(
            channel_of(tracker), tracker.sender_id, product
        )
    except StoreUnavailable:
        return []


async def _case_by_place(tracker: Tracker, text: str) -> str | None:
    """The case "第二个" / "最后一个" names in the list of this conversation's cases."""
    w = wording()
    low = text.lower()
    place = next((i for i, word in enumerate(w["case_ordinals"]) if word in low), None)
    if place is None and w.has_any("case_last_words", low):
        place = -1
    if place is None:
        return None
    mine = await _conversation_cases(tracker)
    return mine[place].case_id if mine and place < len(mine) else None


def _level(value: Any) -> int | None:
    """A severity slot's value as a level 1–3, or None."""
    try:
        level = int(str(value))
    except ValueError:
        return None
    return level if 1 <= level <= 3 else None


def _proven(tracker: Tracker, case_id: str) -> str | None:
    """The phone this conversation proved for ``case_id`` already, if any.

    Asking for it again at every follow-up ("进度呢", "帮我升级") of the same case was
    the blind tester's complaint; it is kept in the tracker like the report's own phone.
    """
    proven = tracker.get_slot("proven_cases")
    canonical = normalise_case_id(case_id) or case_id
    return proven.get(canonical) if isinstance(proven, dict) else None


async def _access(case_id: str, tracker: Tracker) -> Access:
    """Who may see ``case_id`` without proof: looked up once per form run."""
    memo = _lookups.get()
    if memo is not None and case_id in memo:
        return memo[case_id]
    found = await services().cases.lookup(case_id, channel_of(tracker), tracker.sender_id)
    if memo is not None:
        memo[case_id] = found.access
    return found.access


class ActionCaseSubmit(Action):
    """Answer the status or record the escalation, for a verified caller only."""

    def name(self) -> str:
        return "action_case_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        svc = services()
        case_id = tracker.get_slot("case_id") or ""
        clear = [
            SlotSet("case_id", None),
            SlotSet("case_proof", None),
            SlotSet("case_action", None),
            SlotSet("case_note", None),
            SlotSet("case_severity_wanted", None),
        ]
        try:
            proof = tracker.get_slot("case_proof") or _proven(tracker, case_id)
            found = await svc.cases.lookup(case_id, channel_of(tracker), tracker.sender_id, proof)
            if found.access is Access.LOCKED:
                dispatcher.utter_message(text=svc.identity.locked_text())
                return clear
            if found.access is not Access.GRANTED or found.case is None:
                # Unknown id and wrong proof get the same answer: no hint at other cases.
                # With a phone, either may be wrong: the answer says so without telling
                # which (a blind tester read "no such case" of a case that exists).
                key = "case_not_matched" if proof else "case_not_found"
                dispatcher.utter_message(text=render(key, case_id=case_id))
                return clear
            action = tracker.get_slot("case_action")
            note = tracker.get_slot("case_note") or tracker.latest_message.get("text") or ""
            if action == "close":
                dispatcher.utter_message(text=await svc.cases.close(found.case, note[:NOTE_CHARS]))
            elif action == "add_info":
                text = await svc.cases.add_info(found.case, note[:NOTE_CHARS])
                dispatcher.utter_message(text=text)
            elif action == "escalate":
                wanted = _level(tracker.get_slot("case_severity_wanted"))
                text = await svc.cases.escalate(found.case, note[:NOTE_CHARS], wanted)
                if wanted == 1 and found.case.severity != 1:
                    # The guide takes severity 1 around the clock by phone.
                    region = tracker.get_slot("region")
                    case = found.case
                    text += "\n" + svc.hotline.urgent_text(case.product, region, case.case_id)
                dispatcher.utter_message(text=text)
            else:
                dispatcher.utter_message(text=svc.cases.status_text(found.case))
        except StoreUnavailable:
            dispatcher.utter_message(response="utter_store_unavailable")
            return clear
        events = [*clear, SlotSet("last_case_id", found.case.case_id)]
        if proof and found.case.sender_id != tracker.sender_id:
            proven = dict(tracker.get_slot("proven_cases") or {})
            proven[found.case.case_id] = proof
            events.append(SlotSet("proven_cases", proven))
        return events
