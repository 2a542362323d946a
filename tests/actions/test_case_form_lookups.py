"""validate_case_form looks a case up once per run, not once per ``required_slots`` call."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.cases import ValidateCaseForm
from tests.actions.helpers import slot_events, tracker
from tests.services.test_cases import FIELDS

DOMAIN: dict[str, Any] = {
    "slots": {"case_id": {}, "case_proof": {}},
    "forms": {"case_form": {"required_slots": ["case_id", "case_proof"]}},
}


def counting(services: Any, monkeypatch: Any) -> list[str]:
    """Record every case the store is asked about."""
    asked: list[str] = []
    original = services.cases.lookup

    async def lookup(case_id: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(case_id)
        return await original(case_id, *args, **kwargs)

    monkeypatch.setattr(services.cases, "lookup", lookup)
    return asked


async def run_form(case_id: str, sender: str) -> dict[str, Any]:
    t = tracker(
        case_id,
        entities=[{"entity": "case_id", "value": case_id}],
        slots={"case_id": case_id, "requested_slot": "case_id"},
        sender=sender,
        channel="wechat",
        active_loop="case_form",
    )
    events = await ValidateCaseForm().run(CollectingDispatcher(), t, DOMAIN)
    return slot_events(events)


async def test_one_lookup_a_run_and_the_same_answers(services, monkeypatch):
    case, _ = await services.cases.open(FIELDS, 2, "wechat", "owner", "form-once")
    asked = counting(services, monkeypatch)
    # Someone else: Rasa's form asks the next slot (the phone). The owner: nothing more.
    assert "requested_slot" not in await run_form(case.case_id, "stranger")
    assert asked == [case.case_id]
    assert (await run_form(case.case_id, "owner"))["requested_slot"] is None
    assert asked == [case.case_id] * 2  # each run asks again: no answer outlives its run


async def test_concurrent_runs_keep_their_own_answers(services, monkeypatch):
    case, _ = await services.cases.open(FIELDS, 2, "wechat", "owner", "form-concurrent")
    asked = counting(services, monkeypatch)
    results = await asyncio.gather(
        *(run_form(case.case_id, sender) for sender in ("owner", "stranger") * 3)
    )
    assert [r.get("requested_slot", "phone") for r in results] == [None, "phone"] * 3
    assert len(asked) == 6
