"""The desk's report lists what the bot misunderstood: the NLU review's groups, masked."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.services.nlu_review import record_miss
from bot.store import Database
from bot.store.nlu_misses import NluMissRepository
from tests.desk.conftest import Desk

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.7},
    {"name": "find_hotline", "confidence": 0.46},
]


async def test_report_page_shows_the_review_list(desk: Desk, db: Database) -> None:
    repo = NluMissRepository(db)
    now = datetime.now(timezone.utc)
    for conversation in ("c1", "c2", "c3"):
        await record_miss(repo, conversation, "总部号码13912345678在哪", "fallback", RANKING, now)
    await record_miss(repo, "c4", "嗯那个东西", "handoff", [], now)
    first = (await repo.groups())[0]
    await repo.label(first.id, "find_hotline")

    await desk.add_staff("sue", "supervisor")
    http, _ = await desk.client("sue")
    async with http, http.get("/reports") as response:
        page = await response.text()
    assert response.status == 200
    assert "13912345678" not in page
    row = page[page.index("总部号码139****5678在哪") :].split("</tr>")[0]
    assert "<td>3</td>" in row and "find_hotline (0.46)" in row and "<td>find_hotline</td>" in row
    assert page.index("总部号码139****5678在哪") < page.index("嗯那个东西")  # by frequency
