"""check_contract: identity first (customer or contract no. + phone / e-mail).

A caller verified once is not asked again in the same conversation: the proven
contract and proof are kept (slot ``proven_contract``) and checked against the store
again at each question, so a changed contact or contract is noticed.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import (
    ask_again_with,
    channel_of,
    entities_that_started,
    entity_values,
    form_answer,
    previous_bot_action,
    ran_since_message,
    services,
)
from bot.replies import render
from bot.services.hotline import general_line_text
from bot.services.hours import utc_now
from bot.services.identity import Verdict, conversation_key
from bot.services.wording import clean, is_unknown_answer, wording
from bot.store import StoreUnavailable
from bot.store.contracts import ContractRecord
from bot.textnorm import has_digit
from bot.validators import parse_phone

MAX_FAILURES = 3
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{3,29}")
_LETTER = re.compile(r"[A-Za-z]")
# A try at the phone or e-mail: digits of a number, or an address.
_PROOF_LIKE = re.compile(r"\d{4}|@")
# Requests that leave the contract form for their own flow (the rules in data/rules.yml).
LEAVES_CONTRACT_FORM = ("report_outage", "check_case_status", "escalate_case")
NUMBER_SLOTS = ("cc_customer_number", "cc_contract_number")


def proven_contract(tracker: Tracker) -> dict[str, str] | None:
    """The contract this conversation proved, when the numbers asked about are its own.

    No numbers given ("再查一下合同") means that contract; any number given must be
    its customer or contract number, else it is another contract and needs its proof.
    """
    proven = _proven_slot(tracker)
    if not proven.get("proof"):
        return None
    own = {proven.get("customer_number"), proven.get("contract_number")}
    given = [tracker.get_slot(s) for s in NUMBER_SLOTS]
    if all(value is None or value in own for value in given):
        return proven
    return None


def proven_value(contract: Any, proof: str) -> dict[str, str]:
    """The ``proven_contract`` slot's value: ``contract`` proven by ``proof``.

    A report next takes its number, company and phone instead of asking (a twelfth
    blind tester was asked the company and phone of the contract just proven).
    """
    return {
        "customer_number": contract.customer_number,
        "contract_number": contract.contract_number,
        "proof": proof,
        "company": contract.company,
    }


def proven_contact(tracker: Tracker) -> dict[str, str]:
    """What a report may take from the contract just proven: its number, its company
    and the phone that proved it (not an e-mail), each only when known."""
    proven = _proven_slot(tracker)
    taken = {
        "contract_number": proven.get("contract_number"),
        "company": proven.get("company"),
        "phone": parse_phone(proven.get("proof")),
    }
    return {k: v for k, v in taken.items() if v} if proven.get("proof") else {}


def proven_contract_number(tracker: Tracker) -> str | None:
    """The contract number this conversation's contract check proved, if any."""
    return _proven_slot(tracker).get("contract_number")


def _proven_slot(tracker: Tracker) -> dict[str, str]:
    """The ``proven_contract`` slot (empty when nothing was proven)."""
    proven = tracker.get_slot("proven_contract")
    return proven if isinstance(proven, dict) else {}


class ValidateContractForm(FormValidationAction):
    """Fills the three contract-check slots from entities or the plain answer."""

    def name(self) -> str:
        return "validate_contract_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Either number with the proof; nothing more for a contract proven before."""
        if proven_contract(tracker):
            return []
        customer, contract = (tracker.get_slot(s) for s in NUMBER_SLOTS)
        if contract and not customer:
            return [s for s in domain_slots if s != "cc_customer_number"]
        if customer and not contract:
            return [s for s in domain_slots if s != "cc_contract_number"]
        return domain_slots

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """rasa-sdk's validation, keeping a number cleared by :func:`_replaced_pair`.

        rasa-sdk drops set slots that are not required any more, and a cleared number is
        not: without this the stale one stayed and was checked with the new one.
        """
        events = await super().get_validation_events(dispatcher, tracker, domain)
        cleared = [
            SlotSet(slot, None)
            for slot, value in tracker.slots_to_validate().items()
            if slot in NUMBER_SLOTS and value is None
        ]
        return [*events, *cleared]

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if ran_since_message(tracker, "action_check_contract"):
            return []  # re-opened after a failed check: that message was the tried proof
        answer = form_answer(tracker, leaves=LEAVES_CONTRACT_FORM)
        if answer is None:
            return []
        requested, text = answer
        values: dict[str, Any] = {}
        for entity, slot in (
            ("customer_number", "cc_customer_number"),
            ("contract_number", "cc_contract_number"),
        ):
            found = entity_values(tracker, entity)
            if found:
                values[slot] = found[0]
        proof = entity_values(tracker, "phone") + entity_values(tracker, "email")
        if proof:
            values["cc_proof"] = proof[0]
        values.update(_replaced_pair(tracker, values))
        if requested and requested not in values and values:
            # "13800000001" asked for the contract number is the phone given early: kept
            # as the proof, not also tried as the contract number.
            switched = [
                values[slot]
                for slot in NUMBER_SLOTS
                if values.get(slot) and tracker.get_slot(slot) not in (None, values[slot])
            ]
            if switched:
                # "那8800003呢" after 8800001: the check is now of that number, and says so
                # (a sixteenth blind tester's phone for 8800001 was then refused unawares).
                dispatcher.utter_message(
                    text=render("contract_number_switched", number=switched[0])
                )
            elif not (requested == "cc_customer_number" and "cc_contract_number" in values):
                dispatcher.utter_message(text=render("noted_ahead"))
            return [SlotSet(k, v) for k, v in values.items()]
        if requested and requested not in values and text:
            if is_unknown_answer(text):
                # "没有 / 忘了": where to find it; checking it would spend a verification try.
                key = "contract_proof_help" if requested == "cc_proof" else "contract_ids_help"
                if requested != "cc_proof" and wording().has_any("no_contract_words", clean(text)):
                    # "都说了没有合同啊": PPA support is the contract's; where else to go
                    # (a tenth blind tester was asked for the number again and again).
                    general = general_line_text(services().hotline.catalogue)
                    hint = render("contract_none", general=general)
                    return ask_again_with(dispatcher, requested, hint)
                return ask_again_with(dispatcher, requested, render(key))
            if requested == "cc_proof":
                if not _PROOF_LIKE.search(text):
                    # "那我们合同什么时候到期" at the phone question is no wrong phone: a
                    # twelfth blind tester's questions spent the three tries and locked.
                    return ask_again_with(dispatcher, requested, render("contract_proof_first"))
                values[requested] = text
            elif m := _number_in(text, entity_values(tracker, "error_code")):
                # Customer numbers are digits; with letters it is the contract number,
                # which the question allows instead.
                given_contract = requested == "cc_customer_number" and _LETTER.search(m.group())
                values["cc_contract_number" if given_contract else requested] = m.group()
        return [SlotSet(k, v) for k, v in values.items()]


def _number_in(text: str, error_codes: list[str]) -> re.Match[str] | None:
    """The first word of ``text`` that can be a customer or contract number.

    It has a digit and is no error code: "部分页面返回500，SystemOut里有 SRVE0777E", a
    report's answer sent at this question, was tried as contract number "SystemOut"
    (a fourteenth blind tester).
    """
    codes = {code.lower() for code in error_codes}
    for m in _ID.finditer(text):
        word = m.group()
        if has_digit(word) and word.lower() not in codes:
            return m
    return None


def _replaced_pair(tracker: Tracker, values: dict[str, Any]) -> dict[str, Any]:
    """The other number cleared when one number is given anew.

    After "无法核实" a blind tester sent the right contract number; the customer number
    from before was still checked with it, so the right phone failed until locked.
    """
    given = [slot for slot in NUMBER_SLOTS if slot in values]
    if len(given) != 1:
        return {}
    other = next(slot for slot in NUMBER_SLOTS if slot not in given)
    return {other: None} if tracker.get_slot(other) else {}


class ActionCheckContract(Action):
    """Describe the contract to a verified caller; one neutral answer otherwise."""

    def name(self) -> str:
        return "action_check_contract"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        svc = services()
        customer, contract_no, proof = (
            tracker.get_slot(s) for s in ("cc_customer_number", "cc_contract_number", "cc_proof")
        )
        clear = [SlotSet(s, None) for s in ("cc_customer_number", "cc_contract_number", "cc_proof")]
        proven = proven_contract(tracker)
        if proven and not proof:
            customer, contract_no, proof = (
                proven.get("customer_number"),
                proven.get("contract_number"),
                proven["proof"],
            )
        if not ((contract_no or customer) and proof):
            return clear
        try:
            verdict = await _verify(tracker, customer, contract_no, proof)
        except StoreUnavailable:
            dispatcher.utter_message(response="utter_store_unavailable")
            return clear
        contract = verdict.value
        if verdict.locked:
            dispatcher.utter_message(text=svc.identity.locked_text())
            return [*clear, SlotSet("cc_failures", 0)]
        if contract is None:
            failures = int(tracker.get_slot("cc_failures") or 0) + 1
            if failures >= MAX_FAILURES:
                dispatcher.utter_message(response="utter_too_many_failures")
                dispatcher.utter_message(
                    text=svc.hotline.handoff_text(None, tracker.get_slot("region"), utc_now())
                )
                return [*clear, SlotSet("cc_failures", 0)]
            # Another try at once: the numbers stay (the customer may send corrected
            # ones instead) and the form asks for the phone or e-mail again.
            dispatcher.utter_message(text=render("contract_unverified"))
            return [
                SlotSet("cc_proof", None),
                SlotSet("cc_failures", failures),
                FollowupAction("contract_form"),
            ]
        asked = entities_that_started(tracker, "contract_form", "product")
        already_shown = (
            proven is not None and proven.get("contract_number") == contract.contract_number
        )
        if not (asked and already_shown):
            # "包不包括informix" about the contract just shown: only the answer (a blind
            # tester got the whole contract again before it).
            dispatcher.utter_message(text=svc.contracts.describe(contract, svc.today()))
        if asked:
            dispatcher.utter_message(text=svc.contracts.coverage_text(contract, asked))
        remembered = proven_value(contract, proof)
        return [*clear, SlotSet("cc_failures", 0), SlotSet("proven_contract", remembered)]


async def coverage_follow_up(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[dict[str, Any]] | None:
    """ "那Notes呢" right after the contract was shown: whether it covers that product.

    A twelfth blind tester got the product's hotline instead. None when the message is
    no such follow-up (no product, or the previous answer was not the contract).
    """
    products = entity_values(tracker, "product")
    proven = proven_contract(tracker)
    if not products or not proven or previous_bot_action(tracker) != "action_check_contract":
        return None
    try:
        verdict = await _verify(
            tracker, proven.get("customer_number"), proven.get("contract_number"), proven["proof"]
        )
    except StoreUnavailable:
        dispatcher.utter_message(response="utter_store_unavailable")
        return []
    if verdict.value is None:
        return None  # changed since it was proven: the check is asked again as usual
    dispatcher.utter_message(text=services().contracts.coverage_text(verdict.value, products))
    return []


async def _verify(
    tracker: Tracker, customer: str | None, contract_no: str | None, proof: str
) -> Verdict[ContractRecord]:
    """The contract for this conversation's caller, under the guard's limits."""
    conversation = conversation_key(channel_of(tracker), tracker.sender_id)
    return await services().contracts.verify_caller(conversation, customer, contract_no, proof)
