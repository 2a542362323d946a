"""Check action-server responses with a schema validator built once per process.

Rasa 3.6 checks every action-server response with ``jsonschema.validate()``, which
re-checks Rasa's (large) events schema against the JSON-Schema meta-schema and
rebuilds the validator each time: ≈ 35–45 ms of CPU per custom action on this
machine, two thirds of a whole turn in ``make bench``'s profile. The response is
still validated, with the same schema, the same error and the same message; only
the per-call set-up is done once. :func:`install` is idempotent; ``bot.rasa.plugin``
applies it with ``bot.rasa.resilience`` in every Rasa process we start.

Each event in the schema is a ``oneOf`` over Rasa's 23 event types, so a compiled
validator still tries every event against every type (≈ 14 ms for the ~30 events
that open a case). Every type pins ``event`` to its own constant, so an event can only
ever match the type its ``event`` names: a valid response is recognised by checking
each event against that one type (:func:`_dispatch`). Anything that does not pass
this fast check goes to the full validator, which decides and gives Rasa's error —
acceptance and errors are unchanged.
"""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_MARK = "_ppa_cached_schema"


@functools.lru_cache(maxsize=1)
def response_validator() -> Any:
    """Rasa's action-response schema, checked once and compiled into a validator."""
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@functools.lru_cache(maxsize=1)
def _dispatch() -> tuple[Any, dict[str, Any]] | None:
    """The response's outer shape, and one validator per event type keyed by its name.

    None when Rasa's schema is not the shape this relies on (another Rasa version):
    every response then goes to the full validator.
    """
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    events = schema.get("properties", {}).get("events", {})
    item = events.get("items", {})
    types = item.get("oneOf")
    if not types or "event" not in item.get("required", ()) or item.get("type") != "object":
        return None
    base = {k: v for k, v in item.items() if k != "oneOf"}
    by_name: dict[str, Any] = {}
    for sub in types:
        name = sub.get("properties", {}).get("event", {}).get("const")
        if not isinstance(name, str) or name in by_name:
            return None  # two types could match one event: only the full check is right
        by_name[name] = cls({"allOf": [base, sub]})
    outer = {
        **schema,
        "properties": {
            **schema["properties"],
            "events": {k: v for k, v in events.items() if k != "items"},
        },
    }
    return cls(outer), by_name


def passes_fast_check(result: Any) -> bool:
    """True only if ``result`` is valid; False means "ask the full validator"."""
    dispatch = _dispatch()
    if dispatch is None:
        return False
    outer, by_name = dispatch
    if not outer.is_valid(result):
        return False
    for event in result.get("events") or ():
        name = event.get("event") if isinstance(event, dict) else None
        check = by_name.get(name) if isinstance(name, str) else None
        if check is None or not check.is_valid(event):
            return False
    return True


def validate_action_result(result: dict[str, Any]) -> bool:
    """Rasa's ``_validate_action_result``: True, or the best ``ValidationError`` raised."""
    if passes_fast_check(result):
        return True
    error = best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def installed() -> bool:
    """Whether :func:`install` has replaced Rasa's check in this process."""
    return bool(getattr(RemoteAction._validate_action_result, _MARK, False))


def install() -> None:
    """Replace ``RemoteAction._validate_action_result``; idempotent."""
    if installed():
        return

    def _validate(self: RemoteAction, result: dict[str, Any]) -> bool:
        return validate_action_result(result)

    setattr(_validate, _MARK, True)
    RemoteAction._validate_action_result = _validate  # type: ignore[method-assign]


__all__ = [
    "ValidationError",
    "install",
    "installed",
    "passes_fast_check",
    "response_validator",
    "validate_action_result",
]
