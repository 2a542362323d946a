"""bot.rasa.tracker_copy: the state Rasa's ``copy()`` rebuilds, copied, and independent."""

from __future__ import annotations

import random
from typing import Any

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.slots import BooleanSlot, ListSlot, TextSlot
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.rasa import applied_events, plugin
from bot.rasa.tracker_copy import copy_tracker
from tests.rasa.random_events import FORMS, random_event


def _slots() -> list[Any]:
    return [
        TextSlot("phone", mappings=[]),
        TextSlot("requested_slot", mappings=[]),
        ListSlot("products", mappings=[]),
        BooleanSlot("verified", mappings=[], initial_value=False),
    ]


def _more(rng: random.Random) -> Event:
    """The events that change a tracker's state in other ways, mixed in."""
    return rng.choice(
        [
            lambda: SlotSet("phone", rng.choice(["13800000001", None])),
            lambda: SlotSet("products", ["DB2", "Informix"]),
            lambda: SlotSet("verified", True),
            lambda: LoopInterrupted(rng.random() < 0.5),
            lambda: FollowupAction("action_open_case"),
            lambda: ConversationPaused(),
            lambda: ConversationResumed(),
            lambda: EntitiesAdded([{"entity": "product", "value": "DB2"}]),
        ]
    )()


def _conversation(seed: int, length: int) -> DialogueStateTracker:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    tracker = DialogueStateTracker("c1", _slots())
    for _ in range(length):
        tracker.update(_more(rng) if rng.random() < 0.3 else random_event(rng, FORMS))
    return tracker


def _state(tracker: DialogueStateTracker) -> Any:
    """Everything a caller can read of a tracker, by value."""
    slots = {
        name: (type(s), s.value, s.initial_value, s.influence_conversation)
        for name, s in tracker.slots.items()
    }
    attributes = sorted(k for k in vars(tracker) if k != applied_events.MEMO_ATTRIBUTE)
    return (
        tracker.current_state(EventVerbosity.ALL),
        slots,
        tracker.active_loop,
        tracker.latest_action,
        tracker.followup_action,
        tracker.is_paused(),
        _untimed(tracker.latest_message),
        _untimed(tracker.latest_bot_utterance),
        attributes,
        (tracker.sender_id, tracker.sender_source, tracker.model_id, tracker.assistant_id),
        [id(e) for e in tracker.events],
        tracker.events.maxlen,
    )


def _untimed(event: Event | None) -> Any:
    """An event by value; without the time, which a reset's empty one takes when made."""
    return None if event is None else {**event.as_dict(), "timestamp": None}


@pytest.fixture(autouse=True)
def _installed() -> None:
    plugin.install()


@pytest.mark.parametrize("seed", range(30))
def test_the_copy_is_what_rasas_copy_rebuilds(seed: int) -> None:
    for length in (0, 1, 7, 40, 120):
        tracker = _conversation(seed, length)
        tracker.model_id = "model-1"  # set on a tracker by the processor; not carried
        assert _state(copy_tracker(tracker)) == _state(tracker.copy()), (seed, length)


@pytest.mark.parametrize("seed", range(10))
def test_changing_the_copy_leaves_the_original_alone(seed: int) -> None:
    tracker = _conversation(seed, 60)
    tracker.update(ActiveLoop("outage_form"))
    before = _state(tracker)
    copied = copy_tracker(tracker)
    for event in (
        SlotSet("phone", "13900000002"),
        SlotSet("products", ["Tivoli"]),
        LoopInterrupted(True),  # changes the active loop in place
        ActionExecutionRejected("outage_form"),
        ActionExecuted("action_open_case"),
        FollowupAction("case_form"),
        ConversationPaused(),
        UserUttered("再见", {"name": "goodbye"}),
    ):
        copied.update(event)
    assert _state(tracker) == before
    assert len(copied.events) == len(tracker.events) + 8


def test_a_resets_empty_latest_message_is_not_shared() -> None:
    tracker = DialogueStateTracker("c1", _slots())
    tracker.update(ActionExecuted("action_listen"))  # no user message: the empty one
    copied = copy_tracker(tracker)
    assert copied.latest_message is not tracker.latest_message
    copied.update(EntitiesAdded([{"entity": "product", "value": "DB2"}]))
    assert tracker.latest_message.entities == []
    # A real user message is the shared event object, as in Rasa's copy.
    tracker.update(UserUttered("DB2", {"name": "inform"}))
    assert copy_tracker(tracker).latest_message is tracker.latest_message


def test_the_copy_carries_the_applied_events_forward() -> None:
    tracker = _conversation(3, 80)
    tracker.applied_events()
    copied = copy_tracker(tracker)
    assert vars(copied)[applied_events.MEMO_ATTRIBUTE].events is copied.events
    copied.update(UserUttered("好", {"name": "affirm"}))
    assert [id(e) for e in copied.applied_events()] == [
        id(e) for e in applied_events.RASA_APPLIED_EVENTS(copied)
    ]


def test_an_unknown_mutable_attribute_falls_back_to_rasas_copy() -> None:
    tracker = _conversation(5, 20)
    tracker.something_new = ["a list"]  # type: ignore[attr-defined]
    copied = copy_tracker(tracker)
    assert not hasattr(copied, "something_new")  # Rasa's copy() rebuilds, drops it
    assert _state(copied) == _state(tracker.copy())
