"""Staff escalate a case to stage 3: the customer is told, the reason stays internal."""

from __future__ import annotations

from bot.services.cases import CaseService
from bot.store.cases import CaseRepository
from bot.store.handoffs import HandoffRepository
from tests.desk.conftest import Desk
from tests.test_store_desk import new_case

REASON = "需要实验室复现，客户操作失误"


async def test_escalation_tells_the_customer_and_keeps_the_reason_internal(desk: Desk) -> None:
    """A thirteenth blind tester's reason was read back to the customer by the bot, and the
    customer was never told the case had been escalated."""
    await desk.add_staff("alice", "agent")
    db = desk.services.db
    case_id = await new_case(db, "esc-1", sender_id="wx-esc-1")
    http, csrf = await desk.client("alice")
    async with http:
        async with http.post(
            f"/cases/{case_id}/escalate",
            data={"csrf": csrf, "note": REASON},
            allow_redirects=False,
        ) as response:
            assert response.status == 302, await response.text()
        async with http.get(f"/cases/{case_id}") as page:
            html = await page.text()
        async with http.post(
            f"/cases/{case_id}/escalate", data={"csrf": csrf, "note": ""}, allow_redirects=False
        ) as again:
            assert again.status == 409 and "已在第三阶段" in await again.text()
    assert REASON in html and "第 3 阶段" in html  # staff see why
    # The customer: one message in their channel (it waits for their next turn here) …
    told = [m.text for m in await HandoffRepository(db).take_pending("wx-esc-1")]
    assert len(told) == 1 and case_id in told[0] and "第三阶段" in told[0]
    assert REASON not in told[0]
    # … and the bot's status answer says it was escalated, not why.
    case = await CaseRepository(db).get(case_id)
    assert case is not None and case.status == "escalated"
    text = CaseService(CaseRepository(db)).status_text(case)
    assert "升级" in text and REASON not in text
