"""NLU review store on SQLite and PostgreSQL: record, group by text, label, export."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import yaml

from bot.services.nlu_review import miss_outcome, record_miss, training_yaml
from bot.store import Database
from bot.store.models import MISS_KINDS
from bot.store.nlu_misses import NluMissRepository
from bot.store.reports import ReportRepository

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)
RANKING = [{"name": "nlu_fallback", "confidence": 0.7}, {"name": "inform", "confidence": 0.41}]


async def test_record_masks_groups_by_frequency_and_labels(db: Database) -> None:
    repo = NluMissRepository(db)
    for i, text in enumerate(["打我电话 13912345678", "打我电话  13912345678", "嗯嗯那个"]):
        assert await record_miss(repo, f"c{i}", text, "fallback", RANKING, NOW + timedelta(i))
    await repo.record("c9", "嗯嗯那个", "handoff", "greet", 0.3, NOW + timedelta(days=5))
    await repo.record("c9", "合同 ****", "fallback", None, None, NOW)

    groups = await repo.groups()
    assert [(g.text, g.count) for g in groups] == [
        ("嗯嗯那个", 2),  # as often as the phone one, seen later
        ("打我电话 139****5678", 2),
        ("合同 ****", 1),
    ]
    assert "12345678" not in str([g.to_dict() for g in groups])
    assert (groups[0].guess, groups[0].confidence) == ("greet", 0.3)  # the latest guess
    assert (groups[0].kind, groups[1].kind) == ("handoff", "fallback")  # and what the bot did
    assert (groups[1].guess, groups[1].confidence) == ("inform", pytest.approx(0.41))
    assert groups[0].last_seen == NOW + timedelta(days=5)
    assert [g.text for g in await repo.groups(since=NOW + timedelta(days=3))] == ["嗯嗯那个"]
    assert len(await repo.groups(limit=1)) == 1

    assert await repo.label(groups[1].id, "human_handoff") == 2  # the whole group
    assert await repo.label(10_000, "greet") == 0
    await repo.record("c10", "打我电话 139****5678", "fallback", "inform", 0.5, NOW)
    labelled = await repo.labelled()
    assert labelled == {"human_handoff": ["打我电话 139****5678"]}  # new repeat kept the label
    assert [g.count for g in await repo.groups() if g.label == "human_handoff"] == [3]

    with pytest.raises(ValueError):
        await repo.record("c1", "x", "weird", None, None, NOW)


async def test_desk_report_lists_the_same_groups(db: Database) -> None:
    repo = NluMissRepository(db)
    await record_miss(repo, "c1", "邮箱 li.si@example.com 怎么弄", "fallback", RANKING, NOW)
    await record_miss(repo, "c2", "邮箱 li.si@example.com 怎么弄", "fallback", RANKING, NOW)
    report = await ReportRepository(db).report(NOW - timedelta(days=1))
    assert report.top_misunderstood == [g.to_dict() for g in await repo.groups()]
    assert report.top_misunderstood[0]["text"] == "邮箱 l***@example.com 怎么弄"
    assert report.top_misunderstood[0]["count"] == 2


async def test_a_store_failure_is_reported_not_raised(blank_db_url: str) -> None:
    database = Database(blank_db_url)  # no tables: every insert fails
    try:
        repo = NluMissRepository(database)
        assert await record_miss(repo, "c1", "你好呀", "fallback", RANKING, NOW) is False
    finally:
        await database.dispose()


def test_training_yaml_is_rasa_nlu_grouped_per_intent() -> None:
    text = training_yaml({"greet": ["哈喽 [x](y)", "哈喽  [x](y)"], "faq/what_is_ppa": ["ppa 啥"]})
    data = yaml.safe_load(text)
    assert data["version"] == "3.1"
    assert data["nlu"] == [
        {"intent": "faq/what_is_ppa", "examples": "- ppa 啥\n"},
        {"intent": "greet", "examples": "- 哈喽 ［x］(y)\n"},  # no entity annotation
    ]
    assert yaml.safe_load(training_yaml({}))["nlu"] == []


def test_every_kind_has_a_label_staff_read() -> None:
    labels = [miss_outcome(kind) for kind in MISS_KINDS]
    assert all(label not in MISS_KINDS for label in labels)  # not the raw kind
    assert len(set(labels)) == len(MISS_KINDS)
