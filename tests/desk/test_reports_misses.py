"""The desk's report page: charts of what happened, and what the bot misunderstood."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

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
    # Count, guess, what the bot did, label: one cell each.
    assert '<td class="nowrap">3</td>' in row and "<td>find_hotline (0.46)</td>" in row
    assert '<td class="nowrap">请换说法</td>' in row
    assert '<td class="nowrap">find_hotline</td>' in row
    assert page.index("总部号码139****5678在哪") < page.index("嗯那个东西")  # by frequency


async def test_report_page_charts_cases_per_day_by_severity_and_product(
    desk: Desk, db: Database
) -> None:
    from tests.desk.test_transcript_export import add_events
    from tests.test_store_desk import new_case

    for n, (severity, product) in enumerate([(1, "DB2"), (2, "DB2"), (2, "WebSphere MQ")]):
        await new_case(db, f"chart-{n}", severity=severity, product=product)
    now = datetime.now(timezone.utc)
    await add_events(db, [("wx-1", "user", now), ("wx-2", "user", now)])
    await desk.add_staff("sue", "supervisor")
    http, _ = await desk.client("sue")
    async with http, http.get("/reports?days=7") as response:
        page = await response.text()

    def figure(caption: str) -> str:
        start = page.index(f"<figcaption>{caption}</figcaption>")
        return page[start : page.index("</figure>", start)]

    # Matplotlib names each text it draws in a comment: the legend and the day labels.
    today = now.date().isoformat()[5:]
    by_severity = figure("每日新案例 · 按严重程度")
    assert "<svg" in by_severity and "<!-- S1 -->" in by_severity and "<!-- S2 -->" in by_severity
    assert f"<!-- {today} -->" in by_severity
    by_product = figure("每日新案例 · 按产品（前 5 位）")
    assert "<!-- DB2 -->" in by_product and "<!-- WebSphere MQ -->" in by_product
    assert "<svg" in figure("每日会话数")
    assert 'href="/reports/transcripts.csv?days=7"' in page
    week_ago = (now - timedelta(days=7)).date().isoformat()[5:]
    assert f"<!-- {week_ago} -->" in by_severity  # the empty days are on the axis too
