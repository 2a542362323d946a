"""The case-status and contract-check actions stop at the shared brute-force limit."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.cases import ActionCaseSubmit, ValidateCaseForm
from actions.contracts import ActionCheckContract
from bot.config import DEFAULT_IDENTITY_MAX_FAILURES
from tests.actions.helpers import DOMAIN, texts, tracker
from tests.services.test_cases import FIELDS


async def _run(action, t) -> str:
    d = CollectingDispatcher()
    await action.run(d, t, DOMAIN)
    return texts(d)


async def test_case_status_by_phone_locks_after_the_limit(services):
    case, _ = await services.cases.open(FIELDS, 2, "wechat", "owner", "intake-lock")
    wrong = {"case_id": case.case_id, "case_proof": "13911112222", "case_action": "status"}
    for _ in range(DEFAULT_IDENTITY_MAX_FAILURES - 1):
        assert case.case_id in await _run(ActionCaseSubmit(), tracker(slots=wrong, sender="x"))
    locked = services.identity.locked_text()
    assert await _run(ActionCaseSubmit(), tracker(slots=wrong, sender="x")) == locked
    # Now even the right phone from another conversation gets the same reply, and the
    # form stops asking for a phone.
    right = {**wrong, "case_proof": FIELDS["phone"]}
    assert await _run(ActionCaseSubmit(), tracker(slots=right, sender="y")) == locked
    slots = await ValidateCaseForm().required_slots(
        ["case_id", "case_proof"], CollectingDispatcher(), tracker(slots=wrong, sender="y"), DOMAIN
    )
    assert slots == ["case_id"]


async def test_contract_check_locks_after_the_limit(services):
    slots = {
        "cc_customer_number": "8800001",
        "cc_contract_number": "PPA-DEMO-0001",
        "cc_proof": "13900000000",
    }
    for n in range(DEFAULT_IDENTITY_MAX_FAILURES - 1):
        reply = await _run(ActionCheckContract(), tracker(slots=slots, sender=f"s-{n}"))
        assert reply != services.identity.locked_text()
    reply = await _run(ActionCheckContract(), tracker(slots=slots, sender="last"))
    assert reply == services.identity.locked_text()
    right = {**slots, "cc_proof": "13800000001"}
    reply = await _run(ActionCheckContract(), tracker(slots=right, sender="fresh"))
    assert reply == services.identity.locked_text()
