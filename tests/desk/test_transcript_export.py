"""A case's conversation exported as a text file: every line, local time, audit-logged."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from bot.store.reports import EVENTS
from tests.desk.conftest import Desk
from tests.test_store_desk import new_case

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc)  # 09:30 in Asia/Shanghai


async def add_turns(desk: Desk, sender_id: str, turns: list[tuple[str, str]]) -> None:
    """Rasa's ``events`` table with ``turns`` of (type_name, text), one second apart."""
    async with desk.services.db.transaction() as session:
        await session.run_sync(lambda s: EVENTS.metadata.create_all(s.connection()))
        for i, (kind, text) in enumerate(turns):
            await session.execute(
                EVENTS.insert().values(
                    sender_id=sender_id,
                    type_name=kind,
                    timestamp=T0.timestamp() + i,
                    data=json.dumps({"text": text}, ensure_ascii=False),
                )
            )


async def test_agent_downloads_the_whole_conversation(desk: Desk) -> None:
    await desk.add_staff("alice", "agent")
    case_id = await new_case(desk.services.db, "export-1", sender_id="wx-export-1")
    await add_turns(
        desk,
        "wx-export-1",
        [("user", "DB2 宕机了"), ("bot", "请问您的姓名？"), ("user", "张演示")],
    )
    await add_turns(desk, "someone-else", [("user", "别人的话")])
    http, _ = await desk.client("alice")
    async with http:
        async with http.get(f"/cases/{case_id}") as page:
            assert f'href="/cases/{case_id}/transcript.txt"' in await page.text()
        async with http.get(f"/cases/{case_id}/transcript.txt") as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            assert f'filename="{case_id}.txt"' in response.headers["Content-Disposition"]
            text = await response.text()
        async with http.get("/cases/PMR-000000-0000/transcript.txt") as missing:
            assert missing.status == 404
    lines = text.splitlines()
    assert lines[0].startswith(f"案例 {case_id}") and "DB2" in lines[0]
    assert lines[-3:] == [
        "2026-03-02 09:30:00 客户：DB2 宕机了",
        "2026-03-02 09:30:01 机器人：请问您的姓名？",
        "2026-03-02 09:30:02 客户：张演示",
    ]
    assert "别人的话" not in text
    audit = await desk.services.audit.recent()
    assert ("alice", "export_transcript", case_id) in [
        (a.staff_name, a.action, a.target) for a in audit
    ]
