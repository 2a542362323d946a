"""Messages that answer no question: route them to the flow they belong to."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cases import (
    adds_to_case,
    answer_close_question,
    answered_close,
    ask_close_again,
    case_action,
    close_pending,
    open_case_form,
)
from actions.context import entity_values, previous_bot_action, previous_turn, services
from actions.contracts import coverage_follow_up
from actions.handoff import asks_for_callback, callback_follow_up, request_handoff
from actions.hotline import (
    answered_after_hotline,
    answered_number_owner,
    answered_online_request,
    answered_registered_details,
    follow_up_product,
    hotline_reply,
    product_question_pending,
)
from actions.intake import start_intake
from bot.nlu.evidence import GATED_KEY
from bot.replies import render
from bot.services.cases import is_close_request
from bot.services.clarify import chosen_payload, request_of
from bot.services.contact_details import has_identity_values
from bot.services.nlu_review import record_miss
from bot.services.repeat import last_answer
from bot.services.wording import clean, wording

# An error code alone is a fault; a version or OS is one only with a product or a
# fault word ("AIX操作系统" asked the hotline, a bare "9.0.2" answered nothing).
DETAIL_ENTITIES = ("version", "os")
# A customer or contract number given to no question: the contract check's slots.
UNPROMPTED_NUMBERS = (
    ("customer_number", "cc_customer_number"),
    ("contract_number", "cc_contract_number"),
)


def _describes_a_fault(tracker: Tracker, text: str) -> bool:
    """An error code, or a version / OS with a product or a fault word."""
    if entity_values(tracker, "error_code"):
        return True
    if not any(entity_values(tracker, e) for e in DETAIL_ENTITIES):
        return False
    if wording().has_any("fault_words", text):
        return True
    # "was 8.5 呢" after a hotline answer asks for that product's line, not a report.
    stripped = text.strip().rstrip(" 。.!！~～…")
    asks = any(stripped.endswith(end) for end in wording()["aside_question_ends"])
    return bool(entity_values(tracker, "product")) and not asks


class ActionRouteInform(Action):
    """An ``inform`` outside any form.

    After "which product?" it is the product for the hotline; a case id means the
    customer wants that case; an error code or version with a product is the start
    of a fault report; anything else gets the short menu.
    """

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_route_inform"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Answer the hotline, start the case or fault flow, or offer the menu."""
        # The buttons just sent before the menu: the out-of-scope answer that lists the
        # menu also asks the close question again, with its own buttons.
        chosen = await button_choice(dispatcher, tracker, domain)
        if chosen is None:
            chosen = menu_choice(dispatcher, tracker)
        if chosen is not None:
            return chosen
        if asks_for_callback(tracker) and entity_values(tracker, "phone"):
            # "让工程师打我座机吧，010-…": a person calls back (a ninth blind tester got
            # "收到" and nothing else); the case in sight goes with it.
            return await request_handoff(dispatcher, tracker, domain)
        if await callback_follow_up(dispatcher, tracker, note=False):
            return []  # "算了 电话改成139…" after "留言 139…"
        if answered_number_owner(dispatcher, tracker) or answered_registered_details(
            dispatcher, tracker
        ):
            return []  # "10800-261-0417是哪个产品的电话", "8800002的联系电话是多少"
        if adds_to_case(tracker):
            return await open_case_form(dispatcher, tracker, "add_info")
        case_ids = entity_values(tracker, "case_id")
        if case_ids:
            # Before a pending product question: a case number is never a product (a blind
            # tester's case numbers got the product list after one unknown number). A
            # phone in the same message is its proof ("pmr 261207 0568 电话 138…").
            return [
                SlotSet("hotline_pending", False),
                *await open_case_form(dispatcher, tracker, case_action(tracker)),
            ]
        if (covered := await coverage_follow_up(dispatcher, tracker)) is not None:
            return covered  # "那Notes呢" right after the contract: its coverage
        if product_question_pending(tracker) or follow_up_product(tracker):
            return hotline_reply(dispatcher, tracker)
        text = (tracker.latest_message.get("text") or "").lower()
        entities = tracker.latest_message.get("entities") or []
        if _describes_a_fault(tracker, text) or (
            # "报障：王样例/样例数据有限公司/138…/8800003": stage 1 of a fault report.
            has_identity_values(entities) and wording().has_any("report_words", text)
        ):
            return start_intake(dispatcher, tracker)
        if entity_values(tracker, "product"):
            return hotline_reply(dispatcher, tracker)
        if entity_values(tracker, "region") and not has_identity_values(entities):
            return hotline_reply(dispatcher, tracker)  # "华南的呢": which product's line
        kept = [
            SlotSet(slot, values[0])
            for entity, slot in UNPROMPTED_NUMBERS
            if (values := entity_values(tracker, entity))
        ]
        if kept:
            # "我们是8800004": kept for the contract check, which is asked about first.
            dispatcher.utter_message(
                text=render("number_what_for"),
                buttons=[
                    {"title": render("button_check_contract"), "payload": "/check_contract"},
                    {"title": render("button_report_outage"), "payload": "/report_outage"},
                ],
            )
            return kept
        if await callback_follow_up(dispatcher, tracker, note=True):
            return []  # "我叫李雷" after "留言 139…": for the engineer who calls back
        dispatcher.utter_message(text=render("how_can_i_help"))
        return []


# Bot turns that end with "还有其他…吗？": a "no" after them answers that question.
ASKED_ANYTHING_ELSE = {
    "utter_thank",
    "utter_anything_else",
    "utter_cancelled",
    "action_cancel_outside_form",
}


class ActionCancelOutsideForm(Action):
    """A cancel with no form open: withdrawing a case ("把单子撤了"), else nothing to cancel.

    The classifiers read a case's withdrawal as ``cancel``; with a case word it closes
    that case (the case form asks for what is missing), as "可以关单了" does.
    """

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_cancel_outside_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Start the case's closing, or say there is nothing to cancel."""
        if (answered := await answered_close(dispatcher, tracker)) is not None:
            return answered  # "算了还是关了吧" to "确定要关闭案例…吗？"
        text = tracker.latest_message.get("text") or ""
        # "算了还是关了吧" means this conversation's case (closing is confirmed first).
        names_case = (
            entity_values(tracker, "case_id")
            or wording().has_any("case_words", clean(text))
            or tracker.get_slot("last_case_id")
        )
        if names_case and is_close_request(text):
            return await open_case_form(dispatcher, tracker, "close")
        dispatcher.utter_message(response="utter_nothing_to_cancel")
        return []


class ActionNoOutsideForm(Action):
    """A "no" with no form open: goodbye after "anything else?", otherwise ask.

    "没有" right after "还有其他问题吗？" ends the conversation politely; asking "anything
    else?" again (as before) made a loop of it. A "no" to nothing asks what is needed.
    """

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_no_outside_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Say goodbye or ask whether there is anything else."""
        if (answered := await answered_close(dispatcher, tracker)) is not None:
            return answered  # "不关" to "确定要关闭案例…吗？"
        if previous_bot_action(tracker) in ASKED_ANYTHING_ELSE:
            dispatcher.utter_message(response="utter_goodbye")
        else:
            dispatcher.utter_message(response="utter_anything_else")
        return []


class ActionYesOutsideForm(Action):
    """A "yes" with no form open: the close just asked about, otherwise "anything else?"."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_yes_outside_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Close the case the customer confirms, or ask what else they need."""
        if (answered := await answered_close(dispatcher, tracker)) is not None:
            return answered
        said = clean(tracker.latest_message.get("text"))
        if tracker.get_slot("intake_id") and said in wording()["resume_phrases"]:
            # "继续" after a side question, with a report waiting: the report (a fifteenth
            # blind tester got "还有其他需要帮忙的吗？"; only "继续报修" resumed it).
            return [FollowupAction("outage_form")]
        dispatcher.utter_message(response="utter_anything_else")
        return []


def menu_choice(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]] | None:
    """A number right after the greeting's numbered menu chooses that entry (else None).

    The greeting lists what the bot does as 1–5; customers answer "2".
    """
    text = (tracker.latest_message.get("text") or "").strip().strip("。.、")
    if previous_bot_action(tracker) not in MENU_ACTIONS or text not in MENU_ENTRIES:
        return None
    entry = MENU_ENTRIES[text]
    if entry == "find_hotline":
        return hotline_reply(dispatcher, tracker)
    if entry == "faq":
        dispatcher.utter_message(text=render("menu_faq"))
        return []
    if entry == "check_case_status":
        return [SlotSet("case_action", "status"), FollowupAction("case_form")]
    return [FollowupAction(entry)]


async def button_choice(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> list[dict[str, Any]] | None:
    """A number picking one of the buttons the bot just sent, answered as that button.

    The payload is an intent ("/find_hotline{\"product\": \"DB2\"}", "/affirm") or
    the words of a clarifying offer ("技术支持热线电话是多少"). None: no such choice.
    """
    payload = chosen_payload(tracker.latest_message.get("text") or "", _last_buttons(tracker))
    if payload is None:
        return None
    request, entities = _request_of(payload)
    # "1" / "2" to "确定要关闭案例…吗？": the number is the answer (its text is neither).
    if request in ("affirm", "deny") and close_pending(tracker):
        return await answer_close_question(dispatcher, tracker, yes=request == "affirm")
    if request == "find_hotline":
        return hotline_reply(dispatcher, tracker, entities.get("product"))
    if request == "human_handoff":
        return await request_handoff(dispatcher, tracker, domain)
    if request in ("check_case_status", "escalate_case"):
        action = "status" if request == "check_case_status" else "escalate"
        return [
            SlotSet("case_action", action),
            SlotSet("case_note", payload),
            FollowupAction("case_form"),
        ]
    if request in FORM_OF_REQUEST:
        return [FollowupAction(FORM_OF_REQUEST[request])]
    # The answer chosen, as the domain words it (utter_faq/…, utter_bot_challenge).
    variants = (domain.get("responses") or {}).get(f"utter_{request}") or []
    if variants and variants[0].get("text"):
        dispatcher.utter_message(text=variants[0]["text"])
        return []
    return None


# Requests a chosen button starts a form for.
FORM_OF_REQUEST = {"report_outage": "outage_form", "check_contract": "contract_form"}


def _request_of(payload: str) -> tuple[str, dict[str, Any]]:
    """The intent and entities of a button's payload (a clarifying offer's, by its words)."""
    if not payload.startswith("/"):
        return request_of(payload) or "", {}
    name, brace, rest = payload[1:].partition("{")
    try:
        entities = json.loads(brace + rest) if brace else {}
    except json.JSONDecodeError:
        entities = {}
    return name, entities if isinstance(entities, dict) else {}


def _last_buttons(tracker: Tracker) -> list[dict[str, Any]]:
    """The buttons of the bot's last message with buttons before the customer's latest."""
    for event in reversed(previous_turn(tracker)):
        buttons = (event.get("data") or {}).get("buttons") if event.get("event") == "bot" else None
        if buttons:
            return list(buttons)
    return []


# The replies that list what the bot does in the menu's order: the greeting numbers
# them, the out-of-scope answer lists them in the same order (customers answer "1").
MENU_ACTIONS = ("utter_greet", "action_out_of_scope")
# The greeting's menu (utter_greet in domain.yml), by the number it gives each entry.
MENU_ENTRIES = {
    "1": "find_hotline",
    "2": "outage_form",
    "3": "contract_form",
    "4": "check_case_status",
    "5": "faq",
}


class ActionOutOfScope(Action):
    """Say what the bot can do; keep a request the DomainGate turned away for review.

    The gate answers "not our business" when a message the classifiers read as a
    request has no domain evidence. Most are chit-chat, but a real request worded in
    a way the evidence lists lack would otherwise be lost without a trace; recorded
    (kind ``gated``), it reaches ``python -m bot nlu review`` like any other miss.
    """

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Answer out of scope; record the gated request, if the gate made the call."""
        if ask_close_again(dispatcher, tracker):
            return []
        if adds_to_case(tracker):  # the addition the bot just asked for, in any words
            return await open_case_form(dispatcher, tracker, "add_info")
        if answered_after_hotline(dispatcher, tracker):
            return []
        if await callback_follow_up(dispatcher, tracker, note=False):
            return []  # "什么时候回我" after "留言 139…"
        if answered_online_request(dispatcher, tracker):
            return []
        dispatcher.utter_message(response="utter_out_of_scope")
        gated = tracker.latest_message.get(GATED_KEY)
        if gated:
            await record_miss(
                services().nlu_misses,
                tracker.sender_id,
                tracker.latest_message.get("text") or "",
                "gated",
                [gated],
                services().clock(),
            )
        return []


class ActionRepeatLast(Action):
    """Say the last answer again ("再说一遍", "没看清"), buttons and all."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_repeat_last"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Re-send the bot's messages of the last turn; with none, say what it can do."""
        answer = last_answer(tracker.events)
        if not answer:
            dispatcher.utter_message(response="utter_repeat_nothing")
        for message in answer:
            dispatcher.utter_message(**message)
        return []
