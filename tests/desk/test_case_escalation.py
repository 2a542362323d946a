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


async def test_a_change_made_on_a_stale_page_is_refused(desk: Desk) -> None:
    """A thirteenth blind tester: sue set 等待客户, then alice, on the page she had loaded
    before, set 已解决; both went to the customer within seconds."""
    import re

    for name in ("alice", "sue"):
        await desk.add_staff(name, "agent")
    case_id = await new_case(desk.services.db, "stale-1", sender_id="wx-stale-1")
    alice, alice_csrf = await desk.client("alice")
    sue, sue_csrf = await desk.client("sue")
    async with alice, sue:
        async with alice.get(f"/cases/{case_id}") as page:
            found = re.search(r'name="seen" value="([^"]*)"', await page.text())
        assert found is not None
        alice_seen = found.group(1)
        async with sue.get(f"/cases/{case_id}") as page:
            sue_seen = re.search(r'name="seen" value="([^"]*)"', await page.text())
        assert sue_seen is not None and sue_seen.group(1) == alice_seen
        form = {"csrf": sue_csrf, "seen": alice_seen, "status": "等待客户", "note": ""}
        async with sue.post(f"/cases/{case_id}/status", data=form) as done:
            assert done.status == 200  # back on the case page
        form = {"csrf": alice_csrf, "seen": alice_seen, "status": "已解决", "note": "补丁"}
        async with alice.post(f"/cases/{case_id}/status", data=form) as stale:
            assert stale.status == 409 and "等待客户" in await stale.text()
    state = await desk.services.case_desk_repo.state(case_id)
    assert state.desk_status == "等待客户"
