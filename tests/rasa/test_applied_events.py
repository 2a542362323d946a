"""bot.rasa.applied_events: Rasa's applied events, carried forward, never different."""

from __future__ import annotations

import random
from collections import deque
from typing import Any

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa import applied_events as patch
from bot.rasa import plugin
from tests.rasa.random_events import FORMS, random_event

RASAS = patch.RASA_APPLIED_EVENTS


def _tracker(*events: Event) -> DialogueStateTracker:
    tracker = DialogueStateTracker("c1", [])
    for event in events:
        tracker.update(event)
    return tracker


def _ids(events: list[Event]) -> list[int]:
    return [id(e) for e in events]


@pytest.fixture(autouse=True)
def _installed() -> None:
    plugin.install()


@pytest.mark.parametrize("seed", range(40))
def test_same_events_as_rasa_after_every_append(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    # A new form part-way through (the look-ahead case): early on only some forms.
    early, late = FORMS[: 1 + seed % 2], FORMS
    tracker = DialogueStateTracker("c1", [])
    for step in range(90):
        for _ in range(rng.choice((1, 1, 1, 2, 5))):  # Rasa appends one or a few at a time
            tracker.update(random_event(rng, early if step < 45 else late))
        ours = tracker.applied_events()
        if rng.random() < 0.3:
            ours = tracker.applied_events()  # asked twice with nothing new
        assert _ids(ours) == _ids(RASAS(tracker)), (seed, step)


def test_the_bench_intake_shape_matches_rasa() -> None:
    """A form run as a real intake produces it: activation, many runs, deactivation."""
    tracker = DialogueStateTracker("c1", [])
    turn = [UserUttered("x", {"name": "inform"}), ActionExecuted("outage_form")]
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("报修", {"name": "report_outage"}))
    tracker.update(ActionExecuted("outage_form"))
    tracker.update(ActiveLoop("outage_form"))
    for _ in range(12):
        for event in (*turn, SlotSet("requested_slot", "os"), ActionExecuted("action_listen")):
            tracker.update(event)
            assert _ids(tracker.applied_events()) == _ids(RASAS(tracker))
    tracker.update(ActiveLoop(None))
    tracker.update(ActionExecuted("action_open_case"))
    assert _ids(tracker.applied_events()) == _ids(RASAS(tracker))


def test_a_call_after_an_append_only_reads_the_new_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tracker = DialogueStateTracker("c1", [])
    for _ in range(50):
        tracker.update(UserUttered("好", {"name": "affirm"}))
        tracker.update(ActionExecuted("action_listen"))
    tracker.applied_events()
    seen: list[int] = []
    original = patch._apply

    def counting(t: Any, applied: list, events: Any, loops: frozenset) -> list:
        events = list(events)
        seen.append(len(events))
        return original(t, applied, events, loops)

    monkeypatch.setattr(patch, "_apply", counting)
    tracker.update(UserUttered("再见", {"name": "goodbye"}))
    assert len(tracker.applied_events()) == 101
    assert seen == [1]


def test_returned_lists_are_the_callers_own() -> None:
    tracker = _tracker(UserUttered("好"), ActionExecuted("action_listen"))
    first = tracker.applied_events()
    first.clear()
    assert len(tracker.applied_events()) == 2


def test_a_replaced_or_bounded_deque_is_recomputed() -> None:
    tracker = _tracker(UserUttered("好"), ActionExecuted("action_listen"))
    tracker.applied_events()
    tracker.events = deque([ActionExecuted("action_listen")])
    assert _ids(tracker.applied_events()) == _ids(list(tracker.events))
    bounded = DialogueStateTracker("c2", [], max_event_history=3)
    for text in "一二三四五":
        bounded.update(UserUttered(text))
        assert _ids(bounded.applied_events()) == _ids(RASAS(bounded))


def test_installed_once() -> None:
    method = DialogueStateTracker.applied_events
    patch.install()
    assert patch.installed() and DialogueStateTracker.applied_events is method
    assert RASAS is not method
