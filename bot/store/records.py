"""What every repository shares: the clock, batching, and row ↔ record mapping.

Records are frozen dataclasses whose field names match their table's columns, so one
mapping serves them all; a repository only names the fields that are not plain columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timezone
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Clock = Callable[[], datetime]

# Keeps IN (...) lists under SQLite's bound-parameter limit.
CHUNK = 500


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _copy(value: Any) -> Any:
    # JSON columns come back as the session's own list / dict: records must not share them.
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def from_row(record_type: type[R], row: Any, **given: Any) -> R:
    """A ``record_type`` from the same-named attributes of ``row``; ``given`` fills the rest."""
    values = {
        f.name: _copy(getattr(row, f.name))
        for f in dataclasses.fields(record_type)  # type: ignore[arg-type]
        if f.name not in given
    }
    return record_type(**values, **given)


def json_form(value: Any) -> Any:
    """``value`` made JSON-able: records as dicts in field order, dates as ISO strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_form(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [json_form(item) for item in value]
    if isinstance(value, dict):
        return {key: json_form(item) for key, item in value.items()}
    return value


class JsonRecord:
    """Mixin for record dataclasses: ``to_dict`` gives their JSON-able form."""

    def to_dict(self) -> dict[str, Any]:
        """Fields in order; dates and datetimes as ISO 8601 strings."""
        data: dict[str, Any] = json_form(self)
        return data
