"""Check action-server responses with a schema validator built once per process.

Rasa 3.6 checks every action-server response with ``jsonschema.validate()``, which
re-checks Rasa's (large) events schema against the JSON-Schema meta-schema and
rebuilds the validator each time: ≈ 35–45 ms of CPU per custom action on this
machine, two thirds of a whole turn in ``make bench``'s profile. The response is
still validated, with the same schema, the same error and the same message; only
the per-call set-up is done once. :func:`install` is idempotent; ``bot.rasa.plugin``
applies it with ``bot.rasa.resilience`` in every Rasa process we start.
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


def validate_action_result(result: dict[str, Any]) -> bool:
    """Rasa's ``_validate_action_result``: True, or the best ``ValidationError`` raised."""
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
    "response_validator",
    "validate_action_result",
]
