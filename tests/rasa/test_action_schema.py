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
        for _ in range(5):  # invalid ones: a valid response skips the full validator
            with pytest.raises(ValidationError):
                action_schema.validate_action_result(BAD[1])
    finally:
        action_schema.response_validator.cache_clear()
    assert len(calls) == 1


def _rasa_events() -> list[dict]:
    """One event of every type Rasa serialises, as an action server would send it."""
    from rasa.shared.core import events as e

    made = [
        e.UserUttered("你好", {"name": "greet", "confidence": 0.9}, [], {}),
        e.ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0),
        e.SlotSet("phone", "13800000001"),
        e.SlotSet("phone", None),
        e.EntitiesAdded([{"entity": "product", "value": "DB2"}]),
        e.UserUtteranceReverted(),
        e.ActionReverted(),
        e.Restarted(),
        e.AllSlotsReset(),
        e.ConversationPaused(),
        e.ConversationResumed(),
        e.FollowupAction("case_form"),
        e.ActiveLoop("outage_form"),
        e.ActiveLoop(None),
        e.LoopInterrupted(True),
        e.ActionExecutionRejected("outage_form"),
        e.BotUttered("好的", {"buttons": []}),
        e.SessionStarted(),
        e.AgentUttered("人工客服"),
        e.ReminderScheduled("EXTERNAL_x", __import__("datetime").datetime(2026, 1, 1)),
        e.ReminderCancelled(name="r"),
        e.StoryExported(),
        e.DefinePrevUserUtteredFeaturization(False),
    ]
    return [ev.as_dict() for ev in made]


def _responses() -> list:
    """Valid responses, and near misses of every kind, to compare both checks on."""
    good = _rasa_events()
    broken: list = [
        {"event": "slot", "name": 5, "value": None},
        {"event": "slot", "value": None},
        {"event": "slot", "name": "phone"},
        {"event": "entities"},
        {"event": "entities", "entities": [{"entity": "x"}]},
        {"event": "user", "text": 5},
        {"event": "user", "parse_data": {"intent": {"confidence": "high"}}},
        {"event": "action", "confidence": "1"},
        {"event": "no_such_event"},
        {"event": ["slot"]},
        {"event": 5},
        {"name": "phone", "value": None},
        {"event": "slot", "name": "phone", "value": None, "timestamp": "now"},
        {"event": "bot", "metadata": []},
        "slot",
        None,
        ["slot"],
    ]
    cases: list = [{"events": [ev], "responses": []} for ev in [*good, *broken]]
    cases += [
        {"events": good, "responses": [{"text": "好的"}]},
        {"events": [*good, broken[0]]},
        {},
        {"events": []},
        {"events": None},
        {"responses": "x"},
        {"events": good, "responses": ["x"]},
        [],
        "events",
    ]
    return cases


@pytest.mark.parametrize("response", _responses())
def test_fast_check_accepts_exactly_what_rasas_schema_accepts(response) -> None:
    """The fast path may say "ask the full check", never "valid" for an invalid one."""
    full = validators.validator_for(RemoteAction.action_response_format_spec())(
        RemoteAction.action_response_format_spec()
    )
    assert action_schema.passes_fast_check(response) == full.is_valid(response)


def test_every_event_rasa_serialises_passes_the_fast_check() -> None:
    for event in _rasa_events():
        assert action_schema.passes_fast_check({"events": [event]}), event


def test_a_valid_response_never_reaches_the_full_validator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    monkeypatch.setattr(action_schema, "response_validator", lambda: calls.append(1) or None)
    response = {"events": _rasa_events(), "responses": [{"text": "好的"}]}
    assert action_schema.validate_action_result(response) is True
    assert calls == []
