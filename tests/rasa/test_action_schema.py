"""bot.rasa.action_schema: Rasa's action-response check, with the validator built once."""

from __future__ import annotations

import jsonschema
import pytest
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction

from bot.rasa import action_schema, plugin

GOOD = {
    "events": [
        {"event": "slot", "name": "phone", "value": "13800000001", "timestamp": None},
        {"event": "active_loop", "name": "outage_form"},
    ],
    "responses": [{"text": "好的", "buttons": []}],
}
BAD = [
    {"events": "not a list"},
    {"events": [{"event": "slot", "name": 5}]},
    {"events": [], "responses": ["a bare string"]},
]


@pytest.fixture()
def installed() -> RemoteAction:
    plugin.install()  # as `python -m bot.rasa` does before Rasa starts
    return RemoteAction("validate_outage_form", None)


def test_the_plugin_installs_it(installed: RemoteAction) -> None:
    assert getattr(RemoteAction._validate_action_result, "_ppa_cached_schema", False)
    assert installed._validate_action_result(GOOD) is True


@pytest.mark.parametrize("response", BAD)
def test_invalid_responses_fail_as_in_rasa(installed: RemoteAction, response: dict) -> None:
    with pytest.raises(ValidationError) as ours:
        installed._validate_action_result(response)
    with pytest.raises(ValidationError) as rasas:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    assert ours.value.message.startswith(rasas.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_schema_is_checked_once_not_per_response(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    calls = []
    original = cls.check_schema.__func__

    def counting(klass, s, *args, **kwargs):
        calls.append(1)
        return original(klass, s, *args, **kwargs)

    monkeypatch.setattr(cls, "check_schema", classmethod(counting))
    action_schema.response_validator.cache_clear()
    try:
        for _ in range(5):
            assert action_schema.validate_action_result(GOOD) is True
    finally:
        action_schema.response_validator.cache_clear()
    assert len(calls) == 1
