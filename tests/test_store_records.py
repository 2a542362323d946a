"""bot.store.records: the one row ↔ record mapping every repository uses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from types import SimpleNamespace

from bot.store.records import JsonRecord, chunks, from_row


@dataclass(frozen=True)
class Child(JsonRecord):
    when: datetime


@dataclass(frozen=True)
class Parent(JsonRecord):
    name: str
    day: date
    tags: list[str]
    extra: dict[str, str]
    missing: datetime | None
    children: list[Child] = field(default_factory=list)


def test_from_row_copies_json_columns_and_takes_given_fields() -> None:
    row = SimpleNamespace(
        name="a", day=date(2025, 1, 2), tags=["x"], extra={"k": "v"}, missing=None, other=1
    )
    child = Child(datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc))
    record = from_row(Parent, row, children=[child])
    assert record == Parent("a", date(2025, 1, 2), ["x"], {"k": "v"}, None, [child])
    row.tags.append("changed")
    row.extra["k"] = "changed"
    assert record.tags == ["x"] and record.extra == {"k": "v"}


def test_to_dict_is_json_in_field_order() -> None:
    child = Child(datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc))
    data = Parent("a", date(2025, 1, 2), ["x"], {"k": "v"}, None, [child]).to_dict()
    assert list(data) == ["name", "day", "tags", "extra", "missing", "children"]
    assert data["day"] == "2025-01-02" and data["missing"] is None
    assert data["children"] == [{"when": "2025-01-02T03:04:00+00:00"}]
    assert json.loads(json.dumps(data)) == data


def test_chunks() -> None:
    assert [list(c) for c in chunks([1, 2, 3, 4, 5], size=2)] == [[1, 2], [3, 4], [5]]
    assert list(chunks([], size=2)) == []
