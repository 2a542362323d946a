"""The case page says what the case's contract covers today, and who reported it.

The bot tells a caller who is not the contract's registered contact nothing about the
contract (a blind tester listed a stranger's products one refusal at a time), so the
desk is where staff see that a report is on an expired or uncovered contract.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.store.demo import seed_demo
from tests.desk.conftest import Desk
from tests.test_store_desk import new_case

ROW = re.compile(r'<dd id="entitlement">([^<]*)</dd>')


async def entitlement(desk: Desk, case_id: str) -> str:
    http, _ = await desk.client("alice")
    async with http, http.get(f"/cases/{case_id}") as page:
        assert page.status == 200
        found = ROW.search(await page.text())
    assert found is not None
    return found.group(1)


async def test_the_case_page_shows_the_contract_for_the_cases_product(desk: Desk) -> None:
    await seed_demo(desk.services.db, dt.date.today())
    await desk.add_staff("alice", "agent")
    db = desk.services.db
    covered = await new_case(db, "e1")  # DB2 on PPA-DEMO-0001, from its registered phone
    stranger_uncovered = await new_case(db, "e2", product="Cognos", phone="13711112222")
    expired = await new_case(
        db, "e3", product="Informix", customer_number="8800004", contract_number="PPA-DEMO-0004"
    )
    unknown = await new_case(db, "e4", customer_number=None, contract_number="PPA-NONE-9999")

    text = await entitlement(desk, covered)
    assert text.startswith("有效，覆盖 DB2") and "是合同联系电话" in text
    text = await entitlement(desk, stranger_uncovered)
    assert text.startswith("有效，但不含 Cognos") and "不是合同联系电话" in text
    assert (await entitlement(desk, expired)).startswith("已于 ")
    assert "到期" in await entitlement(desk, expired)
    assert await entitlement(desk, unknown) == "库中没有这个编号"
