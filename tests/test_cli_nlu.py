"""``python -m bot nlu review``: list, label, export — subprocesses against a real database."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from bot.store import Database
from bot.store.nlu_misses import NluMissRepository
from tests.test_cli import bot, ok

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)


async def seed_misses(db_url: str) -> None:
    """Two texts, one of them twice, as the action server would have recorded them."""
    database = Database(db_url)
    try:
        repo = NluMissRepository(database)
        await repo.record("c1", "总部电话多少", "fallback", "find_hotline", 0.55, NOW)
        await repo.record("c2", "总部电话多少", "handoff", "find_hotline", 0.61, NOW)
        await repo.record("c3", "服务到期了咋整", "gated", "check_contract", 0.4, NOW)
    finally:
        await database.dispose()


# One backend: the subprocesses are slow, and the repository is tested on both.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_review_lists_labels_and_exports(db_url: str, tmp_path: Path) -> None:
    assert "暂无" in ok(db_url, "nlu", "review")
    await seed_misses(db_url)
    listed = json.loads(ok(db_url, "nlu", "review", "--json"))
    assert [(g["text"], g["count"], g["guess"], g["label"]) for g in listed] == [
        ("总部电话多少", 2, "find_hotline", None),
        ("服务到期了咋整", 1, "check_contract", None),
    ]
    table = ok(db_url, "nlu", "review")
    assert "总部电话多少" in table and "find_hotline 0.61" in table
    assert "转人工 handoff" in table and "答非本服务 gated" in table  # what the bot did

    hotline, expiry = listed[0]["id"], listed[1]["id"]
    bad = bot(db_url, "nlu", "review", "label", str(hotline), "hotline_please")
    assert bad.returncode == 1 and "unknown intent 'hotline_please'" in bad.stderr
    assert "find_hotline" in bad.stderr  # says what is allowed
    faq = bot(db_url, "nlu", "review", "label", str(hotline), "faq")
    assert faq.returncode == 1 and "faq/what_is_ppa" in faq.stderr
    assert bot(db_url, "nlu", "review", "label", str(hotline), "nlu_fallback").returncode == 1
    assert bot(db_url, "nlu", "review", "label", "999", "greet").returncode == 1
    assert "2 message" in ok(db_url, "nlu", "review", "label", str(hotline), "find_hotline")
    ok(db_url, "nlu", "review", "label", str(expiry), "faq/what_is_ppa")
    ok(db_url, "nlu", "review", "label", str(expiry), "check_contract")  # a second thought
    labels = {g["text"]: g["label"] for g in json.loads(ok(db_url, "nlu", "review", "--json"))}
    assert labels == {"总部电话多少": "find_hotline", "服务到期了咋整": "check_contract"}

    out = tmp_path / "nlu_reviewed.yml"
    assert "2 example" in ok(db_url, "nlu", "review", "export", "--out", str(out))
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data == {
        "version": "3.1",
        "nlu": [
            {"intent": "check_contract", "examples": "- 服务到期了咋整\n"},
            {"intent": "find_hotline", "examples": "- 总部电话多少\n"},
        ],
    }
