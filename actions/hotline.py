"""find_hotline, and the fallback: it offers what the NLU hesitated between, and hands
off on the second miss (actions.handoff)."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cases import adds_to_case, answered_close, ask_close_again, open_case_form
from actions.context import (
    earlier_user_event,
    entity_values,
    first,
    previous_bot_action,
    services,
)
from actions.handoff import asks_for_callback, callback_follow_up, request_handoff
from actions.intake import start_intake
from bot.replies import render
from bot.services.cases import is_close_request
from bot.services.clarify import candidates
from bot.services.contact_details import has_identity_values
from bot.services.hours import utc_now
from bot.services.intake import is_pasted_log
from bot.services.nlu_review import record_miss
from bot.services.products import (
    as_written,
    bare_product,
    resolve_products,
    unknown_product_name,
)
from bot.services.wording import clean, wording
from bot.textnorm import has_content

PAO_WORDS = ("pao", "passport")
# What ``hotline_product`` holds after the PAO help line alone was given: "我在上海"
# right after it means that line's southern number (the line is no catalogue product).
PAO_LINE = "PAO"
# The FAQ answer that gives the PAO help line's two numbers.
PAO_LOGIN_FAQ = "faq/pao_login_help"


def hotline_reply(
    dispatcher: CollectingDispatcher, tracker: Tracker, chosen: str | None = None
) -> list[dict[str, Any]]:
    """Numbers for the products (and region) in the message, or ask which product.

    Shared by ``action_find_hotline`` and ``action_route_inform`` (a product named
    after "which product?", or ``chosen`` by its number in the list); returns the
    events for the hotline slots.
    """
    svc = services()
    text = (tracker.latest_message.get("text") or "").lower()
    products = [chosen] if chosen else entity_values(tracker, "product")
    if not products:
        products = [p.name for p in svc.hotline.catalogue.find_products(text)]
    pao = any(w in text for w in PAO_WORDS)
    if not products and not pao and (previous := follow_up_product(tracker)):
        # "我在沈阳 打哪个" right after the Cognos numbers (or the PAO line's)
        if previous == PAO_LINE:
            pao = True
        else:
            products = [previous]
    if not products and not pao and wording().has_any("resend_words", text):
        # "那个号码再发一下": the line last given, or the product of the case just opened.
        last = tracker.get_slot("hotline_product") or tracker.get_slot("last_case_product")
        if last == PAO_LINE:
            pao = True
        elif last:
            products = [str(last)]
    if not products and not pao and not wording().has_any("general_line_words", text):
        # "Domino发不出邮件，算几级" then "那我先打电话吧，号码多少": the product just
        # named (a fourteenth blind tester got the list of products).
        products = _product_just_named(tracker)
        if not products and (
            known := tracker.get_slot("product") or tracker.get_slot("last_case_product")
        ):
            # "热线多少？" in the middle of a DB2 report, or about its case: that line (a
            # seventeenth blind tester got the product menu).
            products = [str(known)]
    original = tracker.latest_message.get("text") or ""
    if not products and not pao:
        # "SPSS 的热线是多少": a product the guide lacks gets the general line and says
        # so, instead of the list of families without it (a blind tester).
        named = unknown_product_name(original, svc.hotline.catalogue)
        products = [named] if named else []
    products, guessed = resolve_products(products, text, svc.hotline.catalogue)
    products = [as_written(original, p) for p in products]  # "Guardium", not "guardium"
    regions = entity_values(tracker, "region")  # without repeats
    if len(regions) > 1:
        # "上海算南方还是北方": the place decides; "南方北方的都要" gets both numbers.
        region = svc.hotline.catalogue.region_of(text)
    else:
        region = svc.hotline.catalogue.region_of(first(regions) or text) or tracker.get_slot(
            "region"
        )
    abroad = svc.hotline.catalogue.is_outside_mainland(text)
    reply = svc.hotline.answer(
        products, region, utc_now(), pao=pao, abroad=abroad, hours_told=_hours_told(tracker)
    )
    if reply.choices:
        buttons = [
            {"title": title, "payload": "/find_hotline" + json.dumps({"product": product})}
            for title, product in reply.choices
        ]
        dispatcher.utter_message(text=reply.text, buttons=buttons)
        # The region said with no product ("华南的呢") holds for the product chosen next.
        return [SlotSet("hotline_pending", True), *([SlotSet("region", region)] if region else [])]
    # A near miss ("infomix") is answered, and named so the customer can object.
    guesses = "".join(render("product_did_you_mean", product=p) for p in guessed)
    dispatcher.utter_message(text=guesses + reply.text)
    return [
        SlotSet("hotline_pending", False),
        SlotSet("region", region),
        SlotSet("hotline_product", _answered_line(products, pao)),
    ]


def _product_just_named(tracker: Tracker) -> list[str]:
    """The one product of the customer's previous message, if it named exactly one."""
    earlier = earlier_user_event(tracker) or {}
    named = {
        str(e.get("value"))
        for e in (earlier.get("parse_data") or {}).get("entities") or []
        if e.get("entity") == "product"
    }
    return list(named) if len(named) == 1 else []


def _hours_told(tracker: Tracker) -> bool:
    """True when an earlier reply of this conversation gave the service hours."""
    hours = services().hotline.hours_sentence()
    return any(e.get("event") == "bot" and hours in (e.get("text") or "") for e in tracker.events)


def _answered_line(products: list[str], pao: bool) -> str | None:
    """The one product (or the PAO line) just answered, for a region said next."""
    if pao:
        return None if products else PAO_LINE
    return products[0] if len(products) == 1 else None


HOTLINE_ACTIONS = {"action_find_hotline", "action_route_inform", "action_fallback"}
# Rasa's own answer to a retrieval intent, and ours that replaced it (actions.faq).
FAQ_ACTIONS = {"utter_faq", "action_answer_faq"}
HOURS_FAQS = {"faq/after_hours_urgent", "faq/support_hours"}


def product_question_pending(tracker: Tracker) -> bool:
    """Whether the bot's last answer asked "which product?" for a hotline.

    The slot alone outlives the question: a phone sent after a failed case look-up,
    several turns later, got the product list again (a thirteenth blind tester).
    """
    return bool(tracker.get_slot("hotline_pending")) and (
        previous_bot_action(tracker) in HOTLINE_ACTIONS
    )


def follow_up_product(tracker: Tracker) -> str | None:
    """The product of the numbers just given, when this message only adds a region.

    "广东的" or "我在沈阳 打哪个" after the Cognos numbers means Cognos in that region;
    later in the conversation a region alone means no product.
    """
    if not entity_values(tracker, "region") or entity_values(tracker, "product"):
        return None
    previous = previous_bot_action(tracker)
    if after_pao_help(tracker, previous):
        return PAO_LINE  # "北方区号码再发一下" after the PAO login help's two numbers
    if previous not in HOTLINE_ACTIONS:
        return None
    product = tracker.get_slot("hotline_product")
    return str(product) if product else None


def after_pao_help(tracker: Tracker, previous: str | None) -> bool:
    """Whether the bot's last answer (``previous``) was the PAO login help's two numbers."""
    return previous in FAQ_ACTIONS and previous_faq(tracker) == PAO_LOGIN_FAQ


def answered_after_hotline(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Answer a question about the number just given; False when it is none.

    Out of context such a message may be about anyone's phone (the NLU rules need our
    words); right after our number it is about ours: "电话打不通还有别的办法吗", "这个
    要钱吗" / "手机能打吗" (a twelfth blind tester got the off-topic answer) and "周末打得
    通吗" (the guide's after-hours rule).
    """
    previous = previous_bot_action(tracker)
    text, w = clean(tracker.latest_message.get("text")), wording()
    # "周日" right after the after-hours answer to "节假日呢" is the same question (a
    # sixteenth blind tester's was not understood).
    hours_again = (
        previous in FAQ_ACTIONS
        and previous_faq(tracker) in HOURS_FAQS
        and w.has_any("hours_question_words", text)
    )
    if (
        previous not in HOTLINE_ACTIONS
        and not after_pao_help(tracker, previous)
        and not hours_again
    ):
        return False
    if w.has_any("unreachable_words", text):
        dispatcher.utter_message(response="utter_faq/phone_unreachable")
    elif w.has_any("calling_question_words", text):
        dispatcher.utter_message(response="utter_faq/calling_tips")
    elif services().hotline.catalogue.is_outside_mainland(text):
        # "国外能打吗" right after the DB2 number (a sixteenth blind tester: off-topic).
        dispatcher.utter_message(text=services().hotline.outside_mainland_text())
    elif w.has_any("hours_question_words", text):
        dispatcher.utter_message(response="utter_faq/after_hours_urgent")
    else:
        return False
    return True


def answered_online_request(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Answer "在线提交的话多久有人回"; False for any other message.

    The guide gives the phone's two hours, not the online request's: a sixteenth blind
    tester's question was off-topic.
    """
    text, w = clean(tracker.latest_message.get("text")), wording()
    if not (w.has_any("online_request_words", text) and w.has_any("when_words", text)):
        return False
    url = services().hotline.catalogue.websites["service_request"]
    dispatcher.utter_message(text=render("online_request_when", service_request=url))
    return True


def previous_faq(tracker: Tracker) -> str | None:
    """The FAQ topic ("faq/pao_login_help") of the customer's message before this one."""
    earlier = earlier_user_event(tracker)
    intent = ((earlier or {}).get("parse_data") or {}).get("intent") or {}
    return intent.get("full_retrieval_intent_name")


class ActionFindHotline(Action):
    """Numbers for the products (and region) in the message, or ask which product."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_find_hotline"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Answer with the numbers, or with the product families to choose from."""
        if (tracker.active_loop or {}).get("name") == "outage_form" and tracker.get_slot(
            "requested_slot"
        ) == "product":
            # A bare product name at the intake's product question is its answer; the
            # form asks "您是指 … 吗？" and checks it against the contract on a yes.
            text = (tracker.latest_message.get("text") or "").lower()
            bare = bare_product(text, services().hotline.catalogue)
            if bare is not None:
                return [SlotSet("product_candidate", bare.product.name)]
        text = tracker.latest_message.get("text") or ""
        if not tracker.active_loop and is_pasted_log(
            text, tracker.latest_message.get("entities") or []
        ):
            # A db2diag excerpt as the first message is a fault to report, not a
            # hotline question (a fifteenth blind tester got the DB2 number, and the
            # log was lost): the report starts with the log as its error log.
            return start_intake(dispatcher, tracker)
        if await callback_follow_up(dispatcher, tracker, note=False):
            return []  # "我刚才留的号码是多少" after "留言 139…"
        if answered_number_owner(dispatcher, tracker) or answered_registered_details(
            dispatcher, tracker
        ):
            return []
        return hotline_reply(dispatcher, tracker)


def answered_registered_details(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Say that registered contact details are not given out, when they are asked for.

    "我忘了登记的电话了，你告诉我是哪个号码吧", "8800002这个客户的联系电话是多少", "我们公司
    名称登记的是什么": a sixteenth blind tester got the product menu or the handoff text.
    The guide asks customers to keep these details from strangers; the company's PPA
    contact has them.
    """
    said, w = clean(tracker.latest_message.get("text")), wording()
    numbered = entity_values(tracker, "customer_number") or entity_values(
        tracker, "contract_number"
    )
    asks = (w.has_any("registered_words", said) and w.has_any("contact_detail_words", said)) or (
        # "8800002这个客户的联系电话是多少"; "8800001的热线电话" asks for ours.
        bool(numbered) and w.has_any("contact_person_words", said)
    )
    if not asks or entity_values(tracker, "product") or not w.has_any("asking_words", said):
        return False
    dispatcher.utter_message(text=render("registered_details_private"))
    return True


def asks_to_report(tracker: Tracker) -> bool:
    """True for a report asked for with the customer's details or a product's fault.

    "我要报修，我是李四，星辰公司，电话137…，客户号8800002，DB2 生产库宕机了" fell between
    a report and an answer (a seventeenth blind tester got "please rephrase").
    """
    text = clean(tracker.latest_message.get("text"))
    entities = tracker.latest_message.get("entities") or []
    if not wording().has_any("report_words", text):
        return False
    fault = bool(entity_values(tracker, "product")) and wording().has_any("fault_words", text)
    return has_identity_values(entities) or fault


def answered_number_owner(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Say whose line a number of the guide is, when the message asks; False otherwise.

    "10800-261-0417是哪个产品的电话" got the product menu (a sixteenth blind tester).
    """
    text = tracker.latest_message.get("text") or ""
    if not wording().has_any("whose_number_words", clean(text)):
        return False
    owner = services().hotline.number_owner_text(text)
    if owner is None:
        return False
    dispatcher.utter_message(text=owner)
    return True


class ActionFallback(Action):
    """Offer what the NLU hesitated between, or ask to rephrase; the second time, a human."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Ask for text, offer choices or ask to rephrase, or hand off after two misses."""
        if not has_content(tracker.latest_message.get("text") or ""):
            dispatcher.utter_message(text=render("please_type"))
            return []
        if (answered := await answered_close(dispatcher, tracker)) is not None:
            return answered  # "不关" to the close question
        if ask_close_again(dispatcher, tracker):
            return []
        if asks_for_callback(tracker):  # "我要回电": a person, by phone
            return await request_handoff(dispatcher, tracker, domain)
        if await callback_follow_up(dispatcher, tracker, note=True):
            return []  # "我叫李雷，是informix的问题，麻烦早点回" after "留言 139…"
        if answered_online_request(dispatcher, tracker) or answered_registered_details(
            dispatcher, tracker
        ):
            return []
        if asks_to_report(tracker):
            return start_intake(dispatcher, tracker)
        if tracker.get_slot("last_case_id") and is_close_request(
            tracker.latest_message.get("text")
        ):
            # "备份已经成功了，不用再跟进了": this conversation's case (confirmed first).
            return await open_case_form(dispatcher, tracker, "close")
        if adds_to_case(tracker):  # the addition the bot just asked for, in any words
            return await open_case_form(dispatcher, tracker, "add_info")
        if follow_up_product(tracker):  # "广东的" after a product's numbers
            return hotline_reply(dispatcher, tracker)
        if answered_after_hotline(dispatcher, tracker):
            return []
        # Two misunderstandings in a row hand over: one long ago does not count (an
        # eleventh blind tester's first message after a handoff queued them again).
        in_a_row = previous_bot_action(tracker) == "action_fallback"
        count = (int(tracker.get_slot("fallback_count") or 0) if in_a_row else 0) + 1
        await record_miss(
            services().nlu_misses,
            tracker.sender_id,
            tracker.latest_message.get("text") or "",
            "handoff" if count >= 2 else "fallback",
            tracker.latest_message.get("intent_ranking") or [],
            services().clock(),
        )
        if count >= 2:
            return [
                *await request_handoff(dispatcher, tracker, domain),
                SlotSet("fallback_count", 0),
            ]
        offers = candidates(tracker.latest_message)
        if offers:
            buttons = [{"title": o.label, "payload": o.say} for o in offers]
            dispatcher.utter_message(text=render("clarify"), buttons=buttons)
        else:
            dispatcher.utter_message(text=render("rephrase"))
        return [SlotSet("fallback_count", count)]
