"""The desk benchmark's own logic: seeded rows, request URLs, targets, table (no servers)."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from datetime import datetime, timezone

from bench.desk import FILTERS, page_paths
from bench.desk_seed import (
    OPEN_HANDOFFS,
    SPAN,
    Plan,
    Seeded,
    case_rows,
    event_rows,
    handoff_rows,
    handoff_statuses,
)
from bench.report import finish_report, render, render_desk
from bench.targets import evaluate_desk_targets
from bot.store.models import SEVERITIES
from bot.validators import normalise_case_id
from tests.bench.helpers import report

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)


def rng(seed: int) -> random.Random:
    """Reproducible test data."""
    return random.Random(seed)  # noqa: S311  (no secrets here)


def test_case_rows_are_valid_distinct_cases_of_the_period() -> None:
    rows = case_rows(Plan(cases=3000), NOW, rng(1))
    ids = [r["case_id"] for r in rows]
    assert len(set(ids)) == 3000  # distinct, and in the store's own id format
    assert all(normalise_case_id(i) == i for i in ids)
    assert {r["severity"] for r in rows} == set(SEVERITIES)
    assert all(NOW - SPAN <= r["created_at"] <= NOW for r in rows)
    assert all(r["response_due_at"] >= r["created_at"] for r in rows)


def test_event_rows_add_up_to_the_plan_in_turn_order() -> None:
    plan = Plan(cases=7, events=100)
    cases = case_rows(plan, NOW, rng(2))
    events = list(event_rows(plan, cases, rng(2)))
    assert len(events) == 100  # 100 = 7 × 14 + 2: the remainder goes to the first ones
    per_conversation = Counter(e["sender_id"] for e in events)
    assert sorted(per_conversation.values()) == [14] * 5 + [15] * 2
    first = [e for e in events if e["sender_id"] == cases[0]["sender_id"]]
    assert [e["timestamp"] for e in first] == sorted(e["timestamp"] for e in first)
    said = [e for e in events if e["type_name"] in ("user", "bot")]
    assert said and all(json.loads(e["data"])["text"] for e in said)
    assert all(e["intent_name"] for e in events if e["type_name"] == "user")


def test_handoffs_open_ones_first_then_closed() -> None:
    statuses = handoff_statuses(100)
    assert Counter(statuses) == {**OPEN_HANDOFFS, "closed": 100 - sum(OPEN_HANDOFFS.values())}
    assert handoff_statuses(5) == ["waiting"] * 5
    cases = case_rows(Plan(cases=80), NOW, rng(3))
    rows = handoff_rows(Plan(cases=80, handoffs=100), cases, agent_id=1)
    assert len(rows) == 80  # one per conversation: the database allows one open each
    assert len({r["conversation_id"] for r in rows}) == 80
    assert all((r["taken_at"] is None) == (r["agent_id"] is None) for r in rows)


def test_page_paths_rotate_ids_and_filters() -> None:
    seeded = Seeded(
        case_ids=[f"PMR-261204-{n:04d}" for n in range(100)],
        handoff_ids={"active": [1, 2], "closed": [3, 4, 5, 6]},
    )
    paths = page_paths(seeded, 8)
    assert {len(urls) for urls in paths.values()} == {8}
    assert paths["handoff page"][:4] == ["/handoffs/1", "/handoffs/2", "/handoffs/3", "/handoffs/4"]
    assert len(set(paths["case page"])) == 8
    assert {u.split("?")[1] for u in paths["case queue, filtered"]} == set(FILTERS)


def _desk(page_p95: float, errors: int, message_max: float) -> dict:
    figures = {"p50": 1.0, "p95": page_p95, "p99": page_p95, "mean": 1.0, "max": page_p95}
    stream = {"trials": 3, "p50": 1.0, "p95": 2.0, "p99": 2.0, "mean": 1.0, "max": message_max}
    return {
        "pages": {"inbox": {**figures, "errors": 0}, "reports": {**figures, "errors": errors}},
        "message_to_agent": stream,
        "request_to_inbox": stream,
    }


def test_desk_targets_pass_and_miss() -> None:
    status = {t["target"]: t["status"] for t in evaluate_desk_targets(_desk(120.0, 0, 600.0))}
    assert status == {
        "desk inbox p95 (ms)": "PASS",
        "desk reports p95 (ms)": "PASS",
        "desk message → agent, max (ms)": "PASS",
    }
    missed = {t["target"]: t["status"] for t in evaluate_desk_targets(_desk(300.0, 0, 1000.0))}
    assert set(missed.values()) == {"MISS"}  # the limits are strict: < 300 ms, < 1 s
    errored = {t["target"]: t["status"] for t in evaluate_desk_targets(_desk(10.0, 1, 10.0))}
    assert errored["desk reports p95 (ms)"] == "MISS" and errored["desk inbox p95 (ms)"] == "PASS"
    assert {t["status"] for t in evaluate_desk_targets(None)} == {"n/a"}


def test_render_desk_has_a_row_per_page_and_stream() -> None:
    lines = render_desk(_desk(120.0, 0, 600.0)).splitlines()
    assert len(lines) == 2 + 4
    assert lines[-2].startswith("stream: message → agent") and lines[-2].endswith("600")


def test_make_bench_report_carries_the_desk() -> None:
    out = report()
    assert out["desk"] is None and "desk inbox p95 (ms)" not in render(out)
    out["desk"] = _desk(120.0, 0, 1500.0)
    finish_report(out, time.perf_counter())
    status = {t["target"]: t["status"] for t in out["targets"]}
    assert status["desk inbox p95 (ms)"] == "PASS"
    assert status["desk message → agent, max (ms)"] == "MISS"
    assert status["sequential p95 (ms)"] == "PASS"  # the bots' targets are still there
    assert "stream: message → agent" in render(out)
